"""The restricted registers: only the holders of a register's role over the organisation see
it; everyone else of the same organisation (its liaison, office, administrator) gets 404 on
every page and API operation; the registers show nowhere else; every read is logged; the
cases follow their steps in order."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import grant_refusal
from luoshi.accounts.tokens import issue_token
from luoshi.core.models import AuditEvent
from luoshi.registers import services
from luoshi.registers.models import CadreRotation, InquiryCase, ToleranceCase
from tests.core.test_sweep import _patterns
from tests.factories import user_with

pytestmark = pytest.mark.django_db
SECRET = "反映其收受礼金的机密线索"
TODAY = timezone.localdate()


@pytest.fixture
def cases(tree):
    discipline = user_with(tree.city, Role.DISCIPLINE, username="jiwei")
    org_dept = user_with(tree.city, Role.ORGANIZATION_DEPT, username="zuzhibu")
    day = (TODAY - timedelta(days=5)).isoformat()
    inquiry = services.open_case(
        actor=discipline,
        kind="inquiries",
        org=tree.county_a,
        data={
            "subject": "王某",
            "clue_source": "petition",
            "clue_received_on": day,
            "clue_summary": SECRET,
        },
    )
    tolerance = services.open_case(
        actor=discipline,
        kind="tolerance",
        org=tree.county_a,
        data={"subject": "张某", "happened_on": day, "case_summary": SECRET},
    )
    rotation = services.open_case(
        actor=org_dept,
        kind="rotations",
        org=tree.county_a,
        data={
            "cadre_name": "赵机密",
            "kind": "rotation",
            "from_org": tree.county_b.code,
            "from_post": SECRET,
            "to_post": "副区长",
            "starts_on": day,
        },
    )
    return {
        "discipline": discipline,
        "org_dept": org_dept,
        "inquiries": inquiry.pk,
        "tolerance": tolerance.pk,
        "rotations": rotation.pk,
    }


NAMES = {"inquiry": "inquiries", "tolerance_case": "tolerance", "rotation": "rotations"}


def _register_urls(ids):
    """Every register page, with the case's id where it takes one."""
    for name, pattern in _patterns():
        if not name.startswith("registers:"):
            continue
        short = name.split(":")[1]
        kind = NAMES.get(short.removesuffix("_step").removesuffix("_new"))
        if "<" in str(pattern.pattern):
            yield name, reverse(name, args=[ids[kind]])
        else:
            yield name, reverse(name)


def _api_urls(ids, org_id):
    for kind in ("inquiries", "tolerance", "rotations"):
        base = f"/api/v1/registers/{kind}"
        yield "get", base, None
        yield "get", f"{base}/{ids[kind]}", None
        yield "post", base, {"org_id": org_id, "fields": {"subject": "x"}}
        yield "post", f"{base}/{ids[kind]}/step", {"step": "decide", "fields": {}}


@pytest.mark.parametrize("role", ["liaison", "office", "admin", "guidance", "leader", "viewer"])
def test_every_other_role_of_the_same_organisation_gets_404_everywhere(client, tree, cases, role):
    user = user_with(tree.county_a, role, username=f"same_{role}")
    client.force_login(user)
    urls = list(_register_urls(cases))
    assert len(urls) >= 10
    for name, url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"step": "decide", "subject": "x"})
            assert response.status_code in (404, 405), (role, name, method, response.status_code)
            assert SECRET.encode() not in response.content
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}
    for _method, url, body in _api_urls(cases, tree.county_a.pk):
        if body is None:
            response = client.get(url, **auth)
        else:
            response = client.post(url, json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 404, (role, url, response.status_code)
        assert SECRET.encode() not in response.content
    assert InquiryCase.objects.get().subject == "王某" and InquiryCase.objects.count() == 1
    assert not AuditEvent.objects.filter(kind="register_read", actor=user).exists()
    assert AuditEvent.objects.filter(kind="refused", actor=user).count() >= len(urls)


def test_the_register_shows_nowhere_else(client, tree, cases):
    admin = user_with(tree.city, "admin", username="city_admin_reg")
    client.force_login(admin)
    for url in (
        f"/dashboard/{tree.city.pk}/",
        f"/dashboard/{tree.county_a.pk}/",
        f"/orgs/{tree.county_a.pk}/",
        "/orgs/search/?q=王某",
        "/ledger/?q=机密",
        "/ledger/export.xlsx",
        "/my-work/",
    ):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert SECRET.encode() not in body and "专项登记".encode() not in body, url
    out = io.StringIO()
    call_command("stats", org=tree.city.code, json=True, stdout=out)
    text = out.getvalue()
    assert SECRET not in text
    keys = json.loads(text)
    flat = json.dumps(keys)
    for word in ("inquir", "tolerance", "rotation", "register", "谈话", "容错", "交流"):
        assert word not in flat, word


def test_the_holder_sees_its_register_and_every_read_is_logged(client, tree, cases):
    client.force_login(cases["discipline"])
    before = AuditEvent.objects.filter(kind="register_read").count()
    listing = client.get(reverse("registers:inquiries"))
    assert listing.status_code == 200 and "王某" in listing.content.decode()
    detail = client.get(reverse("registers:inquiry", args=[cases["inquiries"]]))
    assert detail.status_code == 200 and SECRET in detail.content.decode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cases['discipline'])}"}
    assert (
        client.get(f"/api/v1/registers/inquiries/{cases['inquiries']}", **auth).status_code == 200
    )
    reads = AuditEvent.objects.filter(kind="register_read").order_by("id")[before:]
    assert [e.target for e in reads] == [
        "inquiries:list",
        f"inquiries:{cases['inquiries']}",
        f"inquiries:{cases['inquiries']}",
    ]
    assert all(e.actor == cases["discipline"] for e in reads)
    # the discipline department does not see the organisation department's rotations
    assert client.get(reverse("registers:rotation", args=[cases["rotations"]])).status_code == 404
    assert client.get(reverse("registers:rotations")).status_code == 404
    client.force_login(cases["org_dept"])
    assert client.get(reverse("registers:rotation", args=[cases["rotations"]])).status_code == 200
    assert client.get(reverse("registers:inquiry", args=[cases["inquiries"]])).status_code == 404


def test_a_holder_outside_the_subtree_gets_404(client, tree, cases):
    other = user_with(tree.county_b, Role.DISCIPLINE, username="jiwei_b")
    client.force_login(other)
    assert client.get(reverse("registers:inquiries")).status_code == 200
    assert "王某" not in client.get(reverse("registers:inquiries")).content.decode()
    assert client.get(reverse("registers:inquiry", args=[cases["inquiries"]])).status_code == 404


def test_an_inquiry_follows_its_steps_and_its_conclusion_decides_what_may_follow(tree, cases):
    actor, pk = cases["discipline"], cases["inquiries"]
    step = lambda name, **data: services.record_step(  # noqa: E731
        actor=actor, kind="inquiries", pk=pk, step=name, data=data
    )
    with pytest.raises(services.Invalid, match="上一环节"):
        step("reply", reply="说明", replied_on=TODAY.isoformat())
    step("decide", decision="letter", decided_on=TODAY.isoformat(), talk_or_letter="函询")
    with pytest.raises(services.Invalid, match="不能重复"):
        step("decide", decision="talk", decided_on=TODAY.isoformat(), talk_or_letter="谈话")
    step("reply", reply="如实说明", replied_on=TODAY.isoformat())
    with pytest.raises(services.Invalid, match="澄清正名"):
        step("conclude", conclusion="false", follow_up="handle", follow_up_note="处理")
    step("conclude", conclusion="false", follow_up="clarify", follow_up_note="予以澄清")
    case = InquiryCase.objects.get(pk=pk)
    assert (case.decision, case.conclusion, case.follow_up) == ("letter", "false", "clarify")


def test_tolerance_is_judged_against_the_three_distinctions(tree, cases):
    actor, pk = cases["discipline"], cases["tolerance"]
    judged = {
        "inexperience": "true",
        "exploration": "true",
        "no_self_interest": "false",
        "judgement": "为谋取私利",
        "decision": "exempt",
        "decided_on": TODAY.isoformat(),
        "correction_required": "退回款项",
    }
    with pytest.raises(services.Invalid, match="免责须三个区分开来"):
        services.record_step(actor=actor, kind="tolerance", pk=pk, step="judge", data=judged)
    services.record_step(
        actor=actor, kind="tolerance", pk=pk, step="judge", data={**judged, "decision": "reduced"}
    )
    services.record_step(
        actor=actor,
        kind="tolerance",
        pk=pk,
        step="correct",
        data={"correction_done_on": TODAY.isoformat(), "correction_note": "已退回"},
    )
    case = ToleranceCase.objects.get(pk=pk)
    assert case.decision == "reduced" and case.correction_done_on == TODAY
    assert CadreRotation.objects.get().from_org == tree.county_b


def test_only_an_office_or_admin_grants_a_register_role_and_it_grants_nothing(tree, cases):
    office = user_with(tree.county_a, "office", username="grant_office")
    liaison = user_with(tree.county_a, "liaison", username="grant_liaison")
    guidance = user_with(tree.county_a, "guidance", username="grant_guidance")
    for role in (Role.DISCIPLINE, Role.ORGANIZATION_DEPT):
        assert grant_refusal(office, tree.county_a.path, role) is None
        assert grant_refusal(office, tree.city.path, role) is not None  # not above itself
        assert grant_refusal(liaison, tree.county_a.path, role) is not None
        assert grant_refusal(guidance, tree.county_a.path, role) is not None
    for role in Role.values:
        assert grant_refusal(cases["discipline"], tree.county_a.path, role) is not None
        assert grant_refusal(cases["org_dept"], tree.county_a.path, role) is not None


def test_the_holder_opens_and_steps_a_case_through_the_pages(client, tree, cases):
    client.force_login(cases["discipline"])
    new = reverse("registers:inquiry_new") + f"?org={tree.county_b.pk}"
    assert client.get(new).status_code == 200
    refused = client.post(new, {"subject": "", "clue_source": "petition"})
    assert refused.status_code == 400 and "alert-danger" in refused.content.decode()
    made = client.post(
        new,
        {
            "subject": "李某",
            "clue_source": "audit",
            "clue_received_on": TODAY.isoformat(),
            "clue_summary": "审计发现问题线索",
        },
    )
    case = InquiryCase.objects.get(subject="李某")
    assert made.status_code == 302 and case.org == tree.county_b
    step = reverse("registers:inquiry_step", args=[case.pk])
    wrong = client.post(step, {"step": "decide", "decision": "talk"})
    assert wrong.status_code == 400 and "alert-danger" in wrong.content.decode()
    client.post(
        step,
        {
            "step": "decide",
            "decision": "talk",
            "decided_on": TODAY.isoformat(),
            "talk_or_letter": "谈话提醒",
        },
    )
    assert InquiryCase.objects.get(pk=case.pk).decision == "talk"
    page = client.get(reverse("registers:inquiry", args=[case.pk])).content.decode()
    assert "本人说明" in page and "谈话提醒" in page


def test_the_move_confirmation_counts_no_register_rows(tree, cases):
    from luoshi.orgs.services import transfer_counts

    before = transfer_counts(tree.county_a)["rows"]
    services.open_case(
        actor=cases["discipline"],
        kind="inquiries",
        org=tree.county_a,
        data={
            "subject": "又一人",
            "clue_source": "other",
            "clue_received_on": TODAY.isoformat(),
            "clue_summary": "线索",
        },
    )
    assert transfer_counts(tree.county_a)["rows"] == before
