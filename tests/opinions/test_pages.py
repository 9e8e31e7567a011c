"""The office's pages, the export, the dashboard figure and the API."""

import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.opinions import services
from luoshi.opinions.models import Opinion, OpinionState, Symposium
from luoshi.rectification.models import Problem

pytestmark = pytest.mark.django_db


def test_office_list_shows_its_opinions_and_figures_and_not_others(client, submit, office, tree):
    submit(text="甲一社区的意见建议")
    submit(org=tree.branch_b1, text="乙一村的意见建议")
    client.force_login(office.branch)
    page = client.get(reverse("opinions:list")).content.decode()
    assert "甲一社区的意见建议" in page and "乙一村的意见建议" not in page
    assert 'data-testid="opinion-figures"' in page
    client.force_login(office.city)
    page = client.get(reverse("opinions:list")).content.decode()
    assert "甲一社区的意见建议" in page and "乙一村的意见建议" in page


def test_accept_on_the_page_links_the_problem_and_the_problem_page_links_back(
    client, submit, office
):
    opinion, _ = submit(text="学校门口上下学时段拥堵")
    client.force_login(office.branch)
    response = client.post(
        reverse("opinions:accept", args=[opinion.pk]),
        {"version": 1, "title": "学校周边交通拥堵", "measure": "协调交警高峰时段疏导"},
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert "已采纳，纳入问题清单" in detail
    assert reverse("rectification:problem", args=[problem.pk]) in detail
    problem_page = client.get(reverse("rectification:problem", args=[problem.pk])).content.decode()
    assert reverse("opinions:detail", args=[opinion.pk]) in problem_page
    assert "协调交警高峰时段疏导" in problem_page


def test_refused_decision_on_the_page_says_why_and_changes_nothing(client, submit, office):
    opinion, _ = submit()
    client.force_login(office.branch)
    response = client.post(
        reverse("opinions:decline", args=[opinion.pk]), {"version": 1, "reason": " "}
    )
    assert response.status_code == 400
    assert "不予采纳须填写理由" in response.content.decode()
    client.force_login(office.leader)
    response = client.post(
        reverse("opinions:answer", args=[opinion.pk]), {"version": 1, "answer": "领导答复"}
    )
    assert response.status_code == 403
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.PENDING


def test_transfer_on_the_page_by_organisation_code(client, submit, office, tree):
    opinion, _ = submit(org=tree.county_a)
    client.force_login(office.county)
    response = client.post(
        reverse("opinions:transfer", args=[opinion.pk]),
        {"version": 1, "org_code": tree.branch_b1.code},
    )
    assert response.status_code == 400 and "不在您的范围内" in response.content.decode()
    response = client.post(
        reverse("opinions:transfer", args=[opinion.pk]),
        {"version": 1, "org_code": tree.branch_a2.code, "note": "请社区办理"},
    )
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.org == tree.branch_a2 and opinion.state == OpinionState.TRANSFERRED


def test_symposium_and_the_opinions_recorded_from_it(client, office, campaign, tree):
    client.force_login(office.branch)
    response = client.post(
        reverse("opinions:symposia"),
        {
            "org": tree.branch_a1.pk,
            "title": "居民代表座谈会",
            "held_on": "2026-01-05",
            "attendees": "居民代表、网格员",
            "attendee_count": 12,
            "notes": "重点反映停车难",
        },
    )
    assert response.status_code == 302
    symposium = Symposium.objects.get()
    response = client.post(
        reverse("opinions:record") + f"?symposium={symposium.pk}",
        {
            "org": tree.branch_a1.pk,
            "channel": "symposium",
            "topic": "livelihood",
            "text": "小区停车位太少，晚上经常停不下",
            "anonymous": "on",
            "symposium": symposium.pk,
        },
        follow=True,
    )
    page = response.content.decode()
    assert "意见已登记。查询码" in page and "小区停车位太少" in page
    opinion = Opinion.objects.get()
    assert opinion.symposium == symposium and opinion.channel == "symposium"
    future = client.post(
        reverse("opinions:symposia"),
        {
            "org": tree.branch_a1.pk,
            "title": "未来的会",
            "held_on": "2999-01-01",
            "attendees": "x",
            "attendee_count": 1,
        },
    )
    assert future.status_code == 400 and "不能晚于今天" in future.content.decode()


def test_poster_page_has_the_qr_code_and_the_link(client, office, tree, campaign):
    client.force_login(office.branch)
    page = client.get(reverse("opinions:poster", args=[tree.branch_a1.pk])).content.decode()
    assert reverse("opinions:qr", args=[tree.branch_a1.code]) in page
    assert f"http://testserver/p/{tree.branch_a1.code}/" in page
    assert client.get(reverse("opinions:poster", args=[tree.branch_b1.pk])).status_code == 404


def test_export_writes_hostile_text_as_text_and_leaves_out_contacts(client, submit, office):
    submit(text='=HYPERLINK("http://evil.example","点我")', contact="13900001111")
    submit(text="+1+2 @SUM(A1) -3")
    client.force_login(office.branch)
    response = client.get(reverse("opinions:export") + "?state=")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = book.active
    texts = {ws.cell(r, 5).value: ws.cell(r, 5).data_type for r in range(2, ws.max_row + 1)}
    assert texts == {'=HYPERLINK("http://evil.example","点我")': "s", "+1+2 @SUM(A1) -3": "s"}
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "13900001111" not in values
    assert isinstance(ws.cell(2, 1).value, int)  # numbers stay numbers


def test_dashboard_and_stats_show_the_satisfaction_figure(client, submit, office, tree):
    opinion, code = submit()
    services.answer_opinion(actor=office.branch, opinion_id=opinion.pk, version=1, answer="好")
    services.rate_opinion(code=code, rating="satisfied")
    client.force_login(office.city)
    page = client.get(reverse("dashboards:node", args=[tree.city.pk])).content.decode()
    assert "征求意见 / 满意率" in page and "100.0%" in page
    out = io.StringIO()
    call_command("stats", org=tree.city.code, json=True, stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["opinions"] == 1 and figures["satisfaction_rate"] == 100.0


def _api(client, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}


def test_api_triage(client, submit, office, tree):
    a, _ = submit(text="第一条意见建议")
    b, _ = submit(text="第二条意见建议")
    auth = _api(client, office.branch)
    listing = client.get("/api/v1/opinions", **auth).json()
    assert {o["id"] for o in listing} == {a.pk, b.pk}
    assert "contact" not in listing[0] and "code_hash" not in listing[0]
    accepted = client.post(
        f"/api/v1/opinions/{a.pk}/accept",
        json.dumps({"version": 1, "title": "路灯问题"}),
        content_type="application/json",
        **auth,
    )
    assert accepted.status_code == 200
    problem_id = accepted.json()["problem_id"]
    merged = client.post(
        f"/api/v1/opinions/{b.pk}/accept",
        json.dumps({"version": 1, "problem_id": problem_id}),
        content_type="application/json",
        **auth,
    )
    assert merged.status_code == 200 and merged.json()["opinion"]["problem_id"] == problem_id
    stale = client.post(
        f"/api/v1/opinions/{a.pk}/answer",
        json.dumps({"version": 1, "answer": "x"}),
        content_type="application/json",
        **auth,
    )
    assert stale.status_code == 409


def test_api_refusals(client, submit, office):
    opinion, _ = submit()
    leader = client.post(
        f"/api/v1/opinions/{opinion.pk}/answer",
        json.dumps({"version": 1, "answer": "x"}),
        content_type="application/json",
        **_api(client, office.leader),
    )
    assert leader.status_code == 403
    empty = client.post(
        f"/api/v1/opinions/{opinion.pk}/decline",
        json.dumps({"version": 1, "reason": ""}),
        content_type="application/json",
        **_api(client, office.branch),
    )
    assert empty.status_code == 400 and "理由" in empty.json()["detail"]
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.PENDING


def test_sender_name_and_contact_are_shown_to_the_office_and_hidden_from_others(
    client, submit, office, people
):
    opinion, _ = submit(contact="13900001111", anonymous=False, name="王大妈")
    url = reverse("opinions:detail", args=[opinion.pk])
    for user in (office.county, office.city):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "王大妈" in page and "13900001111" in page, user.username
    for user in (office.branch, people.county_a, office.leader):
        client.force_login(user)
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200 and "小区路灯坏了" in page
        assert "王大妈" not in page and "13900001111" not in page, user.username
        assert "（已隐藏）" in page
        listing = client.get(reverse("opinions:list") + "?state=").content.decode()
        assert "王大妈" not in listing and "13900001111" not in listing
    api = client.get(f"/api/v1/opinions/{opinion.pk}", **_api(client, office.city)).json()
    assert "13900001111" not in json.dumps(api, ensure_ascii=False)
    assert "王大妈" not in json.dumps(api, ensure_ascii=False)


def _export_link(page: str) -> str:
    import html
    import re

    href = re.search(r'href="([^"]*export\.xlsx[^"]*)"', page).group(1)
    return html.unescape(href)


def _exported_texts(client, link) -> set[str]:
    response = client.get(link)
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return {ws.cell(r, 5).value for r in range(2, ws.max_row + 1)}


def test_export_link_downloads_exactly_what_the_list_shows(client, submit, office):
    open_one, _ = submit(text="还没办理的意见")
    answered, _ = submit(text="已经答复的意见")
    services.answer_opinion(actor=office.branch, opinion_id=answered.pk, version=1, answer="好")
    client.force_login(office.branch)
    page = client.get(reverse("opinions:list")).content.decode()  # open opinions by default
    assert "还没办理的意见" in page and "已经答复的意见" not in page
    assert _exported_texts(client, _export_link(page)) == {"还没办理的意见"}
    page = client.get(reverse("opinions:list") + "?state=").content.decode()  # 全部
    assert "已经答复的意见" in page
    assert _exported_texts(client, _export_link(page)) == {"还没办理的意见", "已经答复的意见"}


def test_export_link_keeps_search_text_with_ampersand_and_hash(client, submit, office):
    submit(text="路灯&水管#漏水 一起修")
    submit(text="路灯坏了两个月")
    client.force_login(office.branch)
    list_url = reverse("opinions:list") + "?q=" + "路灯%26水管%23漏水"
    page = client.get(list_url).content.decode()
    assert "路灯坏了两个月" not in page
    assert _exported_texts(client, _export_link(page)) == {"路灯&水管#漏水 一起修"}
