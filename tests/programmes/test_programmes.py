"""Special rectification (专项整治): a programme set at a level appears in its whole subtree,
is adopted by a subtree's plan, its items are ledger problems closed only by their measures'
two-party 销号, and nobody sees any of it outside their subtree."""

import io
import json
import random
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.registry import report_paragraphs, subtree_figures
from luoshi.orgs.models import Organization
from luoshi.programmes import selectors, services
from luoshi.programmes.models import ProgrammeItem, ProgrammePlan, SpecialProgramme
from luoshi.programmes.seeding import seed_programmes
from luoshi.rectification import services as ledger
from luoshi.rectification.models import Problem, ProblemStatus
from tests.factories import user_with
from tests.programmes.conftest import add_item, adopt, set_programme
from tests.rectification.conftest import act, pdf, progress

pytestmark = pytest.mark.django_db


def figures(org) -> dict:
    keys = ("programmes", "programme_plans", "programme_items", "programme_items_closed")
    return {k: v for k, v in selectors.programme_figures(org.path).items() if k in keys}


# --- adoption fans a programme out to the subtree ---
def test_adopting_a_programme_fans_it_out_to_the_subtree(client, tree, people, programme):
    p = programme.programme
    # in force in county a and every organisation below it, counted there
    for org in (tree.county_a, tree.town_a, tree.branch_a1, tree.branch_a2):
        assert figures(org)["programmes"] == 1, org.name
    assert figures(tree.county_a)["programme_plans"] == 1
    assert figures(tree.branch_a1)["programme_plans"] == 0  # the plan is the county's
    assert figures(tree.city) == {
        "programmes": 1,
        "programme_plans": 1,
        "programme_items": 0,
        "programme_items_closed": 0,
    }
    # county b has not adopted it: set above, visible, not in force
    assert figures(tree.county_b)["programmes"] == 0
    # a branch below the adopting county sees it as adopted (its county's plan covers it)
    client.force_login(people.branch_a1)
    page = client.get(reverse("programmes:list"))
    assert page.status_code == 200
    (row,) = page.context["programmes"]
    assert row.pk == p.pk and row.adopted_here
    detail = client.get(reverse("programmes:detail", args=[p.pk]))
    assert detail.status_code == 200 and "已纳入甲区委的方案" in detail.content.decode()
    # and may list an item there at once, which county b's branch may not
    add_item(people.branch_a1, p, tree.branch_a1)
    assert figures(tree.county_a)["programme_items"] == 1
    with pytest.raises(Invalid, match="尚未制定这项专项整治的实施方案"):
        add_item(people.branch_b1, p, tree.branch_b1)


def test_a_subtree_writes_one_plan_per_programme_and_may_set_its_own(tree, people, programme):
    with pytest.raises(Invalid, match="已制定这项专项整治的实施方案"):
        adopt(people.county_office_a, programme.programme, tree.county_a, number="又一个")
    assert ProgrammePlan.objects.count() == 1
    own = set_programme(
        people.county_office_a,
        tree.county_a,
        programme.programme.campaign,
        name="整治农村人居环境脏乱差问题",
    )
    assert figures(tree.county_a)["programmes"] == 2
    assert figures(tree.county_b)["programmes"] == 0
    with pytest.raises(Invalid, match="最高一级组织"):
        set_programme(
            people.county_office_a, tree.county_a, own.campaign, name="中央的", set_by="central"
        )
    with pytest.raises(NotAllowed):  # a liaison lists items and writes plans, never sets
        set_programme(people.branch_a1, tree.branch_a1, own.campaign, name="支部的")


# --- an item closes only through its measures ---
def test_an_item_closes_only_through_its_measures_two_party_closure(tree, people, programme):
    p = programme.programme
    item = add_item(people.branch_a1, p, tree.branch_a1)
    assert item.problem.campaign_id == p.campaign_id
    assert item.problem.events.filter(action="problem_created").exists()  # the ledger's history
    measure = item.problem.measures.get()
    assert figures(tree.county_a)["programme_items_closed"] == 0
    m = progress(people.branch_a1, measure)
    act(people.branch_a1, m, "submit")
    assert figures(tree.county_a)["programme_items_closed"] == 0  # asked, not yet verified
    act(people.county_office_a, m, "verify")
    assert Problem.objects.get(pk=item.problem_id).status == ProblemStatus.CLOSED
    assert figures(tree.county_a)["programme_items_closed"] == 1
    assert figures(tree.city)["programme_items_closed"] == 1
    act(people.county_office_a, m, "reopen", reason="反弹回潮")
    assert figures(tree.county_a)["programme_items_closed"] == 0
    # no page, API operation or service closes an item by itself
    from luoshi.api import api
    from tests.core.test_sweep import _patterns

    names = [n for n, _ in _patterns() if n.startswith("programmes:")]
    assert not [n for n in names if "close" in n]
    ops = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    assert not [path for path in ops if "programmes" in path and "close" in path]
    assert not [n for n in dir(services) if "close" in n]


def test_a_second_measure_keeps_the_item_open_until_it_is_closed_too(tree, people, programme):
    item = add_item(people.branch_a1, programme.programme, tree.branch_a1)
    second = ledger.add_measure(
        actor=people.branch_a1,
        problem=item.problem,
        content="建立长效机制",
        deadline_kind="ongoing",
    )
    first = item.problem.measures.exclude(pk=second.pk).get()
    for m in (first,):
        act(people.branch_a1, progress(people.branch_a1, m), "submit")
        act(people.county_office_a, m, "verify")
    assert figures(tree.branch_a1)["programme_items_closed"] == 0
    act(people.branch_a1, progress(people.branch_a1, second), "submit")
    act(people.county_office_a, second, "verify")
    assert figures(tree.branch_a1)["programme_items_closed"] == 1


# --- scoping ---
@pytest.fixture
def county_a_own(tree, people, programme):
    """County a's own programme with its plan and an item: none of it for county b."""
    p = set_programme(
        people.county_office_a, tree.county_a, programme.programme.campaign, name="甲区的内部专项"
    )
    plan = adopt(people.county_office_a, p, tree.county_a)
    item = add_item(people.county_office_a, p, tree.branch_a1, title="甲区的内部问题")
    return SimpleNamespace(programme=p, plan=plan, item=item)


def test_pages_outside_the_subtree_are_404_and_lists_hold_none_of_it(
    client, tree, people, county_a_own, programme
):
    client.force_login(people.branch_b1)
    p = county_a_own.programme
    for url in (
        reverse("programmes:detail", args=[p.pk]),
        reverse("programmes:adopt", args=[p.pk]),
        reverse("programmes:item_new", args=[p.pk]),
        reverse("programmes:export", args=[p.pk]),
        reverse("programmes:plan_file", args=[county_a_own.plan.pk]),
        reverse("programmes:plan_file", args=[programme.plan.pk]),  # the city's, county a's plan
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("programmes:list")).content.decode()
    assert "甲区的内部专项" not in listing
    assert programme.programme.name in listing  # set above: visible, read-only
    city = client.get(reverse("programmes:detail", args=[programme.programme.pk]))
    assert city.status_code == 200
    body = city.content.decode()
    assert "甲区委" not in body and "甲区的内部问题" not in body  # another county's plan, items
    assert client.post(reverse("programmes:adopt", args=[p.pk]), {}).status_code == 404
    assert not ProgrammePlan.objects.filter(org=tree.branch_b1).exists()


def test_the_api_is_scoped_like_the_pages(client, tree, people, county_a_own, programme):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_b1)}"}
    p = county_a_own.programme
    for url in (f"/api/v1/programmes/{p.pk}", f"/api/v1/programmes/{p.pk}/items"):
        assert client.get(url, **auth).status_code == 404, url
    response = client.post(
        f"/api/v1/programmes/{p.pk}/plans",
        {"org_id": tree.branch_b1.pk, "doc_number": "x", "issued_on": "2026-01-02", "file": pdf()},
        **auth,
    )
    assert response.status_code == 404, response.content.decode()
    names = [r["name"] for r in client.get("/api/v1/programmes", **auth).json()]
    assert names == [programme.programme.name]
    mine = client.get(f"/api/v1/programmes/{programme.programme.pk}", **auth).json()
    assert mine["plans"] == []  # county a's plan is not branch b1's to see
    assert client.get(f"/api/v1/programmes?org={tree.county_a.pk}", **auth).status_code == 404


def test_the_api_sets_adopts_and_lists_items(client, tree, people, campaign):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.office)}"}
    created = client.post(
        "/api/v1/programmes",
        json.dumps(
            {
                "org_id": tree.city.pk,
                "campaign_id": campaign.pk,
                "name": "整治侵害群众利益问题",
                "starts_on": str(campaign.starts_on),
                "ends_on": str(campaign.ends_on),
                "lead_unit": "市委政法委",
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    plan = client.post(
        f"/api/v1/programmes/{pk}/plans",
        {
            "org_id": tree.city.pk,
            "doc_number": "银党发〔2019〕3号",
            "issued_on": str(campaign.starts_on),
            "file": pdf(),
        },
        **auth,
    )
    assert plan.status_code == 201, plan.content
    made = client.post(
        f"/api/v1/programmes/{pk}/items",
        json.dumps(
            {
                "org_id": tree.county_b.pk,
                "title": "文山会海问题突出",
                "measures": [{"content": "精简会议文件", "deadline_kind": "ongoing"}],
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    assert made.json()["closed"] is False and made.json()["measures"] == 1
    items = client.get(f"/api/v1/programmes/{pk}/items", **auth).json()
    assert [(i["title"], i["closed"]) for i in items] == [("文山会海问题突出", False)]
    problem = Problem.objects.get(pk=items[0]["problem_id"])
    assert problem.programme_item.programme_id == pk and problem.campaign_id == campaign.pk
    (row,) = client.get("/api/v1/programmes", **auth).json()
    assert (row["plans"], row["items"], row["adopted_here"]) == (1, 1, True)
    refused = client.post(
        f"/api/v1/programmes/{pk}/plans",
        {
            "org_id": tree.city.pk,
            "doc_number": "重复",
            "issued_on": str(campaign.starts_on),
            "file": pdf(),
        },
        **auth,
    )
    assert refused.status_code == 400 and "已制定" in refused.json()["detail"]


# --- pages ---
def test_the_pages_set_adopt_and_list_an_item(client, tree, people, campaign):
    client.force_login(people.county_office_a)
    new = client.post(
        f"{reverse('programmes:new')}?org={tree.county_a.pk}",
        {
            "campaign": campaign.pk,
            "name": "整治不担当不作为问题",
            "set_by": "own",
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "lead_unit": "区委组织部",
        },
    )
    assert new.status_code == 302, new.content.decode()
    p = SpecialProgramme.objects.get(name="整治不担当不作为问题")
    adopt_url = f"{reverse('programmes:adopt', args=[p.pk])}?org={tree.county_a.pk}"
    page = client.post(
        adopt_url,
        {
            "doc_number": "甲党发〔2019〕8号",
            "issued_on": campaign.starts_on,
            "file": pdf("方案.pdf"),
        },
    )
    assert page.status_code == 302
    plan = ProgrammePlan.objects.get(programme=p)
    download = client.get(reverse("programmes:plan_file", args=[plan.pk]))
    assert download.status_code == 200
    item_url = f"{reverse('programmes:item_new', args=[p.pk])}?org={tree.branch_a1.pk}"
    assert client.get(item_url).status_code == 200
    made = client.post(
        item_url,
        {
            "org": tree.branch_a1.pk,
            "title": "干部不愿担当",
            "m-content": "建立容错纠错机制",
            "m-deadline_kind": "ongoing",
        },
    )
    assert made.status_code == 302
    item = ProgrammeItem.objects.get(programme=p)
    assert made["Location"] == reverse("rectification:problem", args=[item.problem_id])
    problem_page = client.get(made["Location"]).content.decode()
    assert "专项整治：整治不担当不作为问题" in problem_page
    detail = client.get(reverse("programmes:detail", args=[p.pk])).content.decode()
    assert "干部不愿担当" in detail and "绿灯" in detail  # its light, as the ledger shows it
    refused = client.post(
        adopt_url, {"doc_number": "x", "issued_on": campaign.starts_on, "file": pdf()}
    )
    assert refused.status_code == 400 and "已制定这项专项整治的实施方案" in refused.content.decode()


# --- the export ---
def test_the_export_has_a_row_per_measure_under_an_office_title(client, tree, people, programme):
    p = programme.programme
    first = add_item(people.branch_a1, p, tree.branch_a1, title="会议过多")
    ledger.add_measure(
        actor=people.branch_a1,
        problem=first.problem,
        content="合并同类会议",
        deadline_kind="ongoing",
        owner_name="赵六",
    )
    add_item(people.county_office_a, p, tree.branch_a2, title='=HYPERLINK("x")')
    client.force_login(people.office)
    response = client.get(reverse("programmes:export", args=[p.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == f"{p.name}专项整治台账"
    assert rows[2] == ["序号", "单位", "问题", "整改措施", "责任人", "时限", "进展", "状态"]
    body = rows[3:]
    assert [(r[0], r[1], r[2], r[3]) for r in body] == [
        (1, "甲一社区党支部", "会议过多", "精简会议文件，每月通报"),
        (1, "甲一社区党支部", "会议过多", "合并同类会议"),
        (2, "甲二社区党支部", '=HYPERLINK("x")', "精简会议文件，每月通报"),
    ]
    assert body[1][4:6] == ["赵六", "长期坚持"] and body[0][7] == "未开始"
    assert sheet["C6"].data_type == "s"  # text, never a formula


# --- figures ---
def _direct(org) -> dict:
    """An independent recount from the rows, in Python."""
    plans = list(ProgrammePlan.objects.values_list("programme_id", "org_path"))
    in_force = {
        p.pk
        for p in SpecialProgramme.objects.all()
        if p.org_path.startswith(org.path)
        or any(
            pid == p.pk and (path.startswith(org.path) or org.path.startswith(path))
            for pid, path in plans
        )
    }
    items = [
        i
        for i in ProgrammeItem.objects.select_related("problem")
        if i.org_path.startswith(org.path)
    ]
    return {
        "programmes": len(in_force),
        "programme_plans": sum(1 for _, path in plans if path.startswith(org.path)),
        "programme_items": len(items),
        "programme_items_closed": sum(1 for i in items if i.problem.status == "closed"),
    }


def test_figures_equal_a_direct_count_for_every_subtree(tree, people, programme):
    p = programme.programme
    own = set_programme(people.county_office_a, tree.town_a, p.campaign, name="街道专项")
    adopt(people.county_office_a, own, tree.town_a)
    adopt(people.office, p, tree.county_b)
    adopt(user_with(tree.branch_b2, "liaison"), p, tree.branch_b2)
    for org in (tree.branch_a1, tree.town_a, tree.branch_b2, tree.branch_b1):
        item = add_item(people.office, p, org, title=f"{org.name}的问题")
    m = item.problem.measures.get()
    act(people.branch_b1, progress(people.branch_b1, m), "submit")
    act(people.office, m, "verify")
    for org in Organization.objects.all():
        assert figures(org) == _direct(org), org.name
    assert subtree_figures(tree.city.path)["programme_items_closed"] == 1


def test_the_dashboard_tile_and_the_report_paragraph_show_the_figures(
    client, tree, people, programme
):
    add_item(people.branch_a1, programme.programme, tree.branch_a1)
    client.force_login(people.office)
    page = client.get(reverse("dashboards:node", args=[tree.city.pk])).content.decode()
    assert 'data-testid="tile-programmes"' in page and "整治事项 1 个，已完成 0 个" in page
    said = report_paragraphs(tree.city, subtree_figures(tree.city.path))
    assert "开展专项整治1项，制定实施方案1个，梳理整治事项1个，已完成0个" in "".join(said)
    assert selectors.report_paragraphs(tree.county_b, figures(tree.county_b)) == []


# --- the seed step ---
def test_the_seed_step_sets_ten_at_the_root_and_twelve_plans_in_the_tree(tree, campaign, people):
    Organization.objects.filter(pk__in=[tree.county_a.pk, tree.county_b.pk]).update(
        unit_type="region"
    )
    for org in (tree.branch_a1, tree.branch_b1, tree.town_a):
        for title in ("形式主义问题仍有表现", "民生领域短板较多", "营商环境还需优化"):
            ledger.create_problem(actor=people.office, org=org, campaign=campaign, title=title)
    context = SimpleNamespace(
        root=tree.city, scale="tiny", rng=random.Random(3), campaign_slug=campaign.slug
    )
    seed_programmes(context)
    at_root = SpecialProgramme.objects.filter(org=tree.city)
    assert at_root.count() == 10
    assert sorted(at_root.values_list("set_by", flat=True)) == ["central"] * 8 + ["region"] * 2
    assert figures(tree.city)["programme_plans"] == 12
    assert figures(tree.city)["programmes"] == 11  # ten and a county's own
    assert figures(tree.county_a)["programme_plans"] == 1
    assert 0 < figures(tree.city)["programme_items"] <= 2 * 11
    assert all(
        i.problem.title in ("形式主义问题仍有表现", "民生领域短板较多", "营商环境还需优化")
        for i in ProgrammeItem.objects.select_related("problem")
    )
