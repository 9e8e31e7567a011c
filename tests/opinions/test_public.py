"""The pages people use without an account: the online form, the tracking page, the board."""

import io
import math
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from PIL import Image

from luoshi.opinions import services
from luoshi.opinions.models import Opinion, OpinionPhoto, OpinionState
from luoshi.opinions.photos import open_photo
from luoshi.opinions.services import CODE_ALPHABET, CODE_LENGTH
from luoshi.rectification import services as ledger
from tests.opinions.conftest import GPS_IFD, jpeg_with_location, png

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


def _post_form(client, org, text="村口道路坑洼多，雨天积水严重", ip="10.0.0.1", **data):
    payload = {"topic": "livelihood", "text": text, "anonymous": "on", **data}
    return client.post(reverse("opinions:public_form", args=[org.code]), payload, REMOTE_ADDR=ip)


def _code_from_thanks(client, response) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"])
    return CODE_RE.search(page.content.decode()).group(0)


def _track(client, code, ip="10.0.0.9"):
    return client.post(reverse("opinions:track"), {"code": code}, REMOTE_ADDR=ip)


def test_anonymous_sender_submits_gets_a_code_and_sees_the_state(client, tree, campaign):
    form = client.get(reverse("opinions:public_form", args=[tree.branch_a1.code]))
    assert form.status_code == 200
    assert "甲一社区党支部".encode() in form.content
    code = _code_from_thanks(client, _post_form(client, tree.branch_a1))
    opinion = Opinion.objects.get()
    assert opinion.org == tree.branch_a1 and opinion.anonymous and opinion.channel == "online"
    assert opinion.state == OpinionState.PENDING
    # Only a hash is kept: the code itself is nowhere in the row.
    assert code not in str(Opinion.objects.values().get())
    page = _track(client, code)
    assert page.status_code == 200
    assert "待处理" in page.content.decode()
    # The code is shown once: reloading the thanks page does not show it again.
    again = client.get(reverse("opinions:public_thanks", args=[tree.branch_a1.code]))
    assert again.status_code == 302


def test_codes_have_at_least_64_bits_and_do_not_repeat(submit):
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 64
    codes = {submit(text=f"第{i}条意见建议内容")[1] for i in range(50)}
    assert len(codes) == 50
    assert all(CODE_RE.fullmatch(c) for c in codes)


def test_code_is_read_back_whatever_case_spaces_or_full_width(client, submit):
    _, code = submit()
    typed = " " + code.lower().replace("-", " ") + " "
    assert "待处理" in _track(client, typed).content.decode()
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in code)
    assert "待处理" in _track(client, full_width).content.decode()


def test_tracking_reveals_only_that_opinions_state_and_answer(client, tree, submit, office):
    mine, code = submit(
        text="我家门前的下水道堵了", contact="13900001111", anonymous=False, name="王大妈"
    )
    other, _ = submit(text="另一位群众的秘密意见", contact="13800002222")
    services.answer_opinion(
        actor=office.branch, opinion_id=mine.pk, version=mine.version, answer="已安排疏通，感谢监督"
    )
    services.answer_opinion(
        actor=office.branch, opinion_id=other.pk, version=other.version, answer="别人的答复"
    )
    body = _track(client, code).content.decode()
    assert "已安排疏通，感谢监督" in body and "已答复" in body
    for hidden in (
        "另一位群众",
        "别人的答复",
        "13800002222",
        "13900001111",
        "王大妈",
        "我家门前的下水道堵了",
        f"/opinions/{mine.pk}/",
    ):
        assert hidden not in body, hidden


def test_absent_and_malformed_codes_get_the_same_answer(client, submit):
    submit()
    pages = [_track(client, c) for c in ("ABCD-EFGH-JKMN-PQRS", "!!!", "x" * 40)]
    assert {p.status_code for p in pages} == {200}
    # Equal but for the CSRF token and the code typed back into the field.
    bodies = {re.sub(r'[A-Za-z0-9]{64}|value="[^"]*"', "", p.content.decode()) for p in pages}
    assert len(bodies) == 1
    assert "没有找到这个查询码" in bodies.pop()


def test_lookups_are_rate_limited_per_address_and_recover(client, submit):
    _, code = submit()
    with time_machine.travel("2026-06-01 10:00:00 +0800", tick=False) as clock:
        for i in range(20):
            assert _track(client, f"GUESS-{i:04d}", ip="10.9.9.9").status_code == 200
        refused = _track(client, code, ip="10.9.9.9")
        assert refused.status_code == 429 and "Retry-After" in refused
        assert "待处理" not in refused.content.decode()
        # Another address is not affected.
        assert "待处理" in _track(client, code, ip="10.9.9.10").content.decode()
        clock.shift(601)
        assert "待处理" in _track(client, code, ip="10.9.9.9").content.decode()


def test_submissions_are_rate_limited_per_address_without_losing_the_text(client, tree, campaign):
    with time_machine.travel("2026-06-01 10:00:00 +0800", tick=False) as clock:
        for i in range(5):
            assert _post_form(client, tree.branch_a1, f"第{i}条：路灯不亮").status_code == 302
        refused = _post_form(client, tree.branch_a1, "第六条：这条很重要，不能丢")
        assert refused.status_code == 429
        assert "这条很重要，不能丢" in refused.content.decode()  # still in the form
        assert "提交太频繁" in refused.content.decode()
        assert Opinion.objects.count() == 5
        # A neighbour at another address is not held up.
        assert (
            _post_form(client, tree.branch_a1, "邻居的意见建议", ip="10.0.0.2").status_code == 302
        )
        clock.shift(601)
        assert _post_form(client, tree.branch_a1, "第六条：这条很重要，不能丢").status_code == 302
    assert Opinion.objects.count() == 7


def test_behind_the_trusted_proxy_each_client_has_its_own_allowance(
    client, tree, campaign, submit, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    _, code = submit()

    def via_proxy(client_ip):
        return {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": client_ip}

    url = reverse("opinions:public_form", args=[tree.branch_a1.code])
    data = {"topic": "livelihood", "anonymous": "on"}
    with time_machine.travel("2026-06-01 10:00:00 +0800", tick=False):
        for i in range(5):
            sent = client.post(url, {**data, "text": f"第{i}条：路灯不亮"}, **via_proxy("1.1.1.1"))
            assert sent.status_code == 302
        refused = client.post(url, {**data, "text": "第六条"}, **via_proxy("1.1.1.1"))
        assert refused.status_code == 429
        other = client.post(url, {**data, "text": "另一位群众"}, **via_proxy("2.2.2.2"))
        assert other.status_code == 302
        track = reverse("opinions:track")
        for i in range(20):
            client.post(track, {"code": f"GUESS-{i:04d}"}, **via_proxy("3.3.3.3"))
        assert client.post(track, {"code": code}, **via_proxy("3.3.3.3")).status_code == 429
        found = client.post(track, {"code": code}, **via_proxy("4.4.4.4"))
        assert "待处理" in found.content.decode()


def test_a_flood_on_one_organisation_leaves_other_organisations_open(
    client, tree, campaign, settings
):
    settings.OPINION_LIMITS = {"submit_org": (10, 3600)}
    with time_machine.travel("2026-06-01 10:00:00 +0800", tick=False):
        statuses = [
            _post_form(client, tree.branch_a1, f"刷量内容{i}", ip=f"10.1.{i}.1").status_code
            for i in range(15)
        ]
        assert statuses.count(302) == 10 and statuses.count(429) == 5
        assert (
            _post_form(client, tree.branch_b1, "乙一村的真实意见", ip="10.2.0.1").status_code == 302
        )
    assert Opinion.objects.filter(org=tree.branch_b1).count() == 1


def test_honeypot_filled_in_keeps_nothing_but_looks_accepted(client, tree, campaign):
    response = _post_form(client, tree.branch_a1, homepage="http://spam.example")
    assert response.status_code == 302
    assert Opinion.objects.count() == 0


def test_oversize_and_empty_text_are_refused_with_a_reason_and_nothing_stored(
    client, tree, campaign
):
    big = _post_form(client, tree.branch_a1, "长" * 100_000)
    assert big.status_code == 400
    assert "2000" in big.content.decode()
    short = _post_form(client, tree.branch_a1, "  好  ")
    assert short.status_code == 400 and "至少写 5 个字" in short.content.decode()
    assert Opinion.objects.count() == 0


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, tree, submit, office):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> =HYPERLINK("http://x")\u202e'
    opinion, code = submit(text=hostile)
    opinion.refresh_from_db()
    assert opinion.text == hostile.replace("\u202e", "")  # bidi override dropped, rest kept
    services.answer_opinion(
        actor=office.branch,
        opinion_id=opinion.pk,
        version=1,
        answer="<b onmouseover=alert(3)>答复</b>",
    )
    page = _track(client, code)
    body = page.content.decode()
    assert "<b onmouseover" not in body and "&lt;b onmouseover=alert(3)&gt;" in body
    assert "script-src 'self'" in page["Content-Security-Policy"]
    client.force_login(office.branch)
    detail = client.get(reverse("opinions:detail", args=[opinion.pk])).content.decode()
    assert "<script>alert(1)" not in detail and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail


def test_public_form_post_without_csrf_token_is_refused(tree, campaign):
    client = Client(enforce_csrf_checks=True)
    response = _post_form(client, tree.branch_a1)
    assert response.status_code == 403
    assert Opinion.objects.count() == 0


def test_photos_are_re_encoded_without_location_or_camera(client, tree, campaign, office):
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original.read())).getexif().get_ifd(GPS_IFD)
    original.seek(0)
    response = _post_form(client, tree.branch_a1, photos=[original, png()])
    assert response.status_code == 302
    photos = list(OpinionPhoto.objects.order_by("id"))
    assert len(photos) == 2
    for photo in photos:
        with open_photo(photo.stored_name) as stored_file:
            data = stored_file.read()
        assert data.startswith(b"\xff\xd8\xff") and b"SpyCam" not in data
        stored = Image.open(io.BytesIO(data))
        assert not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
    # Served to the branch's office only.
    url = reverse("opinions:photo", args=[photos[0].pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(office.other_branch)
    assert client.get(url).status_code == 404
    client.force_login(office.branch)
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("照片.jpg", b"MZ\x90\x00 this is an executable", "内容不是允许的类型"),
        ("照片.pdf", b"%PDF-1.4\n%%EOF\n", "只能上传 JPG 或 PNG 照片"),
        ("照片.png", b"\xff\xd8\xff\xe0 truncated jpeg", "扩展名与内容不符"),
        ("照片.jpg", b"\xff\xd8\xff\xe0 truncated jpeg", "照片已损坏"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_kept(
    client, tree, campaign, name, content, reason, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _post_form(client, tree.branch_a1, photos=[SimpleUploadedFile(name, content)])
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert Opinion.objects.count() == 0 and OpinionPhoto.objects.count() == 0


def test_more_than_three_photos_are_refused(client, tree, campaign):
    response = _post_form(client, tree.branch_a1, photos=[png(f"{i}.png") for i in range(4)])
    assert response.status_code == 400 and "最多上传 3 张照片" in response.content.decode()
    assert Opinion.objects.count() == 0


def test_an_organisation_outside_every_campaign_says_so(client, tree):
    page = client.get(reverse("opinions:public_form", args=[tree.branch_a1.code]))
    assert "目前没有开展征求意见" in page.content.decode()
    assert _post_form(client, tree.branch_a1).status_code == 400
    assert client.get(reverse("opinions:public_form", args=["NO-SUCH"])).status_code == 404


def test_board_shows_immediate_fixes_without_personal_data(client, tree, campaign, office):
    from tests.rectification.conftest import pdf

    fixed = ledger.record_immediate_fix(
        actor=office.branch,
        org=tree.branch_a1,
        campaign=campaign,
        title="村口路灯不亮",
        measure="当天更换路灯 6 盏",
        files=[pdf()],
        description="张三反映，电话 13900001111",
    )
    ordinary = ledger.create_problem(
        actor=office.branch,
        org=tree.branch_a1,
        campaign=campaign,
        title="不公开的普通问题",
        level="personal",
        person_name="李四",
    )
    assert fixed.immediate and not ordinary.immediate
    measure = fixed.measures.get()  # shown once the level above has verified it
    ledger.transition_measure(
        actor=office.county, measure_id=measure.pk, action="verify", version=measure.version
    )
    page = client.get(reverse("opinions:board", args=[tree.city.code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "村口路灯不亮" in body and "当天更换路灯 6 盏" in body and "已完成" in body
    for hidden in ("不公开的普通问题", "李四", "张三", "13900001111", office.branch.username):
        assert hidden not in body, hidden
    # A sibling county's board does not list branch a1's fix.
    assert (
        "村口路灯不亮"
        not in client.get(reverse("opinions:board", args=[tree.county_b.code])).content.decode()
    )


def test_a_signed_in_visitors_board_is_the_public_copy_without_their_name(
    client, tree, campaign, office
):
    office.city.first_name = "市委办张主任"
    office.city.save()
    client.force_login(office.city)
    page = client.get(reverse("opinions:board", args=[tree.city.code]))
    body = page.content.decode()
    assert page.status_code == 200 and "立查立改公示" in body
    if "public" in page["Cache-Control"]:
        for own in ("市委办张主任", office.city.username, "退出登录", "csrfmiddlewaretoken"):
            assert own not in body, own
        assert "X-CSRFToken" not in body and "csrftoken" not in page.cookies
        assert "Cookie" not in page.get("Vary", "")
    else:
        assert "private" in page["Cache-Control"]
    # Still signed in for the pages of the office.
    assert "市委办张主任" in client.get(reverse("opinions:list")).content.decode()


def test_qr_code_encodes_the_form_link(client, tree):
    response = client.get(reverse("opinions:qr", args=[tree.branch_a1.code]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in response.content  # loads as an <img>
    assert b"<script" not in response.content


def test_a_body_larger_than_three_photos_is_refused_unread(client, tree, campaign):
    response = client.post(
        reverse("opinions:public_form", args=[tree.branch_a1.code]),
        {"topic": "other", "text": "正常的意见建议内容"},
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "照片最多 3 张" in response.content.decode()
    assert Opinion.objects.count() == 0
