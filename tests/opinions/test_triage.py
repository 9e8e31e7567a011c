"""Triage by the organisation: accept into the ledger (new problem or merged), answer, pass on,
decline; closing the loop with the sender; figures."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.opinions import selectors, services
from luoshi.opinions.models import Opinion, OpinionEvent, OpinionState
from luoshi.rectification import services as ledger
from luoshi.rectification.models import Problem, ProblemStatus
from tests.rectification.conftest import act, progress

pytestmark = pytest.mark.django_db


def _track(client, code):
    return client.post(reverse("opinions:track"), {"code": code}).content.decode()


def test_accepting_creates_a_problem_of_source_opinions_linked_both_ways(submit, office, tree):
    opinion, _ = submit(text="便民服务中心中午不开门，上班族办事不方便")
    problem = services.accept_opinion(
        actor=office.branch,
        opinion_id=opinion.pk,
        version=opinion.version,
        title="便民服务时间与群众需求不匹配",
        measure="实行中午轮班值守",
        due_on=timezone.localdate() + timedelta(days=20),
    )
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.ACCEPTED and opinion.problem == problem
    assert problem.source.name == "征求意见" and problem.org == tree.branch_a1
    assert problem.description == opinion.text
    assert list(problem.opinions.all()) == [opinion]
    assert problem.measures.get().content == "实行中午轮班值守"
    assert opinion.handle_seconds is not None and opinion.handled_by == office.branch
    assert problem.events.filter(action="problem_created").exists()
    assert [e.action for e in opinion.events.all()] == ["received", "accepted"]


def test_several_opinions_merge_into_one_problem(submit, office):
    first, _ = submit(text="小区路灯坏了两个月没人修")
    second, _ = submit(text="晚上小区太黑，路灯一直不亮")
    problem = services.accept_opinion(
        actor=office.branch, opinion_id=first.pk, version=1, title="小区路灯长期不亮"
    )
    merged = services.accept_opinion(
        actor=office.branch, opinion_id=second.pk, version=1, problem_id=problem.pk
    )
    assert merged == problem
    assert set(problem.opinions.all()) == {first, second}
    assert Problem.objects.count() == 1
    assert selectors.opinion_figures(problem.org_path)["opinion_problems"] == 1


def test_merging_into_a_problem_of_another_county_is_404_and_changes_nothing(
    submit, office, campaign, tree
):
    foreign = ledger.create_problem(
        actor=office.other_branch, org=tree.branch_b1, campaign=campaign, title="乙一村的问题"
    )
    opinion, _ = submit()
    with pytest.raises(Http404):
        services.accept_opinion(
            actor=office.branch, opinion_id=opinion.pk, version=1, problem_id=foreign.pk
        )
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.PENDING and opinion.problem is None


def test_answer_decline_and_their_rules(submit, office):
    a, _ = submit()
    b, _ = submit(text="希望公开村集体经济收支情况")
    with pytest.raises(Invalid, match="请填写答复内容"):
        services.answer_opinion(actor=office.branch, opinion_id=a.pk, version=1, answer="  ")
    with pytest.raises(Invalid, match="须填写理由"):
        services.decline_opinion(actor=office.branch, opinion_id=b.pk, version=1, reason="")
    services.answer_opinion(actor=office.branch, opinion_id=a.pk, version=1, answer="已修好")
    services.decline_opinion(
        actor=office.branch, opinion_id=b.pk, version=1, reason="已按季度公开，见村务公开栏"
    )
    with pytest.raises(Invalid, match="不能重复办理"):
        services.decline_opinion(actor=office.branch, opinion_id=a.pk, version=2, reason="x")
    a.refresh_from_db()
    assert a.state == OpinionState.ANSWERED and a.answer == "已修好"


def test_stale_version_is_a_conflict_and_the_first_decision_stands(submit, office):
    opinion, _ = submit()
    services.answer_opinion(actor=office.branch, opinion_id=opinion.pk, version=1, answer="第一")
    with pytest.raises(Conflict):
        services.answer_opinion(
            actor=office.county, opinion_id=opinion.pk, version=1, answer="第二"
        )
    opinion.refresh_from_db()
    assert opinion.answer == "第一" and opinion.version == 2
    assert OpinionEvent.objects.filter(opinion=opinion, action="answered").count() == 1


def test_leaders_see_but_may_not_decide_and_other_branches_get_404(submit, office):
    opinion, _ = submit()
    assert selectors.opinions(office.leader, selectors.OpinionFilter()).count() == 1
    with pytest.raises(NotAllowed):
        services.answer_opinion(
            actor=office.leader, opinion_id=opinion.pk, version=1, answer="领导批示"
        )
    with pytest.raises(Http404):
        services.answer_opinion(
            actor=office.other_branch, opinion_id=opinion.pk, version=1, answer="越权"
        )
    assert selectors.opinions(office.other_branch, selectors.OpinionFilter()).count() == 0
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.PENDING


def test_passing_on_moves_the_opinion_into_the_other_subtree(submit, office, tree, client):
    opinion, code = submit(org=tree.county_a, text="甲一社区门口道路破损")
    services.transfer_opinion(
        actor=office.county,
        opinion_id=opinion.pk,
        version=1,
        org_id=tree.branch_a1.pk,
        note="属社区职责",
    )
    opinion.refresh_from_db()
    assert opinion.org == tree.branch_a1 and opinion.org_path == tree.branch_a1.path
    assert opinion.state == OpinionState.TRANSFERRED and opinion.transferred_from == tree.county_a
    # Now the branch handles it, and the sender sees that it was passed on.
    assert "已转交相关单位办理" in _track(client, code)
    services.answer_opinion(actor=office.branch, opinion_id=opinion.pk, version=2, answer="已修复")
    assert "已修复" in _track(client, code)


def test_a_branch_cannot_pass_upward_and_a_passed_on_opinion_leaves_its_sight(submit, office, tree):
    opinion, _ = submit()
    # A branch liaison sees only the branch's subtree, so its county is not a target.
    with pytest.raises(Http404):
        services.transfer_opinion(
            actor=office.branch, opinion_id=opinion.pk, version=1, org_id=tree.county_a.pk
        )
    services.transfer_opinion(
        actor=office.county, opinion_id=opinion.pk, version=1, org_id=tree.branch_a2.pk
    )
    with pytest.raises(Http404):
        services.answer_opinion(actor=office.branch, opinion_id=opinion.pk, version=2, answer="x")


def test_passing_on_outside_what_the_user_may_see_is_404_and_changes_nothing(submit, office, tree):
    opinion, _ = submit(org=tree.county_a)
    with pytest.raises(Http404):
        services.transfer_opinion(
            actor=office.county, opinion_id=opinion.pk, version=1, org_id=tree.branch_b1.pk
        )
    opinion.refresh_from_db()
    assert opinion.org == tree.county_a and opinion.state == OpinionState.PENDING


def test_the_loop_closes_when_the_measures_are_closed_and_the_sender_rates_once(
    client, submit, office, people
):
    opinion, code = submit(text="社区卫生服务站药品种类少")
    problem = services.accept_opinion(
        actor=office.branch,
        opinion_id=opinion.pk,
        version=1,
        title="卫生服务站药品不全",
        measure="与区医院建立药品调配机制",
        due_on=timezone.localdate() + timedelta(days=30),
        answer="已纳入整改，感谢您的意见",
    )
    page = _track(client, code)
    assert "已采纳" in page and "整改完成后，这里会公布整改结果" in page
    assert "与区医院建立药品调配机制" not in page  # not done yet
    with pytest.raises(Invalid, match="办理完成后才能评价"):
        services.rate_opinion(code=code, rating="satisfied")

    measure = problem.measures.get()
    progress(people.branch_a1, measure)
    act(people.branch_a1, measure, "submit")
    act(people.guidance_a, measure, "verify")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED

    page = _track(client, code)
    assert "与区医院建立药品调配机制" in page and "完成" in page and 'name="rating"' in page
    response = client.post(reverse("opinions:rate"), {"code": code, "rating": "basic"})
    assert "感谢您的评价" in response.content.decode()
    again = client.post(reverse("opinions:rate"), {"code": code, "rating": "unsatisfied"})
    assert again.status_code == 400 and "已评价过" in again.content.decode()
    opinion.refresh_from_db()
    assert opinion.rating == "basic"
    assert selectors.opinion_figures(opinion.org_path)["rating_basic"] == 1


def test_figures_count_handling_days_and_satisfaction(submit, office, tree):
    now = timezone.now()
    sent = [submit(text=f"第{i}条意见建议") for i in range(4)]
    for days, (opinion, _) in zip((1, 3, 10), sent, strict=False):
        Opinion.objects.filter(pk=opinion.pk).update(submitted_at=now - timedelta(days=days))
        services.answer_opinion(
            actor=office.branch, opinion_id=opinion.pk, version=1, answer="已答复"
        )
    services.rate_opinion(code=sent[0][1], rating="satisfied")
    services.rate_opinion(code=sent[1][1], rating="unsatisfied")
    f = selectors.opinion_figures(tree.city.path)
    assert f["opinions"] == 4 and f["opinions_open"] == 1 and f["opinions_answered"] == 3
    assert f["opinion_days_median"] == pytest.approx(3.0, abs=0.05)
    assert f["opinion_days_avg"] == pytest.approx(4.7, abs=0.05)
    assert (f["opinions_rated"], f["satisfaction_rate"]) == (2, 50.0)
    assert selectors.opinion_figures(tree.county_b.path)["opinions"] == 0
