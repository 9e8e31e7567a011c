"""Every write to opinions and symposia.

Public submissions come without an account: they are checked for size and content, get a
tracking code from `secrets` (80 bits; only its SHA-256 is stored) and are written in one short
transaction. Triage (accept into the ledger, answer, pass on, decline) is for the owners of the
opinion's organisation (liaison, office, admin there or above), checks the version the user saw,
and appends an OpinionEvent in the same transaction. Accepting creates or reuses a problem
through the ledger's own services, so the ledger's rules and history apply unchanged."""

import hashlib
import re
import secrets
import unicodedata
from datetime import date

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.campaigns.models import Campaign, ProblemSource
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.files import UploadRefused
from luoshi.core.paths import ancestor_paths
from luoshi.core.scoping import can_see_path, get_visible_or_404
from luoshi.opinions import tallies
from luoshi.opinions.models import (
    OPEN_STATES,
    Channel,
    Opinion,
    OpinionEvent,
    OpinionPhoto,
    OpinionState,
    Rating,
    Symposium,
    Topic,
)
from luoshi.opinions.photos import MAX_PHOTOS, clean_photo, delete_photo, store_photo
from luoshi.orgs.models import Organization
from luoshi.rectification import services as ledger
from luoshi.rectification.models import DeadlineKind, Problem, ProblemStatus
from luoshi.search import services as search

MIN_TEXT, MAX_TEXT = 5, 2000
MAX_ANSWER = 2000
OPINION_SOURCE = "征求意见"
# No 0/O, 1/I/L: a code read out over the phone or copied from paper survives.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 16 × log2(31) ≈ 79 bits

__all__ = ["Conflict", "Invalid", "NotAllowed"]


# --- codes -----------------------------------------------------------------------------------
def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[^0-9A-Z]", "", text)[: CODE_LENGTH * 2]


def hash_code(text: str) -> str:
    return hashlib.sha256(normalise_code(text).encode()).hexdigest()


def find_by_code(text: str) -> Opinion | None:
    """The opinion whose code this is, or None; absent and malformed codes cost the same."""
    return (
        Opinion.objects.select_related("org", "problem").filter(code_hash=hash_code(text)).first()
    )


# --- helpers ---------------------------------------------------------------------------------
def clean_text(text: str) -> str:
    """Text as typed, without control or bidirectional-override characters (newlines kept)."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co"}
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _actor_name(actor) -> str:
    if actor is None:
        return "群众"
    return actor.get_full_name() or actor.get_username()


def _record(opinion: Opinion, action: str, actor=None, note: str = "", **detail) -> None:
    """The opinion's history entry, written with every change of an opinion; the change's
    figures go into the tally (core/tallies.py) in the same transaction."""
    tallies.refresh(opinion.org_path)
    OpinionEvent.objects.create(
        org_id=opinion.org_id,
        org_path=opinion.org_path,
        opinion=opinion,
        action=action,
        actor=None if actor is None or getattr(actor, "is_system", False) else actor,
        actor_name=_actor_name(actor),
        note=note,
        detail=detail,
    )


def campaign_for(org: Organization) -> Campaign | None:
    """The campaign that covers `org`: run by it or by one of its ancestors, latest first."""
    return (
        Campaign.objects.filter(org_path__in=ancestor_paths(org.path))
        .order_by("-starts_on", "-id")
        .first()
    )


def _require_owner(actor, org_path: str) -> None:
    if not can_see_path(actor, org_path):
        raise Http404
    if not may_keep_ledger(actor, org_path):
        raise NotAllowed("您的岗位不能办理该单位的意见建议")


def _opinion(actor, opinion_id: int, version: int | None = None) -> Opinion:
    opinion = get_visible_or_404(
        Opinion.objects.select_related("org", "campaign"), actor, pk=opinion_id
    )
    _require_owner(actor, opinion.org_path)
    if version is not None and opinion.version != version:
        raise Conflict()
    return opinion


def _require_open(opinion: Opinion) -> None:
    if opinion.state not in OPEN_STATES:
        raise Invalid(f"该意见已{opinion.get_state_display()}，不能重复办理")


def _decide(opinion: Opinion, actor, version: int, **fields) -> None:
    """Write a decision with the version check; the first decision fixes the handling time."""
    now = timezone.now()
    if opinion.handled_at is None:
        fields |= {
            "handled_at": now,
            "handle_seconds": max(0, int((now - opinion.submitted_at).total_seconds())),
        }
    fields |= {"handled_by": actor if getattr(actor, "pk", None) else None}
    updated = Opinion.objects.filter(pk=opinion.pk, version=version, state__in=OPEN_STATES).update(
        **fields, version=F("version") + 1
    )
    if not updated:
        raise Conflict()


def _validate(text: str, topic: str, name: str, contact: str) -> tuple[str, str, str]:
    text = clean_text(text)
    if len(text) < MIN_TEXT:
        raise Invalid(f"意见建议至少写 {MIN_TEXT} 个字")
    if len(text) > MAX_TEXT:
        raise Invalid(f"意见建议不能超过 {MAX_TEXT} 字（现有 {len(text)} 字）")
    if topic not in Topic.values:
        raise Invalid("请选择意见类别")
    name, contact = clean_text(name), clean_text(contact)
    if len(name) > 40:
        raise Invalid("姓名不能超过 40 字")
    if len(contact) > 60:
        raise Invalid("联系方式不能超过 60 字")
    return text, name, contact


# --- receiving -------------------------------------------------------------------------------
def _create(
    *,
    org: Organization,
    campaign: Campaign,
    channel: str,
    topic: str,
    text: str,
    anonymous: bool,
    name: str,
    contact: str,
    photos,
    symposium: Symposium | None,
    actor,
    submitted_at=None,
) -> tuple[Opinion, str]:
    text, name, contact = _validate(text, topic, name, contact)
    if anonymous:
        name = ""
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"最多上传 {MAX_PHOTOS} 张照片")
    try:
        cleaned = [clean_photo(p) for p in photos]
    except UploadRefused as exc:
        raise Invalid(str(exc)) from exc
    code = new_code()
    stored: list[str] = []
    try:
        with transaction.atomic():
            opinion = Opinion.objects.create(
                org=org,
                org_path=org.path,
                campaign=campaign,
                channel=channel,
                topic=topic,
                text=text,
                anonymous=anonymous,
                name=name,
                contact=contact,
                symposium=symposium,
                code_hash=hash_code(code),
                code_hint=normalise_code(code)[:4],
                submitted_at=submitted_at or timezone.now(),
            )
            for photo in cleaned:
                stored_name = store_photo(photo)
                stored.append(stored_name)
                OpinionPhoto.objects.create(
                    org=org,
                    org_path=org.path,
                    opinion=opinion,
                    stored_name=stored_name,
                    width=photo.width,
                    height=photo.height,
                    size=len(photo.data),
                )
            _record(opinion, "received", actor, channel=channel, photos=len(cleaned))
            search.index("opinion", opinion)
    except Exception:
        for stored_name in stored:
            delete_photo(stored_name)
        raise
    return opinion, code


def submit_public_opinion(
    *,
    org: Organization,
    topic: str,
    text: str,
    contact: str = "",
    name: str = "",
    anonymous: bool = True,
    photos=(),
) -> tuple[Opinion, str]:
    """An opinion from the online form, without an account. Returns it with its tracking code
    (shown once, never stored). Invalid when the text, contact or photos are refused or no
    campaign covers the organisation; nothing is written then."""
    campaign = campaign_for(org)
    if campaign is None:
        raise Invalid("该组织目前没有开展征求意见")
    return _create(
        org=org,
        campaign=campaign,
        channel=Channel.ONLINE,
        topic=topic,
        text=text,
        anonymous=anonymous,
        name=name,
        contact=contact,
        photos=photos,
        symposium=None,
        actor=None,
    )


def record_opinion(
    *,
    actor,
    org: Organization,
    channel: str,
    topic: str,
    text: str,
    contact: str = "",
    name: str = "",
    anonymous: bool = True,
    photos=(),
    symposium_id: int | None = None,
) -> tuple[Opinion, str]:
    """An opinion from a paper form, a talk or a symposium, entered by the organisation's
    owners. With a symposium, the opinion belongs to the symposium's organisation."""
    symposium = None
    if symposium_id:
        symposium = get_visible_or_404(
            Symposium.objects.select_related("org"), actor, pk=symposium_id
        )
        org, channel = symposium.org, Channel.SYMPOSIUM
    _require_owner(actor, org.path)
    if channel not in Channel.values:
        raise Invalid("请选择征求渠道")
    campaign = symposium.campaign if symposium else campaign_for(org)
    if campaign is None:
        raise Invalid("该组织不在任何主题教育的范围内")
    return _create(
        org=org,
        campaign=campaign,
        channel=channel,
        topic=topic,
        text=text,
        anonymous=anonymous,
        name=name,
        contact=contact,
        photos=photos,
        symposium=symposium,
        actor=actor,
    )


@transaction.atomic
def create_symposium(
    *,
    actor,
    org: Organization,
    held_on: date,
    title: str,
    attendees: str,
    attendee_count: int = 0,
    notes: str = "",
) -> Symposium:
    """Record a symposium (座谈会) held by `org`; the actor must own `org`'s records."""
    _require_owner(actor, org.path)
    campaign = campaign_for(org)
    if campaign is None:
        raise Invalid("该组织不在任何主题教育的范围内")
    title, attendees = clean_text(title), clean_text(attendees)
    if not title:
        raise Invalid("请填写座谈会名称")
    if not attendees:
        raise Invalid("请填写参加人员")
    if held_on > timezone.localdate():
        raise Invalid("召开日期不能晚于今天")
    if attendee_count < 0:
        raise Invalid("参加人数不能为负数")
    symposium = Symposium.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        title=title[:120],
        held_on=held_on,
        attendees=attendees[:300],
        attendee_count=attendee_count,
        notes=clean_text(notes),
        created_by=actor,
    )
    tallies.refresh(org.path)
    return symposium


# --- triage ----------------------------------------------------------------------------------
@transaction.atomic
def accept_opinion(
    *,
    actor,
    opinion_id: int,
    version: int,
    problem_id: int | None = None,
    title: str = "",
    category=None,
    measure: str = "",
    due_on: date | None = None,
    answer: str = "",
) -> Problem:
    """Take the opinion into the ledger: as a new problem of the opinion's organisation (source
    征求意见, optionally with a first measure), or merged into an existing problem the actor owns
    in the same campaign. Several opinions may point to one problem."""
    opinion = _opinion(actor, opinion_id, version)
    _require_open(opinion)
    answer = clean_text(answer)
    if len(answer) > MAX_ANSWER:
        raise Invalid(f"答复不能超过 {MAX_ANSWER} 字")
    if problem_id:
        problem = get_visible_or_404(Problem.objects, actor, pk=problem_id)
        if not may_keep_ledger(actor, problem.org_path):
            raise NotAllowed("只能并入本单位或下级单位的问题")
        if problem.campaign_id != opinion.campaign_id:
            raise Invalid("只能并入同一主题教育的问题")
        if problem.status == ProblemStatus.CLOSED:
            raise Invalid("该问题已整改销号，请新建问题")
        action = "merged"
    else:
        title = clean_text(title)
        if not title:
            raise Invalid("请填写问题（可概括群众意见）")
        source = ProblemSource.objects.filter(
            campaign_id=opinion.campaign_id, name=OPINION_SOURCE
        ).first()
        problem = ledger.create_problem(
            actor=actor,
            org=opinion.org,
            campaign=opinion.campaign,
            title=title[:300],
            description=opinion.text,
            source=source,
            category=category,
        )
        if clean_text(measure):
            ledger.add_measure(
                actor=actor,
                problem=problem,
                content=clean_text(measure),
                deadline_kind=DeadlineKind.DATE if due_on else DeadlineKind.IMMEDIATE,
                due_on=due_on,
            )
        action = "accepted"
    _decide(opinion, actor, version, state=OpinionState.ACCEPTED, problem=problem, answer=answer)
    opinion.refresh_from_db()
    tallies.refresh(problem.org_path)  # the problem now counts as made from opinions
    _record(opinion, action, actor, note=answer, problem=problem.pk)
    return problem


@transaction.atomic
def answer_opinion(*, actor, opinion_id: int, version: int, answer: str) -> Opinion:
    """Answer directly, without a problem in the ledger (a question, an explanation, something
    already done)."""
    opinion = _opinion(actor, opinion_id, version)
    _require_open(opinion)
    answer = clean_text(answer)
    if not answer:
        raise Invalid("请填写答复内容")
    if len(answer) > MAX_ANSWER:
        raise Invalid(f"答复不能超过 {MAX_ANSWER} 字")
    _decide(opinion, actor, version, state=OpinionState.ANSWERED, answer=answer)
    opinion.refresh_from_db()
    search.index("opinion", opinion)
    _record(opinion, "answered", actor, note=answer)
    return opinion


@transaction.atomic
def decline_opinion(*, actor, opinion_id: int, version: int, reason: str) -> Opinion:
    """Decline with a reason the sender will read."""
    opinion = _opinion(actor, opinion_id, version)
    _require_open(opinion)
    reason = clean_text(reason)
    if not reason:
        raise Invalid("不予采纳须填写理由")
    if len(reason) > MAX_ANSWER:
        raise Invalid(f"理由不能超过 {MAX_ANSWER} 字")
    _decide(opinion, actor, version, state=OpinionState.DECLINED, reason=reason)
    opinion.refresh_from_db()
    _record(opinion, "declined", actor, note=reason)
    return opinion


@transaction.atomic
def transfer_opinion(
    *, actor, opinion_id: int, version: int, org_id: int, note: str = ""
) -> Opinion:
    """Pass the opinion to the organisation that should handle it: it moves (with its photos)
    into that organisation's subtree and waits there as 已转交. The target must be one the actor
    may see and inside the opinion's campaign."""
    opinion = _opinion(actor, opinion_id, version)
    _require_open(opinion)
    target = get_visible_or_404(Organization.objects, actor, pk=org_id)
    if target.pk == opinion.org_id:
        raise Invalid("不能转交给本单位")
    if not target.path.startswith(opinion.campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    source = opinion.org
    if not Opinion.objects.filter(pk=opinion.pk, version=version, state__in=OPEN_STATES).update(
        org=target,
        org_path=target.path,
        state=OpinionState.TRANSFERRED,
        transferred_from=source,
        version=F("version") + 1,
    ):
        raise Conflict()
    OpinionPhoto.objects.filter(opinion=opinion).update(org=target, org_path=target.path)
    tallies.refresh(source.path)
    opinion.refresh_from_db()
    search.index("opinion", opinion)
    _record(
        opinion, "transferred", actor, note=clean_text(note), source=source.name, target=target.name
    )
    return opinion


# --- the sender ------------------------------------------------------------------------------
def can_rate(opinion: Opinion) -> bool:
    """The loop is closed: answered, declined with a reason, or accepted and its problem closed;
    and the sender has not rated yet."""
    if opinion.rating:
        return False
    if opinion.state in (OpinionState.ANSWERED, OpinionState.DECLINED):
        return True
    return (
        opinion.state == OpinionState.ACCEPTED
        and opinion.problem is not None
        and opinion.problem.status == ProblemStatus.CLOSED
    )


@transaction.atomic
def rate_opinion(*, code: str, rating: str) -> Opinion:
    """The sender rates the handling once, with the tracking code."""
    if rating not in Rating.values:
        raise Invalid("请选择满意、基本满意或不满意")
    opinion = find_by_code(code)
    if opinion is None:
        raise Invalid("查询码不正确")
    if opinion.rating:
        raise Invalid("您已评价过，感谢参与")
    if not can_rate(opinion):
        raise Invalid("办理完成后才能评价")
    if not Opinion.objects.filter(pk=opinion.pk, rating="").update(
        rating=rating, rated_at=timezone.now()
    ):
        raise Invalid("您已评价过，感谢参与")
    opinion.refresh_from_db()
    _record(opinion, "rated", None, rating=rating)
    return opinion
