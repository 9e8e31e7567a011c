"""Migration campaigns 0003: the old `Batch.orgs` (roots of covered subtrees, sometimes nested)
becomes one membership per organisation, that of its nearest listed ancestor."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("campaigns", "0002_keyaction_actionitem_and_more")]
AFTER = [("campaigns", "0003_batch_members")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_each_organisation_goes_to_the_batch_of_its_nearest_listed_ancestor(tree):
    apps = _migrate(BEFORE)
    try:
        Campaign = apps.get_model("campaigns", "Campaign")
        Batch = apps.get_model("campaigns", "Batch")
        campaign = Campaign.objects.create(
            org_id=tree.city.pk,
            org_path=tree.city.path,
            slug="m",
            name="主题教育",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        first = Batch.objects.create(
            campaign=campaign, name="第一批", starts_on=date(2026, 1, 1), ends_on=date(2026, 4, 1)
        )
        second = Batch.objects.create(
            campaign=campaign, name="第二批", starts_on=date(2026, 4, 1), ends_on=date(2026, 9, 1)
        )
        # The old seed's shape: the first lists the city and the counties, the second the
        # townships below them.
        first.orgs.set([tree.city.pk, tree.county_a.pk, tree.county_b.pk])
        second.orgs.set([tree.town_a.pk, tree.town_b.pk])
        apps = _migrate(AFTER)
        BatchMember = apps.get_model("campaigns", "BatchMember")
        members = dict(BatchMember.objects.values_list("org_id", "batch_id"))
        assert members == {
            tree.city.pk: first.pk,
            tree.county_a.pk: first.pk,
            tree.county_b.pk: first.pk,
            tree.town_a.pk: second.pk,
            tree.town_b.pk: second.pk,
            tree.branch_a1.pk: second.pk,
            tree.branch_a2.pk: second.pk,
            tree.branch_b1.pk: second.pk,
            tree.branch_b2.pk: second.pk,
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
