from datetime import timedelta
from types import SimpleNamespace

import pytest

from luoshi.rectification.models import Measure, today
from luoshi.weakorgs import reasons, services
from tests.factories import user_with
from tests.rectification.conftest import _media, act, campaign, pdf, people, progress  # noqa: F401


@pytest.fixture
def offices(tree, people):  # noqa: F811
    return SimpleNamespace(
        county_a=people.county_office_a,
        town_a=user_with(tree.town_a, "office", username="town_office_a"),
        county_b=user_with(tree.county_b, "office", username="county_office_b"),
        branch_a1=people.branch_a1,
    )


@pytest.fixture
def vocabulary(db):
    return reasons.ensure_standard()


FOUR = {
    "county_leader": "王县长",
    "county_leader_phone": "13900000001",
    "township_leader": "李镇长",
    "township_leader_phone": "",
    "first_secretary": "赵第一书记",
    "first_secretary_phone": "13900000003",
    "paired_unit": "县农业农村局",
    "paired_unit_phone": "",
}


def list_case(actor, org, vocabulary, campaign, year=None, **extra):  # noqa: F811
    return services.list_organization(
        actor=actor,
        org=org,
        year=year or today().year,
        reasons=vocabulary[:2],
        campaign=campaign,
        listed_on=extra.pop("listed_on", today() - timedelta(days=20)),
        situation="班子不团结，组织生活不正常",
        **extra,
    )


def support_all(actor, case):
    case.refresh_from_db()
    return services.set_support(actor=actor, case_id=case.pk, version=case.version, **FOUR)


def plan(actor, case, title="组织生活不正常", measure="每月按时召开支部党员大会"):
    link = services.add_plan_problem(
        actor=actor,
        case_id=case.pk,
        title=title,
        measure=measure,
        due_on=today() + timedelta(days=40),
        owner_name="支部书记",
    )
    return Measure.objects.get(problem=link.problem)


def close(liaison, verifier, measure):
    progress(liaison, measure)
    act(liaison, measure, "submit")
    return act(verifier, measure, "verify")


@pytest.fixture
def weak(tree, offices, vocabulary, campaign, people):  # noqa: F811
    """Branch a1 listed this year by the county office, with one measure in its plan."""
    case = list_case(offices.county_a, tree.branch_a1, vocabulary, campaign)
    measure = plan(people.branch_a1, case)
    case.refresh_from_db()
    return SimpleNamespace(case=case, measure=measure)
