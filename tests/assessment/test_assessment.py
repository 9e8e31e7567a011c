"""Assessment: each computed indicator equals a direct count of its rows, weights and grades,
scores as of a past day that later data does not move, manual scores by the guidance group,
rankings, publications, the survey's one answer per code."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.assessment import formulas, scoring, services
from luoshi.assessment.models import Grade, IndicatorKind, SurveyAnswer
from luoshi.campaigns.models import ActionItem
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.registry import subtree_figures
from luoshi.opinions.models import Opinion
from luoshi.orgs.models import LeadershipTeam
from luoshi.rectification.models import Measure
from luoshi.study.models import StudyActivity
from tests.assessment.conftest import PAST, TODAY, at
from tests.factories import user_with

pytestmark = pytest.mark.django_db


def _in(path, rows):
    return [r for r in rows if r.org_path.startswith(path)]


def _direct(path, day, campaign):
    """Each formula's value counted row by row in Python, not through the formulas' queries."""
    end = formulas.end_of(day)
    measures = _in(path, Measure.objects.filter(campaign=campaign, created_at__lte=end))
    closed = [m for m in measures if m.state == "closed" and m.closed_at and m.closed_at <= end]
    on_time = [m for m in closed if not m.was_overdue and m.extensions == 0]
    items = _in(path, ActionItem.objects.filter(action__campaign=campaign))
    due = [i for i in items if i.due_on <= day and i.action.launched_at <= end]
    done = [i for i in due if i.state == "done" and i.done_on <= day]
    pairs = met = 0
    for target in campaign.study_targets.all():
        for team in _in(path, LeadershipTeam.objects.all()):
            n = sum(
                1
                for a in StudyActivity.objects.filter(team=team, kind=target.kind)
                if campaign.starts_on <= a.starts_on <= day
            )
            pairs += 1
            met += n >= target.per_team
    opinions = [o for o in _in(path, Opinion.objects.all()) if o.submitted_at <= end]
    handled = [o for o in opinions if o.handled_at and o.handled_at <= end]
    ratings = [
        o.rating for o in _in(path, Opinion.objects.all()) if o.rated_at and o.rated_at <= end
    ]
    for answer in _in(path, SurveyAnswer.objects.all()):
        if answer.answered_at <= end:
            ratings += answer.ratings
    good = sum(r in ("satisfied", "basic") for r in ratings)
    return {
        "on_time_closure": len(on_time) / len(closed),
        "key_actions_done": len(done) / len(due),
        "study_target": met / pairs,
        "opinions_answered": len(handled) / len(opinions),
        "public_satisfaction": good / len(ratings),
    }


def test_every_computed_indicator_equals_a_direct_count(tree, campaign, scheme, facts):
    card = scoring.score_card(scheme, tree.county_a, TODAY)
    direct = _direct(tree.county_a.path, TODAY, campaign)
    values = {i.name: i.value for i in card.flat()}
    by_formula = {i.formula: i.name for i in scheme.indicators.exclude(formula="")}
    for key, expected in direct.items():
        assert values[by_formula[key]] == pytest.approx(expected), key
    # and the figures shown explain it: the ledger's closed and closed on time
    closure = next(i for i in card.flat() if i.name == "整改按期销号率")
    assert dict(closure.figures)["已销号"] == 3 and dict(closure.figures)["按期销号"] == 2
    assert 0 < min(direct.values()) and max(direct.values()) <= 1


def test_a_formula_not_built_yet_says_no_data_and_is_left_out_not_scored_zero(tree, scheme, facts):
    card = scoring.score_card(scheme, tree.county_a, TODAY)
    hook = next(i for i in card.flat() if i.name == "一月一走访覆盖率")
    assert hook.value is None and hook.points is None and "暂无数据" in hook.note
    manual = next(i for i in card.flat() if i.name == "指导组评价")
    assert manual.value is None  # not scored yet
    known = [i for i in card.items if i.value is not None]
    expected = 100 * sum(i.value * i.weight for i in known) / sum(i.weight for i in known)
    assert card.base == pytest.approx(expected, abs=0.01)
    empty = scoring.score_card(scheme, tree.county_b, TODAY)
    assert empty.total is None and empty.grade_label == "暂无数据"


def test_weights_bonuses_deductions_and_grades(tree, campaign, people, facts):
    s = services.create_scheme(
        actor=people.office, org=tree.city, campaign=campaign, name="手工评分", level=3
    )
    group = services.add_indicator(
        actor=people.office, scheme=s, name="组织领导", weight=60, kind=IndicatorKind.MANUAL
    )
    a = services.add_indicator(
        actor=people.office, scheme=s, name="部署", weight=1, kind="manual", parent=group
    )
    b = services.add_indicator(
        actor=people.office, scheme=s, name="督导", weight=3, kind="manual", parent=group
    )
    c = services.add_indicator(actor=people.office, scheme=s, name="成效", weight=40, kind="manual")
    for indicator, points in ((a, 1), (b, 1.5), (c, 30)):
        services.give_manual_score(
            actor=facts.guidance,
            indicator=indicator,
            org=tree.county_a,
            points=points,
            reason="督导检查",
            scored_on=TODAY,
        )
    # group = (1.0*1 + 0.5*3) / 4 = 0.625; total = 100 * (0.625*60 + 0.75*40) / 100 = 67.5
    card = scoring.score_card(s, tree.county_a, TODAY)
    assert card.items[0].value == pytest.approx(0.625) and card.base == pytest.approx(67.5)
    assert card.grade == Grade.FAIR
    services.adjust_score(
        actor=people.office,
        scheme=s,
        org=tree.county_a,
        kind="bonus",
        points=15,
        reason="经验做法被上级推广",
        on=TODAY,
    )
    card = scoring.score_card(s, tree.county_a, TODAY)
    assert card.total == 82.5 and card.grade == Grade.FAIRLY_GOOD
    services.adjust_score(
        actor=facts.guidance,
        scheme=s,
        org=tree.county_a,
        kind="deduction",
        points=20,
        reason="台账弄虚作假",
        on=TODAY,
    )
    card = scoring.score_card(s, tree.county_a, TODAY)
    assert card.total == 62.5 and card.grade == Grade.FAIR
    assert scoring.grade_of(s, 90) == Grade.GOOD and scoring.grade_of(s, 59.9) == Grade.POOR


def test_scores_as_of_a_past_day_do_not_change_when_later_data_arrives(
    tree, campaign, scheme, facts, people, ledger
):
    before = scoring.score_card(scheme, tree.county_a, PAST).as_json()
    assert before["total"] is not None
    # later: a late closure, a new measure, an item done, an opinion handled and rated badly,
    # a survey answer, a manual score and a deduction, all dated after PAST
    Measure.objects.filter(pk=ledger.measure.pk).update(
        state="closed", closed_at=at(TODAY), was_overdue=True
    )
    ActionItem.objects.filter(state="pending").update(state="done", done_on=TODAY)
    Opinion.objects.filter(handled_at=None).update(
        handled_at=at(TODAY), state="answered", rating="unsatisfied", rated_at=at(TODAY)
    )
    survey = services.create_survey(
        actor=people.county_a, org=tree.county_a, title="测评", opens_on=TODAY, closes_on=TODAY
    )
    [code] = services.issue_codes(actor=people.county_a, survey=survey, count=1)
    services.answer_survey(survey=survey, code=code, ratings=["unsatisfied"] * 3)
    manual = scheme.indicators.get(kind="manual")
    services.give_manual_score(
        actor=facts.guidance,
        indicator=manual,
        org=tree.county_a,
        points=2,
        reason="差",
        scored_on=TODAY,
    )
    services.adjust_score(
        actor=people.office, scheme=scheme, org=tree.county_a, kind="deduction", points=5,
        reason="通报批评", on=TODAY,
    )  # fmt: skip
    assert scoring.score_card(scheme, tree.county_a, PAST).as_json() == before
    assert scoring.score_card(scheme, tree.county_a, TODAY).as_json() != before


def test_only_a_guidance_group_scores_a_manual_indicator_and_says_why(tree, scheme, facts, people):
    manual = scheme.indicators.get(kind="manual")
    with pytest.raises(NotAllowed, match="只有指导组"):
        services.give_manual_score(
            actor=people.office, indicator=manual, org=tree.county_a, points=5, reason="x",
            scored_on=TODAY,
        )  # fmt: skip
    with pytest.raises(Invalid, match="评分理由"):
        services.give_manual_score(
            actor=facts.guidance, indicator=manual, org=tree.county_a, points=5, reason=" ",
            scored_on=TODAY,
        )  # fmt: skip
    with pytest.raises(Invalid, match="得分应在"):
        services.give_manual_score(
            actor=facts.guidance, indicator=manual, org=tree.county_a, points=11, reason="x",
            scored_on=TODAY,
        )  # fmt: skip
    computed = scheme.indicators.get(formula="on_time_closure")
    with pytest.raises(Invalid, match="自动计算"):
        services.give_manual_score(
            actor=facts.guidance, indicator=computed, org=tree.county_a, points=5, reason="x",
            scored_on=TODAY,
        )  # fmt: skip


def test_survey_takes_one_answer_per_code_and_feeds_satisfaction(client, tree, people):
    survey = services.create_survey(
        actor=people.county_a, org=tree.county_a, title="群众满意度测评",
        opens_on=TODAY, closes_on=TODAY + timedelta(days=5),
    )  # fmt: skip
    codes = services.issue_codes(actor=people.county_a, survey=survey, count=3)
    assert len(set(codes)) == 3
    url = reverse("assessment:public_survey", args=[survey.key])
    assert client.get(url).status_code == 200
    assert client.get(reverse("assessment:survey_qr", args=[survey.key]))["Content-Type"] == (
        "image/svg+xml"
    )
    answer = {"code": codes[0], "q0": "satisfied", "q1": "basic", "q2": "unsatisfied"}
    assert client.post(url, answer).status_code == 200
    again = client.post(url, answer)
    assert again.status_code == 400 and "只能提交一次" in again.content.decode()
    assert client.post(url, {**answer, "code": "NOT-A-CODE"}).status_code == 400
    assert SurveyAnswer.objects.count() == 1
    measured = formulas.public_satisfaction(tree.county_a.path, TODAY, None)
    assert measured.value == pytest.approx(2 / 3)
    figures = subtree_figures(tree.city.path)
    assert figures["assessment_survey_answers"] == 1
    assert figures["assessment_survey_satisfaction"] == 66.7
    from luoshi.core.registry import report_paragraphs

    said = " ".join(report_paragraphs(tree.city, figures))
    assert "群众满意度测评1次" in said and "66.7%" in said


def test_rankings_best_and_worst_first_and_the_county_sees_its_published_score(
    client, tree, scheme, facts, people
):
    ranked = scoring.ranking(scheme, [tree.county_b, tree.county_a], TODAY)
    assert [c.org_name for _, c in ranked] == ["甲区委", "乙县委"] and ranked[1][0] == 0
    worst = scoring.ranking(scheme, [tree.county_a, tree.county_b], TODAY, worst_first=True)
    assert worst[0][1].org_name == "甲区委"
    publication = services.publish_rankings(
        actor=people.office, scheme=scheme, org=tree.city, as_of=TODAY
    )
    county = user_with(tree.county_a, "liaison", username="county_a_reader")
    client.force_login(county)
    page = client.get(reverse("assessment:publication", args=[publication.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "甲区委得分说明" in body and "乙县委得分说明" not in body
    assert "按期销号" in body
    url = reverse("assessment:publication", args=[publication.pk])
    client.force_login(user_with(tree.county_b, "liaison", username="b_reader"))
    other = client.get(url).content.decode()
    assert "乙县委得分说明" in other and "甲区委得分说明" not in other
    client.force_login(user_with(tree.branch_b1, "liaison", username="b1_reader"))
    assert client.get(url).status_code == 404  # a branch is not ranked in it


def test_office_pages_and_the_excel_export(client, tree, scheme, facts, people):
    client.force_login(people.office)
    assert client.get(reverse("assessment:index")).status_code == 200
    page = client.get(reverse("assessment:scheme", args=[scheme.pk]))
    assert page.status_code == 200 and "甲区委" in page.content.decode()
    card = client.get(f"{reverse('assessment:card', args=[scheme.pk])}?org={tree.county_a.pk}")
    assert card.status_code == 200 and "暂无数据" in card.content.decode()
    export = client.get(reverse("assessment:export", args=[scheme.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert rows[0][1] == "甲区委" and rows[0][0] == 1
    client.force_login(people.branch_b1)
    assert (
        client.get(
            f"{reverse('assessment:card', args=[scheme.pk])}?org={tree.county_a.pk}"
        ).status_code
        == 404
    )


def test_self_assessment_is_the_units_own_and_shown_beside_the_groups(
    client, tree, scheme, facts, people
):
    county_office = user_with(tree.county_a, "office", username="county_a_office")
    with pytest.raises(NotAllowed):
        services.self_assess(
            actor=people.office, scheme=scheme, org=tree.county_a, points=95, summary="好", on=TODAY
        )
    services.self_assess(
        actor=county_office,
        scheme=scheme,
        org=tree.county_a,
        points=95,
        summary="成效明显",
        on=TODAY,
    )
    card = scoring.score_card(scheme, tree.county_a, TODAY)
    assert card.self_points == 95.0 and card.total != 95.0


def test_api_gives_a_score_explained_and_refuses_a_foreign_org(client, tree, scheme, facts):
    from luoshi.accounts.tokens import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(facts.guidance)}"}
    url = f"/api/v1/assessment/schemes/{scheme.pk}/score?org_id={tree.county_a.pk}"
    card = client.get(url, **auth).json()
    assert card["org_name"] == "甲区委" and card["items"][0]["figures"]
    foreign = f"/api/v1/assessment/schemes/{scheme.pk}/score?org_id={tree.county_b.pk}"
    other = user_with(tree.branch_a1, "liaison", username="api_branch")
    auth_b = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(other)}"}
    assert client.get(foreign, **auth_b).status_code == 404
    manual = scheme.indicators.get(kind="manual")
    body = {"indicator_id": manual.pk, "org_id": tree.county_a.pk, "points": 8, "reason": "好"}
    import json

    made = client.post(
        f"/api/v1/assessment/schemes/{scheme.pk}/manual-scores",
        json.dumps(body),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201
    assert timezone.localdate() == TODAY
