"""The monthly cycle: visits stored once per key, figures equal to direct counts for any
subtree, findings passed up linked both ways, carried-over counts, scoping."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.monthly import importer, selectors, services
from luoshi.monthly.models import (
    Finding,
    FindingState,
    MonthlyVisit,
    TargetAssignment,
    VisitTarget,
)
from luoshi.monthly.months import add_months, current_month
from luoshi.rectification.models import Problem
from tests.factories import user_with
from tests.opinions.conftest import png

pytestmark = pytest.mark.django_db


def visit(actor, target, *, key=None, findings=(("livelihood", "路灯坏了"),), at=None, **kw):
    return services.record_visit(
        actor=actor,
        key=key or uuid.uuid4(),
        target_id=target.pk,
        visited_at=at or timezone.now(),
        asked="了解生活情况",
        findings=findings,
        **kw,
    )


def test_the_same_offline_submission_sent_twice_creates_one_visit(client, cycle):
    client.force_login(cycle.cadre_a)
    key = str(uuid.uuid4())
    data = {
        "key": key,
        "target": cycle.targets["张三户"].pk,
        "visited_at": (timezone.now() - timedelta(hours=3)).isoformat(),
        "asked": "问了医保",
        "finding_kind": ["livelihood"],
        "finding_text": ["看病报销不清楚"],
    }
    headers = {"HTTP_X_REQUESTED_WITH": "luoshi-offline"}
    first = client.post(reverse("monthly:visit_submit"), {**data, "photos": png()}, **headers)
    again = client.post(reverse("monthly:visit_submit"), {**data, "photos": png()}, **headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["visit"] == again.json()["visit"]
    assert MonthlyVisit.objects.filter(key=key).count() == 1
    stored = MonthlyVisit.objects.get(key=key)
    assert stored.findings.count() == 1 and stored.photos.count() == 1
    # the time it was really made, not the time it arrived
    assert abs((stored.visited_at - (timezone.now() - timedelta(hours=3))).total_seconds()) < 60


def test_the_api_answers_the_first_visit_for_a_key_sent_again(client, cycle):
    from luoshi.accounts.tokens import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.cadre_a)}"}
    body = {
        "key": str(uuid.uuid4()),
        "target_id": cycle.targets["李四户"].pk,
        "visited_at": timezone.now().isoformat(),
        "findings": [{"kind": "policy", "text": "咨询危房改造"}],
    }
    send = lambda: client.post(  # noqa: E731
        "/api/v1/monthly/visits", json.dumps(body), content_type="application/json", **auth
    )
    first, again = send(), send()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False
    assert MonthlyVisit.objects.count() == 1 and Finding.objects.count() == 1


def test_the_api_takes_a_visits_photos_once_with_its_key(client, cycle, tree):
    """The JSON visit's photos follow as multipart with the visit's key: checked like the
    page's (a file that is not a photo is refused in Chinese), stored once however often
    they are sent, and served by the visit's photo page."""
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from luoshi.accounts.tokens import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.cadre_a)}"}
    v, _ = visit(cycle.cadre_a, cycle.targets["李四户"])
    url = f"/api/v1/monthly/visits/{v.pk}/photos"
    bad = client.post(
        url, {"key": str(v.key), "photos": SimpleUploadedFile("a.jpg", b"not a photo")}, **auth
    )
    assert bad.status_code == 400 and "a.jpg" in bad.json()["detail"]
    wrong_key = client.post(url, {"key": str(uuid.uuid4()), "photos": png()}, **auth)
    assert wrong_key.status_code == 409 and "提交标识" in wrong_key.json()["detail"]
    assert v.photos.count() == 0
    first = client.post(url, {"key": str(v.key), "photos": [png(), png("2.png")]}, **auth)
    again = client.post(url, {"key": str(v.key), "photos": [png(), png("2.png")]}, **auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(first.json()["photos"]) == 2 and again.json()["photos"] == first.json()["photos"]
    assert v.photos.count() == 2
    assert all(default_storage.exists(services.photo_key(p.stored_name)) for p in v.photos.all())
    client.force_login(cycle.cadre_a)
    assert client.get(reverse("monthly:photo", args=[v.photos.first().pk])).status_code == 200
    # another branch's cadre: not there
    other = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.cadre_b)}"}
    assert client.post(url, {"key": str(v.key), "photos": png()}, **other).status_code == 404


def test_a_visit_time_in_the_future_or_long_ago_is_refused(cycle):
    target = cycle.targets["张三户"]
    with pytest.raises(Invalid, match="晚于当前时间"):
        visit(cycle.cadre_a, target, at=timezone.now() + timedelta(hours=2))
    with pytest.raises(Invalid, match="只能登记"):
        visit(cycle.cadre_a, target, at=timezone.now() - timedelta(days=80))
    assert not MonthlyVisit.objects.exists()


def test_only_the_assigned_cadre_or_a_manager_records_a_visit(cycle, tree):
    other = cycle.targets["王五户"]
    from django.http import Http404

    with pytest.raises(Http404):  # another branch's target: not found
        visit(cycle.cadre_a, other)
    stranger = cycle.targets["甲二企业"]  # branch a2: outside the a1 cadre's scope
    with pytest.raises(Http404):
        visit(cycle.cadre_a, stranger)
    colleague = user_with(tree.branch_a1, "viewer", username="colleague")
    with pytest.raises(NotAllowed):
        visit(colleague, cycle.targets["张三户"])
    v, created = visit(cycle.liaison_a, cycle.targets["张三户"])
    assert created and v.cadre == cycle.liaison_a


def _direct(path, month):
    """The figures recounted by hand, row by row in Python."""
    within = lambda qs: [r for r in qs if r.org_path.startswith(path)]  # noqa: E731
    end = add_months(month, 1)
    assigned = {
        a.target_id
        for a in within(TargetAssignment.objects.all())
        if a.starts_on < end and (a.ends_on is None or a.ends_on >= month)
    }
    visits = [v for v in within(MonthlyVisit.objects.all()) if v.month == month]
    findings = within(Finding.objects.all())
    return {
        "monthly_targets_assigned": len(assigned),
        "monthly_targets_visited": len({v.target_id for v in visits} & assigned),
        "monthly_visits": len(visits),
        "monthly_findings": sum(f.month == month for f in findings),
        "monthly_judged": sum(f.closed_month == month for f in findings),
        "monthly_resolved": sum(
            f.closed_month == month and f.state == FindingState.RESOLVED for f in findings
        ),
        "monthly_passed_up": sum(
            f.closed_month == month and f.state == FindingState.PASSED_UP for f in findings
        ),
        "monthly_carried_over": sum(
            f.month < month and (f.closed_month is None or f.closed_month >= month)
            for f in findings
        ),
    }


def test_a_months_figures_equal_a_direct_count_for_every_subtree(cycle, tree, users):
    last = add_months(current_month(), -1)
    last_day = timezone.make_aware(
        timezone.datetime.combine(last + timedelta(days=3), timezone.datetime.min.time())
    )
    for target, cadre in (("张三户", cycle.cadre_a), ("王五户", cycle.cadre_b)):
        visit(cadre, cycle.targets[target], at=last_day)
    visit(cycle.cadre_a, cycle.targets["张三户"], findings=[("dispute", "宅基地纠纷")])
    visit(cycle.cadre_a, cycle.targets["李四户"], findings=[])
    first = Finding.objects.filter(month=last, org=tree.branch_a1).first()
    services.decide_finding(actor=cycle.liaison_a, finding_id=first.pk, decision="resolve")
    services.assign_target(
        actor=cycle.office, target_id=cycle.targets["甲二企业"].pk, cadre=users.county_a
    )
    for org in (
        tree.city,
        tree.county_a,
        tree.town_a,
        tree.branch_a1,
        tree.branch_a2,
        tree.county_b,
        tree.branch_b1,
    ):
        for month in (last, current_month()):
            figures = selectors.month_figures(org.path, month)
            expected = _direct(org.path, month)
            assert {k: figures[k] for k in expected} == expected, (org.name, month)
    # both of last month's findings were open when this month began (one judged since)
    assert selectors.month_figures(tree.city.path, current_month())["monthly_carried_over"] == 2


def test_coverage_counts_only_targets_assigned_in_the_month_and_never_exceeds_100(
    cycle, tree, users
):
    """A manager visiting a target nobody is assigned to (甲二企业), or one assigned only from
    next month, does not raise coverage: every coverage figure counts targets visited AND
    assigned in the month."""
    from luoshi.assessment import formulas

    t = cycle.targets
    visit(cycle.cadre_a, t["张三户"])
    visit(users.office, t["甲二企业"])  # nobody's target
    TargetAssignment.objects.filter(target=t["李四户"]).update(
        starts_on=add_months(current_month(), 1)  # assigned only from next month
    )
    visit(cycle.office, t["李四户"])
    month = current_month()
    figures = selectors.month_figures(tree.county_a.path, month)
    assert (figures["monthly_targets_assigned"], figures["monthly_targets_visited"]) == (1, 1)
    assert figures["monthly_coverage"] == 100.0  # was 300% counting every target visited
    assert figures["monthly_visits"] == 3  # the visits themselves still count
    assert selectors.coverage_by_month(tree.county_a.path)[-1][1] == 100.0
    assert formulas.monthly_coverage(tree.county_a.path, timezone.localdate(), None).value == 1
    (row,) = selectors.org_rows(tree.county_a, month)
    assert (row.assigned, row.visited, row.completeness) == (1, 1, 100.0)
    assert selectors.month_figures(tree.branch_a2.path, month)["monthly_targets_visited"] == 0
    cadres = {r["name"]: r for r in selectors.cadre_rows(tree.county_a.path, month)}
    assert [cadres["王干部"][k] for k in ("assigned", "visited", "completeness")] == [1, 1, 100]
    assert all(r["completeness"] <= 100 for r in cadres.values())
    for org in (tree.city, tree.county_a, tree.town_a, tree.branch_a1, tree.branch_a2):
        expected = _direct(org.path, month)
        figures = selectors.month_figures(org.path, month)
        assert {k: figures[k] for k in expected} == expected, org.name
        assert figures["monthly_coverage"] <= 100


def test_carried_over_findings_come_first_with_their_months_open(cycle, tree):
    two_ago = add_months(current_month(), -1)
    at = timezone.make_aware(
        timezone.datetime.combine(two_ago + timedelta(days=1), timezone.datetime.min.time())
    )
    visit(cycle.cadre_a, cycle.targets["张三户"], at=at, findings=[("safety", "楼道充电")])
    visit(cycle.cadre_a, cycle.targets["李四户"], findings=[("other", "本月的新发现")])
    rows = selectors.meeting_findings(cycle.liaison_a, tree.branch_a1.path, current_month())
    assert [f.text for f in rows] == ["楼道充电", "本月的新发现"]
    assert [(f.carried, f.months_open) for f in rows] == [(True, 1), (False, 0)]
    figures = selectors.month_figures(tree.branch_a1.path, current_month())
    assert figures["monthly_carried_over"] == 1 and figures["monthly_open"] == 2
    services.decide_finding(
        actor=cycle.liaison_a, finding_id=rows[0].pk, decision="no_action", note="已自行整改"
    )
    figures = selectors.month_figures(tree.branch_a1.path, current_month())
    # still counted as carried into this month, and judged in it; no longer open
    assert (
        figures["monthly_carried_over"],
        figures["monthly_judged"],
        figures["monthly_open"],
    ) == (
        1,
        1,
        1,
    )


def _found_in(cycle, month, text):
    """A finding of `month` (written as found then: the service takes only recent visits)."""
    v, _ = visit(cycle.cadre_a, cycle.targets["张三户"], findings=[("other", text)])
    MonthlyVisit.objects.filter(pk=v.pk).update(month=month)
    Finding.objects.filter(visit=v).update(month=month)
    return Finding.objects.get(visit=v)


def test_a_missed_meeting_of_last_month_is_recorded_and_judges_its_findings(client, cycle, tree):
    """The month picker offers this month, last month and every older month with undecided
    findings; last month's missed meeting is recorded late and judges in last month; an older
    month is closed: its undecided findings are judged at this month's meeting."""
    last, old = add_months(current_month(), -1), add_months(current_month(), -3)
    late = _found_in(cycle, last, "上月的发现")
    older = _found_in(cycle, old, "三个月前的发现")
    client.force_login(cycle.liaison_a)
    url = f"{reverse('monthly:meeting')}?org={tree.branch_a1.pk}"
    page = client.get(f"{url}&month={last:%Y-%m}").content.decode()
    assert f"{old.year}年{old.month}月（待研判 1 条）" in page
    assert f"{last.year}年{last.month}月（待研判 1 条）" in page
    assert 'data-testid="missed-meeting"' in page
    held = timezone.localdate()
    response = client.post(
        url,
        {
            "org": tree.branch_a1.pk,
            "month": f"{last:%Y-%m}",
            "held_on": held.isoformat(),
            "attendees": "支委会全体",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("monthly:decide", args=[late.pk]),
        {"org": tree.branch_a1.pk, "month": f"{last:%Y-%m}", "decision": "resolve"},
    )
    late.refresh_from_db()
    assert (late.state, late.closed_month, late.meeting.month) == ("resolved", last, last)
    assert selectors.month_figures(tree.branch_a1.path, last)["monthly_meetings"] == 1
    # an older month: no meeting recorded for it, its finding judged in this month
    page = client.get(f"{url}&month={old:%Y-%m}").content.decode()
    assert 'data-testid="closed-month"' in page and "三个月前的发现" in page
    assert f'name="month" value="{current_month():%Y-%m}"' in page
    with pytest.raises(Invalid, match="只能补录本月或上月"):
        services.record_meeting(
            actor=cycle.liaison_a, org=tree.branch_a1, month=old, held_on=held, attendees="x"
        )
    with pytest.raises(Invalid, match="更早的月份已结账"):
        services.decide_finding(
            actor=cycle.liaison_a, finding_id=older.pk, decision="resolve", month=old
        )
    client.post(
        reverse("monthly:decide", args=[older.pk]),
        {"org": tree.branch_a1.pk, "month": f"{current_month():%Y-%m}", "decision": "resolve"},
    )
    older.refresh_from_db()
    assert (older.state, older.closed_month) == ("resolved", current_month())


def test_a_finding_passed_up_becomes_a_problem_linked_both_ways(client, cycle, tree, campaign):
    v, _ = visit(
        cycle.cadre_a, cycle.targets["张三户"], findings=[("infrastructure", "巷道路灯损坏")]
    )
    finding = v.findings.get()
    services.decide_finding(
        actor=cycle.liaison_a, finding_id=finding.pk, decision="pass_up", campaign=campaign
    )
    finding.refresh_from_db()
    problem = Problem.objects.get(pk=finding.problem_id)
    assert problem.title == "巷道路灯损坏" and problem.source.name == "走访发现"
    assert problem.org_id == tree.branch_a1.pk and problem.monthly_finding == finding
    assert finding.state == FindingState.PASSED_UP
    client.force_login(cycle.liaison_a)
    page = client.get(reverse("rectification:problem", args=[problem.pk])).content.decode()
    assert "走访发现：张三户" in page and reverse("monthly:visit", args=[v.pk]) in page
    figures = selectors.month_figures(tree.city.path, current_month())
    assert figures["monthly_passed_up"] == 1
    with pytest.raises(Conflict):
        services.decide_finding(actor=cycle.liaison_a, finding_id=finding.pk, decision="resolve")


def test_merging_and_no_action_need_a_target_and_a_reason(cycle):
    v, _ = visit(
        cycle.cadre_a, cycle.targets["张三户"], findings=[("other", "一"), ("other", "二")]
    )
    one, two = v.findings.order_by("id")
    with pytest.raises(Invalid, match="理由"):
        services.decide_finding(actor=cycle.liaison_a, finding_id=one.pk, decision="no_action")
    with pytest.raises(Invalid, match="合并到哪一条"):
        services.decide_finding(actor=cycle.liaison_a, finding_id=one.pk, decision="merge")
    services.decide_finding(
        actor=cycle.liaison_a, finding_id=one.pk, decision="merge", into_id=two.pk
    )
    one.refresh_from_db()
    assert one.state == FindingState.MERGED and one.merged_into_id == two.pk
    with pytest.raises(NotAllowed):
        services.decide_finding(actor=cycle.cadre_a, finding_id=two.pk, decision="resolve")


def test_reassignment_keeps_the_history(cycle):
    target = cycle.targets["张三户"]
    services.assign_target(actor=cycle.office, target_id=target.pk, cadre=cycle.liaison_a)
    rows = list(TargetAssignment.objects.filter(target=target).order_by("id"))
    assert [(r.cadre_id, r.ends_on is None) for r in rows] == [
        (cycle.cadre_a.pk, False),
        (cycle.liaison_a.pk, True),
    ]
    assert VisitTarget.objects.get(pk=target.pk).cadre == cycle.liaison_a
    with pytest.raises(Invalid, match="不在该组织的范围内"):
        services.assign_target(actor=cycle.office, target_id=target.pk, cadre=cycle.cadre_b)


def test_a_manager_edits_a_target_and_the_cadre_may_not(client, cycle):
    target = cycle.targets["张三户"]
    with pytest.raises(NotAllowed):
        services.edit_target(
            actor=cycle.cadre_a, target_id=target.pk, name="张三家", kind="household"
        )
    with pytest.raises(Invalid, match="已有走访对象“李四户”"):
        services.edit_target(
            actor=cycle.liaison_a, target_id=target.pk, name="李四户", kind="household"
        )
    client.force_login(cycle.liaison_a)
    client.post(
        reverse("monthly:target_edit", args=[target.pk]),
        {"name": "张三家庭农场", "kind": "enterprise", "contact": "", "address": "一组"},
    )
    target.refresh_from_db()
    assert (target.name, target.kind, target.address) == ("张三家庭农场", "enterprise", "一组")
    assert target.contact == "13912345678"  # shown masked on the page: left empty, kept
    page = client.get(reverse("monthly:target", args=[target.pk])).content.decode()
    assert "张三家庭农场" in page and "13912345678" not in page


def test_a_retired_target_keeps_its_history_and_counts_no_more_from_next_month(client, cycle, tree):
    target = cycle.targets["张三户"]
    visit(cycle.cadre_a, target)
    today, month = timezone.localdate(), current_month()
    client.force_login(cycle.liaison_a)
    url = reverse("monthly:target_retire", args=[target.pk])
    for bad, said in (
        ({"retired_on": today.isoformat(), "reason": " "}, "请填写退出原因"),
        ({"retired_on": (today + timedelta(1)).isoformat(), "reason": "搬迁"}, "不能晚于今天"),
        ({"retired_on": "", "reason": "搬迁"}, "请填写退出日期"),
    ):
        page = client.post(url, bad, follow=True).content.decode()
        assert said in page and VisitTarget.objects.get(pk=target.pk).active
    client.post(url, {"retired_on": today.isoformat(), "reason": "全家搬迁到县城"})
    target.refresh_from_db()
    assert (target.active, target.retired_on, target.retired_reason) == (
        False,
        today,
        "全家搬迁到县城",
    )
    # history kept: the assignment ends that day, the visit stays
    (a,) = TargetAssignment.objects.filter(target=target)
    assert a.ends_on == today and target.visits.count() == 1
    # counted this month (assigned on some day of it), no longer next month
    assert selectors.month_figures(tree.branch_a1.path, month)["monthly_targets_assigned"] == 2
    nxt = selectors.month_figures(tree.branch_a1.path, add_months(month, 1))
    assert nxt["monthly_targets_assigned"] == 1
    # not offered in the visit form, refused by the service, no longer reassigned or edited
    client.force_login(cycle.cadre_a)
    form = client.get(reverse("monthly:visit_form")).content.decode()
    assert "张三户" not in form and "李四户" in form
    with pytest.raises(Invalid, match="退出走访名单"):
        visit(cycle.cadre_a, target)
    with pytest.raises(Invalid, match="退出走访名单"):
        services.assign_target(actor=cycle.office, target_id=target.pk, cadre=cycle.liaison_a)
    with pytest.raises(Invalid, match="退出走访名单"):
        services.retire_target(
            actor=cycle.office, target_id=target.pk, retired_on=today, reason="再次"
        )
    page = client.get(reverse("monthly:target", args=[target.pk])).content.decode()
    assert "已退出" in page and "全家搬迁到县城" in page


def test_the_api_edits_and_retires_a_target(client, cycle):
    from luoshi.accounts.tokens import issue_token

    target = cycle.targets["李四户"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.liaison_a)}"}
    post = lambda url, body: client.post(  # noqa: E731
        url, json.dumps(body), content_type="application/json", **auth
    )
    url = f"/api/v1/monthly/targets/{target.pk}"
    edited = post(url, {"name": "李四家", "kind": "household"})
    assert edited.status_code == 200 and edited.json()["name"] == "李四家"
    assert edited.json()["contact"] == "139****5678"
    too_early = (add_months(current_month(), -1) - timedelta(days=1)).isoformat()
    refused = post(f"{url}/retire", {"retired_on": too_early, "reason": "搬迁"})
    assert refused.status_code == 400 and "上月初" in refused.json()["detail"]
    retired = post(
        f"{url}/retire", {"retired_on": timezone.localdate().isoformat(), "reason": "搬迁"}
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    cadre = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.cadre_a)}"}
    mine = client.get("/api/v1/monthly/targets?mine=true", **cadre).json()
    assert [t["name"] for t in mine] == ["张三户"]


def _book(rows, header=importer.COLUMNS) -> bytes:
    book = Workbook()
    book.active.title = "包联表"
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_sheet_imports_all_rows_or_none_and_says_where(cycle, tree):
    good = ["赵六户", "农户", tree.branch_a1.code, "13800001111", "一组", "cadre_a"]
    bad = ["钱七户", "学校", tree.branch_a1.code, "", "", "cadre_a"]
    foreign = ["孙八户", "企业", tree.branch_a1.code, "", "", "cadre_b"]
    result = importer.import_targets(
        actor=cycle.office, org=tree.county_a, data=_book([good, bad, foreign]), name="包联.xlsx"
    )
    assert result.created == 0 and len(result.errors) == 2
    assert "包联.xlsx 工作表“包联表”第3行第B列（对象类别）" in result.errors[0]
    assert "第4行第F列（包联干部账号）" in result.errors[1] and "cadre_b" in result.errors[1]
    assert not VisitTarget.objects.filter(name="赵六户").exists()
    result = importer.import_targets(
        actor=cycle.office, org=tree.county_a, data=_book([good]), name="包联.xlsx"
    )
    assert result.errors == [] and result.created == 1
    target = VisitTarget.objects.get(name="赵六户")
    assert target.cadre == cycle.cadre_a and target.assignments.count() == 1


def test_pages_and_api_are_404_for_another_branchs_targets_and_visits(client, cycle, tree):
    v, _ = visit(cycle.cadre_b, cycle.targets["王五户"], findings=[("other", "乙的秘密")])
    client.force_login(cycle.cadre_a)
    for url in (
        reverse("monthly:target", args=[cycle.targets["王五户"].pk]),
        reverse("monthly:visit", args=[v.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("monthly:decide", args=[v.findings.get().pk]), {"decision": "resolve"}
        ).status_code
        == 404
    )
    page = client.get(reverse("monthly:visit_form")).content.decode()
    assert "王五户" not in page and "张三户" in page
    from luoshi.accounts.tokens import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cycle.cadre_a)}"}
    assert client.get(f"/api/v1/monthly/visits/{v.pk}", **auth).status_code == 404
    listed = client.get("/api/v1/monthly/findings", **auth).json()
    assert "乙的秘密" not in json.dumps(listed, ensure_ascii=False)
    targets = client.get("/api/v1/monthly/targets?mine=true", **auth).json()
    assert {t["name"] for t in targets} == {"张三户", "李四户"}
    assert all("****" in t["contact"] for t in targets)


def test_the_pages_render_at_every_level(client, cycle, tree, campaign):
    visit(cycle.cadre_a, cycle.targets["张三户"])
    client.force_login(cycle.office)
    for url in (
        reverse("monthly:index"),
        f"{reverse('monthly:index')}?org={tree.county_a.pk}",
        reverse("monthly:targets"),
        f"{reverse('monthly:meeting')}?org={tree.branch_a1.pk}",
        reverse("monthly:import"),
        f"{reverse('monthly:export')}?org={tree.county_a.pk}",
    ):
        assert client.get(url).status_code == 200, url
    cadres = client.get(reverse("monthly:index")).context["cadres"]
    assert [(c["name"], c["assigned"], c["visited"]) for c in cadres] == [
        ("李干部", 1, 0),
        ("王干部", 2, 1),
    ]
    board = client.get(reverse("dashboards:node", args=[tree.city.pk])).content.decode()
    assert 'data-testid="tile-monthly"' in board
    client.force_login(cycle.cadre_b)
    work = client.get(reverse("rectification:my_work")).content.decode()
    assert "本月待走访" in work and "王五户" in work


def test_stats_carry_the_monthly_keys(cycle, tree):
    from io import StringIO

    from django.core.management import call_command

    visit(cycle.cadre_a, cycle.targets["张三户"])
    out = StringIO()
    call_command("stats", "--org", tree.city.code, "--json", stdout=out)
    stats = json.loads(out.getvalue())
    assert stats["monthly_coverage"] == round(100 * 1 / 3, 1)
    assert {"monthly_carried_over", "monthly_visits", "monthly_passed_up"} <= set(stats)


def test_the_months_ledger_export_masks_contacts_and_keeps_text_as_text(client, cycle, tree):
    from python_calamine import CalamineWorkbook

    visit(cycle.cadre_a, cycle.targets["张三户"], findings=[("other", "=1+1 不应被执行")])
    client.force_login(cycle.office)
    response = client.get(f"{reverse('monthly:export')}?org={tree.county_a.pk}")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    cells = [str(c) for row in book.get_sheet_by_index(0).to_python() for c in row]
    assert "张三户" in cells and "139****5678" in cells and "13912345678" not in cells
    assert any("=1+1 不应被执行" in c for c in cells)
    assert "王五户" not in cells  # the other county's visit


def test_the_word_report_says_the_months_coverage(cycle, tree):
    from luoshi.core.registry import report_paragraphs, subtree_figures

    visit(cycle.cadre_a, cycle.targets["张三户"])
    lines = report_paragraphs(tree.city, subtree_figures(tree.city.path))
    monthly = [line for line in lines if line.startswith("一月一走访")]
    assert len(monthly) == 1 and "走访覆盖率33.3%" in monthly[0]


def test_every_dashboard_with_targets_charts_coverage_month_by_month(client, cycle, tree, users):
    """The dashboard's month-by-month chart (core.registry.CHARTS) gives each of the last six
    months the coverage `month_figures` counts; a subtree with no target assigned has none."""
    last = add_months(current_month(), -1)
    visit(
        cycle.cadre_a,
        cycle.targets["张三户"],
        at=timezone.make_aware(timezone.datetime.combine(last, timezone.datetime.min.time())),
    )
    visit(cycle.cadre_a, cycle.targets["李四户"])
    # the targets were assigned this month: last month has nothing to rate and is not drawn
    assert selectors.coverage_by_month(tree.county_a.path) == [
        (f"{current_month().year}年{current_month().month}月（本月至今）", 50.0)  # 1 of 2 targets
    ]
    TargetAssignment.objects.update(starts_on=last)  # as if assigned since last month
    rows = selectors.coverage_by_month(tree.county_a.path)
    assert [v for _, v in rows] == [
        selectors.month_figures(tree.county_a.path, m)["monthly_coverage"]
        for m in (last, current_month())
    ]
    assert [v for _, v in rows] == [50.0, 50.0]
    client.force_login(users.office)
    page = client.get(reverse("dashboards:node", args=[tree.county_a.pk])).content.decode()
    assert 'data-testid="module-chart-monthly_coverage"' in page and "逐月走访覆盖率" in page
    assert selectors.coverage_by_month(tree.branch_a2.path) == []  # its target has no cadre
    page = client.get(reverse("dashboards:node", args=[tree.branch_a2.pk])).content.decode()
    assert "module-chart-monthly_coverage" not in page
