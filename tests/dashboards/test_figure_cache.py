"""The dashboards' rendered figures are cached per version of the subtree (core.versions): a
change anywhere below a node shows on its dashboard at once, a dashboard whose subtree did not
change is not recomputed, and no version ever names two states of the data."""

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from luoshi.campaigns.models import Campaign
from luoshi.core import versions
from luoshi.orgs.models import Organization
from luoshi.orgs.services import update_organization
from luoshi.rectification import services
from luoshi.rectification.models import today
from tests.factories import user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "tiny", "--json", stdout=io.StringIO())
    return Organization.objects.get(parent=None)


def computed(response) -> bool:
    """Whether the request computed the figures (rendered them) or served them cached."""
    return "dashboards/_figures.html" in {t.name for t in response.templates}


def chain(org) -> list[Organization]:
    """The organisation and its ancestors, root first."""
    ids = [int(i) for i in org.path.strip("/").split("/")]
    found = Organization.objects.in_bulk(ids)
    return [found[i] for i in ids]


def test_a_change_shows_on_every_dashboard_above_it_and_nothing_else_is_recomputed(client, seeded):
    root = seeded
    office = user_with(root, "office", username="cache_office")
    client.force_login(office)
    # a measure not yet due, two levels or more below the root (listed here: the seed's own
    # measures at that depth are drawn at random)
    branch = Organization.objects.filter(path__regex=r"^/\d+/\d+/\d+/").order_by("-path").first()
    problem = services.create_problem(
        actor=office, org=branch, campaign=Campaign.objects.get(), title="村务公开不及时"
    )
    measure = services.add_measure(
        actor=office, problem=problem, content="每月公开一次", due_on=today() + timedelta(days=30)
    )
    above = chain(measure.org)
    assert len(above) >= 3, "the seed's measures lie below the root's children"
    sibling = Organization.objects.filter(parent=root).exclude(pk=above[1].pk).first()

    def page(org):
        return client.get(reverse("dashboards:node", args=[org.pk]))

    before = {}
    for org in [*above, sibling]:
        first = page(org)
        assert computed(first)
        before[org.pk] = first.context["measures"]["overdue"]
        again = page(org)
        assert not computed(again), f"{org.name}: the second view is served from the cache"
        assert again.context["measures"] == first.context["measures"]

    services.update_measure(
        actor=office,
        measure_id=measure.pk,
        version=measure.version,
        due_on=today() - timedelta(days=30),
    )
    for org in above:
        after = page(org)
        assert computed(after), org.name
        assert after.context["measures"]["overdue"] == before[org.pk] + 1, org.name
    untouched = page(sibling)
    assert not computed(untouched)
    assert untouched.context["measures"]["overdue"] == before[sibling.pk]


def test_a_research_visit_counted_directly_shows_at_once(client, seeded):
    """Research figures have no tally: the research services mark their rows' versions."""
    from luoshi.research import services as research
    from luoshi.research.models import ResearchTopic

    root = seeded
    office = user_with(root, "office", username="cache_research")
    client.force_login(office)
    topic = ResearchTopic.objects.exclude(org_path=root.path).first() or research.create_topic(
        actor=office,
        org=Organization.objects.filter(parent=root).first(),
        title="基层减负调研",
        leader_name="张三",
    )
    url = reverse("dashboards:node", args=[root.pk])
    visits = client.get(url).context["figures"]["research_visits"]
    research.record_visit(
        actor=office, topic_id=topic.pk, visited_on=today(), place="东风村", findings=["路灯不亮"]
    )
    page = client.get(url)
    assert computed(page)
    assert page.context["figures"]["research_visits"] == visits + 1


def test_a_renamed_organisation_shows_in_its_parents_table(client, seeded):
    root = seeded
    office = user_with(root, "office", username="cache_rename")
    client.force_login(office)
    url = reverse("dashboards:node", args=[root.pk])
    child = Organization.objects.filter(parent=root).first()
    assert child.display_name in client.get(url).content.decode()
    update_organization(actor=office, org=child, name="新区党委", short_name="新区党委")
    assert "新区党委" in client.get(url).content.decode()


def test_a_problems_new_wording_shows_in_the_most_overdue_list(client, seeded):
    root = seeded
    office = user_with(root, "office", username="cache_wording")
    client.force_login(office)
    url = reverse("dashboards:node", args=[root.pk])
    listed = client.get(url).context["overdue"]
    if not listed:
        pytest.skip("the tiny seed has no overdue measure")
    problem = listed[0].problem
    services.update_problem(
        actor=office, problem_id=problem.pk, version=problem.version, title="改过的问题表述"
    )
    assert "改过的问题表述" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_version_read_before_a_commit_is_never_current_after_it(tree):
    """A reader who read a version, then computed figures from the data as it stood before a
    commit, stores them under a version that is no longer current once the commit is marked;
    inside the writing transaction the subtree has a version that only it reads, and a rolled
    back transaction leaves the version as it was."""
    path = tree.branch_a1.path
    before, city_before = versions.version(path), versions.version(tree.city.path)
    assert versions.version(path) == before
    with transaction.atomic():
        versions.changed([path])
        inside = versions.version(path)
        versions.changed([path])
        assert versions.version(path) not in (before, inside)
        assert versions.version(tree.branch_b1.path) == versions.version(tree.branch_b1.path)
    after = versions.version(path)
    assert after not in (before, inside)
    assert versions.version(tree.city.path) != city_before  # every ancestor is marked too

    with pytest.raises(RuntimeError), transaction.atomic():
        versions.changed([path])
        raise RuntimeError
    assert versions.version(path) == after


def test_an_evicted_version_comes_back_new(seeded):
    path = Organization.objects.filter(parent=seeded).first().path
    first = versions.version(path)
    assert versions.version(path) == first
    cache.clear()
    assert versions.version(path) != first


def test_without_a_shared_cache_every_view_computes_the_figures(client, seeded, settings):
    """The per-process cache of the demo would not see another process's writes (a ledger import
    from the command line): there, nothing is cached."""
    settings.LUOSHI_FIGURES_CACHE = False
    client.force_login(user_with(seeded, "office", username="cache_off"))
    url = reverse("dashboards:node", args=[seeded.pk])
    assert computed(client.get(url)) and computed(client.get(url))


def test_the_cached_page_shows_each_user_only_the_crumbs_of_their_scope(client, seeded):
    """The figures are shared by everyone who may open the node; the breadcrumbs start at the top
    of each user's own scope."""
    county = Organization.objects.filter(parent=seeded).first()
    township = Organization.objects.filter(parent=county).first()
    url = reverse("dashboards:node", args=[township.pk])
    client.force_login(user_with(seeded, "office", username="crumbs_city"))
    first = client.get(url)
    assert [a.pk for a in first.context["crumbs"]] == [seeded.pk, county.pk]
    client.force_login(user_with(county, "liaison", username="crumbs_county"))
    again = client.get(url)
    assert not computed(again)
    assert [a.pk for a in again.context["crumbs"]] == [county.pk]
    assert seeded.name not in again.content.decode().split("<ol")[1].split("</ol>")[0]


def test_a_new_release_never_reads_what_the_previous_one_cached(client, seeded, monkeypatch):
    """A deploy may change what the cached part holds: the release is part of every version."""
    client.force_login(user_with(seeded, "office", username="cache_release"))
    url = reverse("dashboards:node", args=[seeded.pk])
    assert computed(client.get(url)) and not computed(client.get(url))
    monkeypatch.setattr(versions, "release", lambda: "next-release")
    assert computed(client.get(url))
