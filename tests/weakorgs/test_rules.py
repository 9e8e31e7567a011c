"""The rules of 软弱涣散党组织整顿 (luoshi/weakorgs/rules.py) through the services: who lists,
who accepts and when, and relisting in a later year."""

import pytest

from luoshi.core.errors import Invalid, NotAllowed
from luoshi.rectification.models import today
from luoshi.weakorgs import services
from luoshi.weakorgs.models import Acceptance, CaseState, WeakOrgCase, WeakOrgEvent
from tests.weakorgs.conftest import close, list_case, pdf, plan, support_all

pytestmark = pytest.mark.django_db


def _accept(actor, case, result="passed", **extra):
    return services.accept_case(
        actor=actor,
        case_id=case.pk,
        result=result,
        accepted_on=today(),
        note=extra.pop("note", "经验收，整顿达到预期效果"),
        upload=extra.pop("upload", pdf("验收报告.pdf")),
        **extra,
    )


def _stored(case):
    case.refresh_from_db()
    return (case.state, case.version, Acceptance.objects.count(), WeakOrgEvent.objects.count())


def test_acceptance_is_refused_while_a_support_is_missing_naming_it(weak, offices):
    before = _stored(weak.case)
    with pytest.raises(Invalid) as refused:
        _accept(offices.town_a, weak.case)
    message = str(refused.value)
    assert "四个一" in message
    for label in ("县级领导联系", "乡镇领导包抓", "第一书记驻村", "机关单位结对"):
        assert label in message
    assert _stored(weak.case) == before


def test_acceptance_is_refused_while_a_measure_of_the_plan_is_open(weak, offices, people):
    support_all(offices.county_a, weak.case)
    second = plan(people.branch_a1, weak.case, title="村务不公开", measure="每季度公开村务财务")
    close(people.branch_a1, offices.county_a, weak.measure)
    before = _stored(weak.case)
    with pytest.raises(Invalid) as refused:
        _accept(offices.town_a, weak.case)
    assert "1 项整改措施未销号" in str(refused.value) and "每季度公开村务" in str(refused.value)
    assert _stored(weak.case) == before
    close(people.branch_a1, offices.county_a, second)
    _accept(offices.town_a, weak.case)
    assert _stored(weak.case)[0] == CaseState.ACCEPTED


def test_a_plan_without_measures_cannot_be_accepted(tree, offices, vocabulary, campaign):
    case = list_case(offices.county_a, tree.branch_a2, vocabulary, campaign)
    support_all(offices.county_a, case)
    with pytest.raises(Invalid, match="还没有整改措施"):
        _accept(offices.town_a, case)


def test_the_township_accepts_once_everything_is_done_and_not_twice(weak, offices, people):
    support_all(offices.county_a, weak.case)
    close(people.branch_a1, offices.county_a, weak.measure)
    acceptance = _accept(offices.town_a, weak.case)
    assert acceptance.accepted_by_org.pk == offices.town_a.assignments.get().org_id
    assert acceptance.stored_name and acceptance.original_name == "验收报告.pdf"
    with pytest.raises(Invalid, match="已验收合格"):
        _accept(offices.town_a, weak.case)


def test_the_organisation_itself_cannot_accept_its_own_case(weak, offices, people, tree):
    from tests.factories import user_with

    support_all(offices.county_a, weak.case)
    close(people.branch_a1, offices.county_a, weak.measure)
    own_office = user_with(tree.branch_a1, "office", username="a1_own_office")
    for actor in (own_office, people.branch_a1):
        with pytest.raises(NotAllowed, match="不能自行验收"):
            _accept(actor, weak.case)


def test_a_failed_acceptance_keeps_the_case_listed_and_needs_the_reasons(weak, offices, people):
    support_all(offices.county_a, weak.case)
    close(people.branch_a1, offices.county_a, weak.measure)
    with pytest.raises(Invalid, match="验收意见"):
        _accept(offices.town_a, weak.case, result="failed", note="", upload=None)
    _accept(offices.town_a, weak.case, result="failed", note="群众满意度不高", upload=None)
    assert _stored(weak.case)[0] == CaseState.LISTED
    with pytest.raises(Invalid, match="验收材料"):
        _accept(offices.town_a, weak.case, upload=None)


def test_only_an_office_of_county_level_or_above_lists_a_grass_roots_organisation(
    tree, offices, vocabulary, campaign, people
):
    own = tree.branch_a1  # a liaison lists nothing, not even its own organisation
    for actor, org in ((offices.town_a, tree.branch_a2), (people.branch_a1, own)):
        with pytest.raises(NotAllowed, match="县级及以上"):
            list_case(actor, org, vocabulary, campaign)
    with pytest.raises(NotAllowed, match="县级及以上"):
        list_case(people.leader, tree.branch_a2, vocabulary, campaign)
    with pytest.raises(Invalid, match="不是基层党组织"):
        list_case(offices.county_a, tree.town_a, vocabulary, campaign)
    with pytest.raises(Invalid, match="软弱涣散类型"):
        services.list_organization(
            actor=offices.county_a, org=tree.branch_a2, year=today().year, reasons=[]
        )
    assert not WeakOrgCase.objects.exists()
    list_case(people.office, tree.branch_a2, vocabulary, campaign)  # the city office may


def test_relisting_in_a_later_year_keeps_the_earlier_round(weak, offices, people, vocabulary):
    year = today().year
    earlier = weak.case
    WeakOrgCase.objects.filter(pk=earlier.pk).update(year=year - 1)
    earlier.refresh_from_db()
    with pytest.raises(Invalid, match=f"{year - 1}年的整顿尚未验收"):
        list_case(offices.county_a, earlier.org, vocabulary, earlier.campaign)
    support_all(offices.county_a, earlier)
    close(people.branch_a1, offices.county_a, weak.measure)
    _accept(offices.town_a, earlier)
    again = list_case(offices.county_a, earlier.org, vocabulary, earlier.campaign)
    with pytest.raises(Invalid, match=f"已列入{year}年"):
        list_case(offices.county_a, earlier.org, vocabulary, earlier.campaign)
    assert again.year == year and again.state == CaseState.LISTED
    earlier.refresh_from_db()
    assert earlier.state == CaseState.ACCEPTED and earlier.acceptances.count() == 1
    assert list(WeakOrgCase.objects.filter(org=earlier.org).values_list("year", flat=True)) == [
        year,
        year - 1,
    ]


def test_support_is_set_by_an_office_above_with_its_version(weak, offices, people):
    from luoshi.core.errors import Conflict

    with pytest.raises(NotAllowed):
        services.set_support(
            actor=people.branch_a1, case_id=weak.case.pk, version=1, county_leader="某人"
        )
    services.set_support(
        actor=offices.town_a, case_id=weak.case.pk, version=1, township_leader="李镇长"
    )
    with pytest.raises(Conflict):
        services.set_support(
            actor=offices.county_a, case_id=weak.case.pk, version=1, county_leader="王县长"
        )
    weak.case.refresh_from_db()
    assert weak.case.missing_supports == ["县级领导联系", "第一书记驻村", "机关单位结对"]
