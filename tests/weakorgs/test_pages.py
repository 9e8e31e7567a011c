"""The pages and the API of 软弱涣散党组织整顿: listing through the picker, the case page with
未落实 highlighted, support, milestones, progress, acceptance refused and done; scoping of all of
it (another county's office and a sibling branch get 404, lists hold none of it); the figures
equal a direct count; the export carries the 四个一 columns."""

import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.accounts.tokens import issue_token
from luoshi.core.paths import subtree_q
from luoshi.core.registry import subtree_figures
from luoshi.rectification.models import today
from luoshi.weakorgs.models import CaseState, Milestone, ProgressNote, WeakOrgCase
from luoshi.weakorgs.selectors import SUPPORTED_Q
from tests.factories import user_with
from tests.weakorgs.conftest import FOUR, close, list_case, pdf, support_all

pytestmark = pytest.mark.django_db


def _bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}


def test_a_county_office_lists_a_branch_through_the_picker(client, tree, offices, vocabulary):
    client.force_login(offices.county_a)
    options = client.get(reverse("weakorgs:org_options"), {"q": "甲一社区"}).content.decode()
    assert tree.branch_a1.code in options and "乙一村" not in options
    assert client.get(reverse("weakorgs:org_options"), {"q": "乙一村"}).content.strip() == b""
    page = client.get(reverse("weakorgs:new"))
    assert page.status_code == 200 and vocabulary[0].name in page.content.decode()
    response = client.post(
        reverse("weakorgs:new"),
        {"org": tree.branch_a1.code, "year": today().year, "reasons": [vocabulary[0].pk]},
    )
    case = WeakOrgCase.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{case.pk}/")
    assert case.listed_by_org == tree.county_a and case.org == tree.branch_a1
    refused = client.post(
        reverse("weakorgs:new"),
        {"org": tree.branch_b1.code, "year": today().year, "reasons": [vocabulary[0].pk]},
    )
    assert refused.status_code == 400 and "找不到该组织" in refused.content.decode()
    assert tree.branch_b1.code in refused.content.decode()  # what was typed is kept


def test_the_case_page_highlights_missing_support_and_why_it_cannot_be_accepted(
    client, weak, offices
):
    client.force_login(offices.town_a)
    html = client.get(reverse("weakorgs:case", args=[weak.case.pk])).content.decode()
    assert html.count("未落实") >= 4 and "暂不能验收" in html and "四个一" in html
    assert weak.measure.content in html and "绿灯" in html
    response = client.post(
        reverse("weakorgs:accept", args=[weak.case.pk]),
        {"result": "passed", "accepted_on": today().isoformat(), "evidence": pdf()},
    )
    assert response.status_code == 400 and "乡镇领导包抓" in response.content.decode()
    weak.case.refresh_from_db()
    assert weak.case.state == CaseState.LISTED and not weak.case.acceptances.exists()


def test_support_milestones_progress_and_acceptance_through_the_pages(
    client, weak, offices, people
):
    client.force_login(offices.county_a)
    posted = {**FOUR, "version": weak.case.version}
    assert client.post(reverse("weakorgs:support", args=[weak.case.pk]), posted).status_code == 302
    client.force_login(people.branch_a1)
    url = reverse("weakorgs:milestone_add", args=[weak.case.pk])
    due = (today() + timedelta(days=30)).isoformat()
    assert client.post(url, {"title": "完成班子调整", "due_on": due}).status_code == 302
    milestone = Milestone.objects.get()
    done = client.post(reverse("weakorgs:milestone_done", args=[milestone.pk]))
    assert done.status_code == 302
    month = today().strftime("%Y-%m")
    progress = reverse("weakorgs:progress_add", args=[weak.case.pk])
    assert client.post(progress, {"month": month, "text": "召开支部党员大会"}).status_code == 302
    assert ProgressNote.objects.get().month == today().replace(day=1)
    close(people.branch_a1, offices.county_a, weak.measure)
    client.force_login(offices.town_a)
    response = client.post(
        reverse("weakorgs:accept", args=[weak.case.pk]),
        {"result": "passed", "accepted_on": today().isoformat(), "evidence": pdf("验收.pdf")},
    )
    assert response.status_code == 302
    weak.case.refresh_from_db()
    assert weak.case.state == CaseState.ACCEPTED
    acceptance = weak.case.acceptances.get()
    html = client.get(reverse("weakorgs:case", args=[weak.case.pk])).content.decode()
    assert "已验收销号" in html and "验收.pdf" in html and "未落实" not in html
    file = client.get(reverse("weakorgs:acceptance_file", args=[acceptance.pk]))
    assert file.status_code == 200


def test_another_county_and_a_sibling_branch_get_404_everywhere(client, weak, offices, tree):
    milestone = Milestone.objects.create(
        org=tree.branch_a1, case=weak.case, title="节点", due_on=today()
    )
    sibling = user_with(tree.branch_a2, "liaison", username="a2_sibling")
    pages = [
        reverse("weakorgs:case", args=[weak.case.pk]),
        reverse("weakorgs:support", args=[weak.case.pk]),
        reverse("weakorgs:milestone_add", args=[weak.case.pk]),
        reverse("weakorgs:milestone_done", args=[milestone.pk]),
        reverse("weakorgs:progress_add", args=[weak.case.pk]),
        reverse("weakorgs:plan_add", args=[weak.case.pk]),
        reverse("weakorgs:accept", args=[weak.case.pk]),
    ]
    for outsider in (offices.county_b, sibling):
        client.force_login(outsider)
        for url in pages:
            assert client.get(url).status_code in (404, 405), url
            assert client.post(url, {"title": "x"}).status_code in (404, 405), url
        listing = client.get(reverse("weakorgs:list")).content.decode()
        assert tree.branch_a1.name not in listing
        export = client.get(reverse("weakorgs:export"))
        book = load_workbook(io.BytesIO(export.content))
        assert tree.branch_a1.name not in str([c.value for r in book.active for c in r])
        auth = _bearer(outsider)
        assert client.get(f"/api/v1/weak-orgs/{weak.case.pk}", **auth).status_code == 404
        assert client.get("/api/v1/weak-orgs", **auth).json() == []
        body = json.dumps({"version": 1, "county_leader": "x"})
        support = client.post(
            f"/api/v1/weak-orgs/{weak.case.pk}/support",
            body,
            content_type="application/json",
            **auth,
        )
        assert support.status_code == 404
    for insider in (offices.county_a, offices.town_a, user_with(tree.branch_a1, "viewer")):
        client.force_login(insider)
        assert client.get(pages[0]).status_code == 200
        assert client.get("/api/v1/weak-orgs", **_bearer(insider)).json()[0]["id"] == weak.case.pk


def test_the_api_lists_sets_support_and_accepts(
    client, tree, offices, vocabulary, campaign, people
):
    auth = _bearer(offices.county_a)
    body = {
        "org_id": tree.branch_a2.pk,
        "year": today().year,
        "reason_ids": [vocabulary[2].pk],
        "campaign_id": campaign.pk,
    }
    created = client.post("/api/v1/weak-orgs", json.dumps(body), "application/json", **auth)
    assert created.status_code == 201, created.content
    case = created.json()
    assert len(case["missing_supports"]) == 4
    again = client.post("/api/v1/weak-orgs", json.dumps(body), "application/json", **auth)
    assert again.status_code == 400 and "已列入" in again.json()["detail"]
    set_support = client.post(
        f"/api/v1/weak-orgs/{case['id']}/support",
        json.dumps({"version": case["version"], **FOUR}),
        "application/json",
        **auth,
    )
    assert set_support.status_code == 200 and set_support.json()["missing_supports"] == []
    town = _bearer(offices.town_a)
    refused = client.post(
        f"/api/v1/weak-orgs/{case['id']}/accept",
        {"result": "passed", "accepted_on": today().isoformat(), "evidence": pdf()},
        **town,
    )
    assert refused.status_code == 400 and "整改措施" in refused.json()["detail"]
    from tests.weakorgs.conftest import plan

    measure = plan(people.office, WeakOrgCase.objects.get(pk=case["id"]))
    own = user_with(tree.branch_a2, "liaison", username="a2_liaison")
    close(own, offices.county_a, measure)
    accepted = client.post(
        f"/api/v1/weak-orgs/{case['id']}/accept",
        {"result": "passed", "accepted_on": today().isoformat(), "evidence": pdf()},
        **town,
    )
    assert accepted.status_code == 200 and accepted.json()["result"] == "passed"
    detail = client.get(f"/api/v1/weak-orgs/{case['id']}", **auth).json()
    assert detail["state"] == CaseState.ACCEPTED and detail["measures"][0]["state"] == "closed"


def test_figures_equal_a_direct_count_for_every_node(tree, offices, vocabulary, campaign, people):
    a1 = list_case(offices.county_a, tree.branch_a1, vocabulary, campaign)
    support_all(offices.county_a, a1)
    list_case(offices.county_a, tree.branch_a2, vocabulary, campaign)
    b1 = list_case(people.office, tree.branch_b1, vocabulary, campaign)
    support_all(people.office, b1)
    list_case(people.office, tree.branch_b2, vocabulary, campaign, year=today().year - 1)
    WeakOrgCase.objects.filter(pk=b1.pk).update(state=CaseState.ACCEPTED)
    for node in (tree.city, tree.county_a, tree.county_b, tree.town_a, tree.branch_a2):
        figures = subtree_figures(node.path)
        rows = WeakOrgCase.objects.filter(subtree_q("org_path", node.path), year=today().year)
        assert figures["weak_organizations"] == rows.count()
        assert figures["weak_organizations_supported"] == rows.filter(SUPPORTED_Q).count()
        assert figures["weak_organizations_accepted"] == rows.filter(state="accepted").count()
    assert subtree_figures(tree.city.path)["weak_organizations"] == 3


def test_the_dashboard_tile_shows_accepted_after_acceptance(client, weak, offices, people):
    client.force_login(offices.county_a)
    url = reverse("dashboards:node", args=[weak.case.org.parent.parent.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="weak-org-tile"' in html and "软弱涣散" in html
    support_all(offices.county_a, weak.case)
    close(people.branch_a1, offices.county_a, weak.measure)
    from luoshi.weakorgs import services

    services.accept_case(
        actor=offices.town_a,
        case_id=weak.case.pk,
        result="passed",
        accepted_on=today(),
        upload=pdf(),
    )
    response = client.get(url)
    assert response.context["figures"]["weak_organizations_accepted"] == 1


def test_the_export_has_the_four_support_columns(client, weak, offices, tree):
    client.force_login(offices.county_a)
    response = client.get(reverse("weakorgs:export"), {"org": tree.county_a.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert "软弱涣散党组织整顿台账" in rows[0][0]
    header = rows[2]
    for column in ("序号", "县区", "乡镇", "党组织名称", "软弱涣散类型/原因", "县级领导联系"):
        assert column in header
    for column in ("乡镇领导包抓", "第一书记", "结对单位", "整顿措施", "完成时限", "验收情况"):
        assert column in header
    row = dict(zip(header, rows[3], strict=True))
    assert row["党组织名称"] == tree.branch_a1.name
    assert row["县区"] == tree.county_a.name and row["乡镇"] == tree.town_a.name
    assert row["县级领导联系"] == "未落实" and weak.measure.content in row["整顿措施"]
    assert row["验收情况"] == "未验收"


def test_the_new_rounds_page_shows_the_earlier_round(client, weak, offices, people, vocabulary):
    earlier = weak.case
    WeakOrgCase.objects.filter(pk=earlier.pk).update(year=today().year - 1)
    support_all(offices.county_a, earlier)
    close(people.branch_a1, offices.county_a, weak.measure)
    from luoshi.weakorgs import services

    services.accept_case(
        actor=offices.town_a, case_id=earlier.pk, result="passed", accepted_on=today(), upload=pdf()
    )
    again = list_case(offices.county_a, earlier.org, vocabulary, earlier.campaign)
    client.force_login(people.branch_a1)
    html = client.get(reverse("weakorgs:case", args=[again.pk])).content.decode()
    assert reverse("weakorgs:case", args=[earlier.pk]) in html
    assert f"{today().year - 1}年 · 已验收销号" in html
    listing = client.get(reverse("weakorgs:list")).content.decode()
    assert listing.count('data-testid="weak-case"') == 2  # both rounds stay on the list


def test_the_word_reports_carry_the_weak_organisations_paragraph(weak, tree):
    from luoshi.core.registry import report_paragraphs

    said = report_paragraphs(tree.city, subtree_figures(tree.city.path))
    line = next(p for p in said if "软弱涣散" in p)
    assert f"{today().year}年共排查确定软弱涣散基层党组织1个" in line
    assert "已全部落实0个" in line and "已整顿验收合格0个" in line
    assert not [
        p
        for p in report_paragraphs(tree.county_b, subtree_figures(tree.county_b.path))
        if "软弱涣散" in p
    ]


def test_the_city_office_edits_the_categories_and_a_county_office_may_not(
    client, tree, offices, people, vocabulary
):
    from luoshi.weakorgs.models import WeakReason

    client.force_login(offices.county_a)
    refused = client.post(reverse("weakorgs:reasons"), {"action": "add", "name": "新类型"})
    assert refused.status_code == 403 and "顶级" in refused.content.decode()
    client.force_login(people.office)
    url = reverse("weakorgs:reasons")
    assert client.post(url, {"action": "add", "name": "软弱涣散的新类型"}).status_code == 302
    old = vocabulary[0]
    assert client.post(url, {"action": "disable", "reason": old.pk}).status_code == 302
    assert client.post(url, {"action": "add", "name": old.name}).status_code == 400
    form = client.get(reverse("weakorgs:new")).content.decode()
    assert "软弱涣散的新类型" in form and f'name="reasons" value="{old.pk}"' not in form
    assert WeakReason.objects.filter(active=False).get() == old
