"""The ledger's write rules, each defined once and obeyed by the service, the pages and the API:
when a deadline may change, who reports the work and who verifies it (two parties, 代为填报
recorded), 立查立改 verified by the level above, no extension after closure, and a problem
created with its measures all or nothing."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from luoshi.accounts import permissions
from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.rectification import rules, services
from luoshi.rectification.models import (
    DeadlineKind,
    ExtensionState,
    LedgerEvent,
    Measure,
    MeasureState,
    Problem,
    today,
)
from tests.factories import user_with
from tests.rectification.conftest import act, future, pdf, progress, reload

pytestmark = pytest.mark.django_db


def _snapshot(measure):
    m = Measure.objects.get(pk=measure.pk)
    return (m.state, m.version, m.content, m.due_on, m.deadline_kind, m.extensions, m.progress)


def _on_behalf_progress(actor, measure, **kw):
    measure = reload(measure)
    services.report_progress(
        actor=actor,
        measure_id=measure.pk,
        version=measure.version,
        text="代为填报的进展",
        progress=100,
        files=[pdf()],
        **kw,
    )
    return reload(measure)


# --- 1. when a deadline may change: one policy ----------------------------------------------
@pytest.mark.parametrize(
    ("state", "new_due_days", "refused"),
    [
        (MeasureState.NOT_STARTED, 60, False),
        (MeasureState.IN_PROGRESS, 30, False),  # the same date: no change, nothing to refuse
        (MeasureState.IN_PROGRESS, 60, True),
        (MeasureState.RETURNED, 60, True),
        (MeasureState.CLOSED, 60, True),
    ],
)
def test_deadline_policy_refuses_a_new_date_once_work_has_started(state, new_due_days, refused):
    base = today()
    refusal = rules.deadline_change_refusal(
        state=state,
        kind=DeadlineKind.DATE,
        due_on=base + timedelta(days=30),
        new_kind=DeadlineKind.DATE,
        new_due_on=base + timedelta(days=new_due_days),
    )
    assert bool(refusal) == refused
    if refused:
        assert "时限" in refusal


def test_service_refuses_a_new_date_on_a_started_measure_and_keeps_the_rest(ledger, people):
    m = progress(people.branch_a1, ledger.measure, percent=20)
    before = _snapshot(m)
    with pytest.raises(Invalid, match="延期申请"):
        services.update_measure(
            actor=people.branch_a1,
            measure_id=m.pk,
            version=m.version,
            content="改过的措施",
            due_on=future(90),
        )
    assert _snapshot(m) == before


def test_measure_edit_page_says_a_refused_date_change_and_saves_nothing(client, ledger, people):
    m = progress(people.branch_a1, ledger.measure, percent=20)
    before = _snapshot(m)
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:measure_edit", args=[m.pk]),
        {
            "version": m.version,
            "content": "改过的措施",
            "deadline_kind": "date",
            "due_on": future(90).isoformat(),
            "owner_name": "新责任人",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "整改措施未修改" in html and "延期申请" in html
    assert _snapshot(m) == before and reload(m).owner_name == "王五"


def test_measure_edit_page_with_the_same_date_saves_the_wording(client, ledger, people):
    m = progress(people.branch_a1, ledger.measure, percent=20)
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:measure_edit", args=[m.pk]),
        {
            "version": m.version,
            "content": "改过的措施",
            "deadline_kind": "date",
            "due_on": m.due_on.isoformat(),
        },
    )
    assert response.status_code == 302
    assert reload(m).content == "改过的措施" and reload(m).due_on == m.due_on


# --- 2. the 立行立改 deadline: one function ---------------------------------------------------
def test_immediate_deadline_is_the_campaigns_days_from_today_unless_given(campaign):
    assert rules.due_date(campaign, DeadlineKind.IMMEDIATE, None) == today() + timedelta(days=10)
    assert rules.due_date(campaign, DeadlineKind.IMMEDIATE, today()) == today()
    assert rules.due_date(campaign, DeadlineKind.ONGOING, today()) is None
    with pytest.raises(Invalid):
        rules.due_date(campaign, DeadlineKind.DATE, None)


def test_service_and_importer_both_take_the_immediate_deadline_from_the_rule(
    tree, campaign, people, ledger, monkeypatch
):
    from luoshi.ledger_io.importer import import_ledger
    from tests.ledger_io.builders import simple_ledger

    marked = today() + timedelta(days=3)
    monkeypatch.setattr(rules, "due_date", lambda campaign, kind, due_on: marked)
    added = services.add_measure(
        actor=people.branch_a1,
        problem=ledger.problem,
        content="立行立改的措施",
        deadline_kind=DeadlineKind.IMMEDIATE,
    )
    result = import_ledger(
        actor=people.county_a,
        data=simple_ledger([(1, "导入的问题", "导入的措施", "立行立改", "")]),
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
    )
    assert result.errors == [], result.errors
    imported = Measure.objects.get(content="导入的措施")
    assert added.due_on == imported.due_on == marked


# --- 3. who may act: one permissions module --------------------------------------------------
def test_the_state_machine_module_decides_no_roles_of_its_own():
    assert not hasattr(rules, "is_owner") and not hasattr(rules, "verifier_role")
    assert rules.may_report is permissions.may_report
    assert rules.may_verify is permissions.may_verify


def test_permissions_say_who_keeps_reports_and_verifies(tree, ledger, people):
    path = ledger.measure.org_path
    assert permissions.may_keep_ledger(people.county_office_a, path)
    assert permissions.may_report(people.branch_office_a1, path)
    assert not permissions.may_report(people.county_office_a, path)
    assert permissions.may_report(people.county_office_a, path, on_behalf=True)
    assert permissions.reports_only_on_behalf(people.county_office_a, path)
    assert not permissions.may_report(people.leader, path, on_behalf=True)
    assert permissions.may_verify(people.county_office_a, reload(ledger.measure))
    assert not permissions.may_verify(people.branch_office_a1, reload(ledger.measure))


# --- 4. two-party 销号; the level that does the work reports it -------------------------------
def test_upper_office_reporting_without_saying_on_behalf_is_refused(ledger, people):
    m = reload(ledger.measure)
    before = (_snapshot(m), LedgerEvent.objects.count())
    with pytest.raises(NotAllowed, match="代为填报"):
        services.report_progress(
            actor=people.county_office_a,
            measure_id=m.pk,
            version=m.version,
            text="上级替填",
            progress=50,
            files=[pdf()],
        )
    with pytest.raises(NotAllowed, match="代为填报"):
        act(people.county_office_a, m, "start")
    assert (_snapshot(m), LedgerEvent.objects.count()) == before


def test_on_behalf_report_is_recorded_with_the_office_that_made_it(ledger, people, tree):
    m = _on_behalf_progress(people.county_office_a, ledger.measure, on_behalf=True)
    services.transition_measure(
        actor=people.county_office_a,
        measure_id=m.pk,
        action="submit",
        version=m.version,
        on_behalf=True,
    )
    events = LedgerEvent.objects.filter(measure=m, action__in=["progress_reported", "submit"])
    assert [e.after.get("on_behalf") for e in events] == [True, True]
    assert {e.after["reported_by_org"] for e in events} == {tree.county_a.name}
    assert reload(m).submitted_from == tree.county_a.path


def test_colleague_in_the_office_that_asked_for_closure_cannot_verify(ledger, people, tree):
    colleague = user_with(tree.county_a, "office", username="county_office_a2")
    m = _on_behalf_progress(people.county_office_a, ledger.measure, on_behalf=True)
    services.transition_measure(
        actor=people.county_office_a,
        measure_id=m.pk,
        action="submit",
        version=m.version,
        on_behalf=True,
    )
    before = _snapshot(m)
    assert not rules.allowed_actions(colleague, reload(m))
    with pytest.raises(NotAllowed, match="申请销号单位以外"):
        act(colleague, m, "verify")
    assert _snapshot(m) == before
    act(people.guidance_a, m, "verify")  # another body: the guidance group
    assert reload(m).state == MeasureState.CLOSED


def test_own_branch_submission_is_verified_by_the_office_above(ledger, people):
    m = progress(people.branch_office_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    assert [t.action for t in rules.allowed_actions(people.branch_office_a1, reload(m))] == []
    assert "verify" in [t.action for t in rules.allowed_actions(people.county_office_a, reload(m))]
    act(people.county_office_a, m, "verify")
    assert reload(m).state == MeasureState.CLOSED


def test_problem_page_labels_on_behalf_buttons_and_shows_it_in_the_history(client, ledger, people):
    client.force_login(people.county_office_a)
    url = reverse("rectification:problem", args=[ledger.problem.pk])
    html = client.get(url).content.decode()
    assert "代为开始整改" in html and "代为填报（替" in html
    m = reload(ledger.measure)
    refused = client.post(
        reverse("rectification:progress", args=[m.pk]),
        {"version": m.version, "text": "上级替填", "progress": 30},
    )
    assert refused.status_code == 403 and "代为填报" in refused.content.decode()
    assert reload(m).state == MeasureState.NOT_STARTED
    done = client.post(
        reverse("rectification:progress", args=[m.pk]),
        {"version": m.version, "text": "上级替填", "progress": 30, "on_behalf": "1"},
    )
    assert done.status_code == 302
    assert 'data-testid="on-behalf"' in client.get(url).content.decode()


def test_api_transition_by_an_upper_office_needs_on_behalf(client, ledger, people):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.county_office_a)}"}
    m = reload(ledger.measure)
    shown = client.get(f"/api/v1/measures/{m.pk}", **headers).json()
    assert shown["on_behalf"] is True and shown["allowed_actions"] == ["start"]
    url = f"/api/v1/measures/{m.pk}/transitions"
    refused = client.post(
        url,
        json.dumps({"action": "start", "version": m.version}),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 403 and "代为填报" in refused.json()["detail"]
    assert reload(m).state == MeasureState.NOT_STARTED
    done = client.post(
        url,
        json.dumps({"action": "start", "version": m.version, "on_behalf": True}),
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 200 and done.json()["state"] == MeasureState.IN_PROGRESS


# --- 5. 立查立改: one form, verified by the level above, shown when verified ------------------
def test_board_shows_an_immediate_fix_only_once_the_level_above_has_verified_it(
    client, tree, campaign, people
):
    problem = services.record_immediate_fix(
        actor=people.branch_a1,
        org=tree.branch_a1,
        campaign=campaign,
        title="楼道灯不亮",
        measure="已更换楼道灯",
        files=[pdf("灯.pdf")],
    )
    board = reverse("opinions:board", args=[tree.city.code])
    assert "楼道灯不亮" not in client.get(board).content.decode()
    act(people.county_office_a, problem.measures.get(), "verify")
    from django.core.cache import cache

    cache.clear()
    assert "楼道灯不亮" in client.get(board).content.decode()


def test_immediate_fix_by_an_upper_office_must_say_on_behalf(tree, campaign, people):
    with pytest.raises(NotAllowed, match="代为填报"):
        services.record_immediate_fix(
            actor=people.county_office_a,
            org=tree.branch_a1,
            campaign=campaign,
            title="替村里登记",
            measure="做了",
            files=[pdf()],
        )
    assert not Problem.objects.filter(title="替村里登记").exists()


def test_immediate_fix_page_asks_for_closure_instead_of_closing(client, tree, campaign, people):
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:immediate_fix"),
        {
            "org": tree.branch_a1.pk,
            "campaign": campaign.pk,
            "title": "路面坑洼",
            "measure": "已修补",
            "files": pdf("修补.pdf"),
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get(problem__title="路面坑洼")
    assert measure.state == MeasureState.SUBMITTED and measure.closed_at is None


def test_immediate_fix_form_offers_on_behalf_only_to_who_would_act_on_behalf(
    client, tree, campaign, people
):
    url = reverse("rectification:immediate_fix")
    client.force_login(people.branch_a1)  # records its own branch's fix: nothing to tick
    own = client.get(url).content.decode()
    assert "登记并申请销号" in own
    assert 'name="on_behalf"' not in own and "代为填报" not in own
    client.force_login(people.county_office_a)  # may record its branches' fixes for them
    above = client.get(url).content.decode()
    assert 'name="on_behalf"' in above and "代为填报" in above


# --- 6. no extension after closure --------------------------------------------------------------
def _closed_with_pending_extension(ledger, people):
    m = progress(people.branch_a1, ledger.measure)
    extension = services.request_extension(
        actor=people.branch_a1, measure_id=m.pk, new_due_on=future(90), reason="需要更多时间"
    )
    act(people.branch_a1, m, "submit")
    act(people.county_office_a, m, "verify")
    return reload(m), extension


def test_extension_cannot_be_approved_after_the_measure_is_closed(ledger, people):
    m, extension = _closed_with_pending_extension(ledger, people)
    before = _snapshot(m)
    with pytest.raises(Invalid, match="已销号"):
        services.decide_extension(actor=people.guidance_a, extension_id=extension.pk, approve=True)
    assert _snapshot(m) == before
    extension.refresh_from_db()
    assert extension.state == ExtensionState.PENDING
    with pytest.raises(Invalid, match="已销号"):
        services.request_extension(
            actor=people.branch_a1, measure_id=m.pk, new_due_on=future(120), reason="再延"
        )


def test_extension_decision_page_after_closure_says_so(client, ledger, people):
    m, extension = _closed_with_pending_extension(ledger, people)
    before = _snapshot(m)
    client.force_login(people.guidance_a)
    response = client.post(
        reverse("rectification:extension_decide", args=[extension.pk]), {"decision": "approve"}
    )
    assert response.status_code == 400 and "已销号" in response.content.decode()
    assert _snapshot(m) == before


# --- 7. a problem with its measures, all or nothing ---------------------------------------------
def test_problem_with_a_refused_measure_is_not_created(tree, campaign, people):
    with pytest.raises(Invalid):
        services.create_problem_with_measures(
            actor=people.branch_a1,
            org=tree.branch_a1,
            campaign=campaign,
            title="留下孤儿问题",
            measures=[{"content": "没有时限的措施", "deadline_kind": "date", "due_on": None}],
        )
    assert not Problem.objects.filter(title="留下孤儿问题").exists()


def test_problem_form_with_a_refused_measure_leaves_no_problem(client, tree, campaign, people):
    client.force_login(people.branch_a1)
    data = {
        "org": tree.branch_a1.pk,
        "campaign": campaign.pk,
        "title": "留下孤儿问题",
        "level": "team",
        "m-content": "没有时限的措施",
        "m-deadline_kind": "date",
    }
    for _ in range(2):
        response = client.post(reverse("rectification:problem_create"), data)
        assert response.status_code == 400 and "必须填写完成时限" in response.content.decode()
    assert not Problem.objects.filter(title="留下孤儿问题").exists()
