"""Every write of guidance: groups, inspections, samples, findings and replies, circulars.

Each runs in one transaction, checks visibility (404 outside the actor's scope) and the rule of
`rules` (NotAllowed, said in Chinese), checks state and the version the actor saw (Conflict),
records the change in the audit log, and marks what is cached: a group's members' accounts
(their guidance role is read from the group), the figures of the subtrees a row is counted in."""

import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from luoshi.campaigns.models import Campaign, ProblemSource
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.paths import is_within, subtree_q
from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import can_see_path, get_visible_or_404
from luoshi.guidance import rules, selectors
from luoshi.guidance.models import (
    Circular,
    CircularRecipient,
    CircularState,
    Finding,
    FindingState,
    GuidanceGroup,
    Inspection,
    InspectionKind,
    SampledMember,
    SampleDraw,
)
from luoshi.orgs.models import Member, Organization
from luoshi.rectification import services as ledger
from luoshi.rectification.models import Problem

SOURCE = "督导反馈"


def _name(actor) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor else ""


def _active_users(usernames) -> list:
    names = [n.strip() for n in usernames if n and n.strip()]
    users = list(get_user_model().objects.filter(username__in=names, is_active=True))
    missing = sorted(set(names) - {u.username for u in users})
    if missing:
        raise Invalid(f"没有这些在用的账号：{'、'.join(missing)}")
    return users


def _check_members(people, org_path: str, subtrees) -> None:
    paths = [o.path for o in subtrees]
    refusals = [r for u in people if (r := rules.member_refusal(u, org_path, paths))]
    if refusals:
        raise NotAllowed("；".join(refusals[:3]))


# --- groups ------------------------------------------------------------------------------------
@transaction.atomic
def create_group(
    *,
    actor,
    campaign: Campaign,
    name: str,
    leader: str,
    members: list[str],
    subtrees: list[Organization],
    starts_on: date,
    ends_on: date,
    org: Organization | None = None,
) -> GuidanceGroup:
    """An office sets a group up for its organisation (default the campaign's): leader and
    members by account name (the leader is a member), the subtrees it guides, its period. The
    office must be able to grant the guidance role over each subtree (rules.setup_refusal).
    Marks each member's account: their role over the subtrees begins with the period."""
    org = org or campaign.org
    if not can_see_path(actor, org.path):
        raise NotAllowed("只有主题教育办公室可以设立指导组")
    name = name.strip()
    if not name:
        raise Invalid("请填写指导组名称")
    if not subtrees:
        raise Invalid("请选择指导组负责的组织")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise Invalid("指导结束日期不能早于开始日期")
    refusal = rules.setup_refusal(actor, org.path, [o.path for o in subtrees])
    if refusal:
        raise NotAllowed(refusal)
    if not all(is_within(o.path, campaign.org_path) for o in subtrees):
        raise Invalid("指导范围须在本次主题教育的范围内")
    if GuidanceGroup.objects.filter(campaign=campaign, name=name).exists():
        raise Invalid(f"已有名为“{name}”的指导组")
    people = _active_users([leader, *members])
    head = next((u for u in people if u.username == leader.strip()), None)
    if head is None:
        raise Invalid("请填写组长账号")
    _check_members(people, org.path, subtrees)
    group = GuidanceGroup.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        name=name,
        leader=head,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    group.members.set(people)
    group.subtrees.set(subtrees)
    for user in people:
        versions.account_changed(user.pk)
    record_event(
        "guidance_group",
        user=actor,
        org_path=org.path,
        target=name,
        members=[u.username for u in people],
        subtrees=[o.code for o in subtrees],
    )
    return group


@transaction.atomic
def change_group(
    *,
    actor,
    group_id: int,
    members: list[str],
    ends_on: date,
    subtrees: list[Organization],
    starts_on: date | None = None,
) -> GuidanceGroup:
    """The office changes a group's members, subtrees or its period: the end (ending it early
    takes the role away from the next day), the start while it has not acted or to a day not
    after its first act (rules.start_refusal). The leader stays a member; each member added is
    one the rule allows (rules.member_refusal)."""
    group = get_visible_or_404(GuidanceGroup.objects.select_for_update(), actor, pk=group_id)
    if not subtrees:
        raise Invalid("请选择指导组负责的组织")
    refusal = rules.setup_refusal(actor, group.org_path, [o.path for o in subtrees])
    if refusal:
        raise NotAllowed(refusal)
    starts_on = starts_on or group.starts_on
    if ends_on is None:
        raise Invalid("请填写指导结束日期")
    if refusal := rules.start_refusal(group, starts_on, ends_on):
        raise Invalid(refusal)
    people = _active_users([group.leader.username, *members])
    before = set(group.members.values_list("pk", flat=True))
    # the rule is checked when someone is made a member (those already in stay while kept)
    _check_members([u for u in people if u.pk not in before], group.org_path, subtrees)
    group.starts_on, group.ends_on = starts_on, ends_on
    group.save(update_fields=["starts_on", "ends_on"])
    group.members.set(people)
    group.subtrees.set(subtrees)
    for user_id in before | {u.pk for u in people}:
        versions.account_changed(user_id)
    record_event(
        "guidance_group_changed",
        user=actor,
        org_path=group.org_path,
        target=group.name,
        members=[u.username for u in people],
        subtrees=[o.code for o in subtrees],
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    return group


def _office_of(actor, group_id: int) -> GuidanceGroup:
    group = get_visible_or_404(GuidanceGroup.objects.select_for_update(), actor, pk=group_id)
    if refusal := rules.setup_refusal(actor, group.org_path, []):
        raise NotAllowed(refusal)
    return group


@transaction.atomic
def delete_group(*, actor, group_id: int) -> None:
    """The office deletes a group that has done nothing (set up by mistake); one that has
    acted is refused, in words that say it can be ended (rules.deletion_refusal). Its members'
    accounts are marked: their role over its subtrees ends at once."""
    group = _office_of(actor, group_id)
    if refusal := rules.deletion_refusal(group):
        raise Invalid(refusal)
    member_ids = list(group.members.values_list("pk", flat=True))
    name, path = group.name, group.org_path
    group.delete()
    for user_id in member_ids:
        versions.account_changed(user_id)
    record_event("guidance_group_deleted", user=actor, org_path=path, target=name)


@transaction.atomic
def end_group(*, actor, group_id: int) -> GuidanceGroup:
    """The office ends a group today: its end date becomes today, so its members hold the role
    to the end of the day; what it did stays (rules.ending_refusal)."""
    group = _office_of(actor, group_id)
    today = timezone.localdate()
    if refusal := rules.ending_refusal(group, today):
        raise Invalid(refusal)
    group.ends_on = today
    group.save(update_fields=["ends_on"])
    for user_id in group.members.values_list("pk", flat=True):
        versions.account_changed(user_id)
    record_event("guidance_group_ended", user=actor, org_path=group.org_path, target=group.name)
    return group


# --- inspections -------------------------------------------------------------------------------
@transaction.atomic
def plan_inspection(
    *,
    actor,
    group_id: int,
    org: Organization,
    kind: str,
    visited_on: date,
    sample_size: int = 0,
    unannounced: bool = False,
) -> Inspection:
    """A member of the group records a visit to an organisation of its subtrees, on a day of
    its period; 暗访 is always unannounced."""
    group = selectors.group_or_404(actor, group_id)
    rules.require_acting_member(actor, group)
    if not rules.group_covers(group, org.path):
        raise Invalid(f"{org.name}不在{group.name}的指导范围内")
    if kind not in InspectionKind.values:
        raise Invalid("请选择督导方式")
    if visited_on is None or not group.starts_on <= visited_on <= group.ends_on:
        raise Invalid("督导日期须在指导组的指导期限内")
    if not 0 <= (sample_size or 0) <= rules.MAX_SAMPLE:
        raise Invalid(f"访谈人数须在 0 到 {rules.MAX_SAMPLE} 之间")
    inspection = Inspection.objects.create(
        org=org,
        org_path=org.path,
        group=group,
        kind=kind,
        unannounced=unannounced or kind == InspectionKind.UNANNOUNCED,
        visited_on=visited_on,
        sample_size=sample_size or 0,
        created_by=actor,
    )
    versions.changed([org.path])
    record_event("inspection", user=actor, org_path=org.path, target=group.name, visit_kind=kind)
    return inspection


def _acting_on(actor, inspection_id: int) -> Inspection:
    inspection = get_visible_or_404(
        selectors.inspections_for(actor).select_for_update(), actor, pk=inspection_id
    )
    rules.require_acting_member(actor, inspection.group)
    return inspection


@transaction.atomic
def draw_sample(
    *, actor, inspection_id: int, seed: int | None = None, reason: str = ""
) -> list[SampledMember]:
    """Draw the members to interview at random from the organisation's members (its subtree,
    those who have not left) and keep the seed: drawing again from the same seed and the same
    members gives the same people (rules.sample_members). It may be drawn again, with a reason
    (a member away, the list changed): a new draw with a new seed; the earlier draws stay in
    the history (SampleDraw), each reproducible from its own seed."""
    inspection = _acting_on(actor, inspection_id)
    reason = reason.strip()
    if inspection.sampled_at is not None and not reason:
        raise Invalid("已抽取访谈对象；重新抽取须说明原因")
    if len(reason) > 200:
        raise Invalid("重新抽取原因最多 200 个字")
    if inspection.sample_size < 1:
        raise Invalid("本次督导未设访谈人数")
    ids = list(
        Member.objects.filter(
            subtree_q("org_path", inspection.org_path), left_on__isnull=True
        ).values_list("pk", flat=True)
    )
    if not ids:
        raise Invalid(f"{inspection.org.name}没有可访谈的党员")
    seed = secrets.randbits(62) if seed is None else seed
    chosen = rules.sample_members(ids, seed, inspection.sample_size)
    last = inspection.draws.order_by("-number").values_list("number", flat=True).first()
    draw = SampleDraw.objects.create(
        inspection=inspection,
        number=(last or 0) + 1,
        seed=seed,
        size=inspection.sample_size,
        reason=reason,
        drawn_by=actor if getattr(actor, "pk", None) else None,
    )
    where = {
        pk: (org_id, path)
        for pk, org_id, path in Member.objects.filter(pk__in=chosen).values_list(
            "pk", "org_id", "org_path"
        )
    }
    rows = SampledMember.objects.bulk_create(
        SampledMember(
            inspection=inspection,
            draw=draw,
            member_id=pk,
            org_id=where[pk][0],
            org_path=where[pk][1],
            rank=rank,
        )
        for rank, pk in enumerate(chosen, start=1)
    )
    Inspection.objects.filter(pk=inspection.pk).update(
        sample_seed=seed, sampled_at=timezone.now(), version=F("version") + 1
    )
    versions.changed([inspection.org_path])
    record_event(
        "inspection_sample",
        user=actor,
        org_path=inspection.org_path,
        seed=seed,
        draw=draw.number,
        reason=reason,
    )
    return rows


@transaction.atomic
def record_notes(
    *, actor, inspection_id: int, version: int, talked_to: str, found: str, talked: list[int]
) -> Inspection:
    """What the group wrote down: whom it talked to (and which of the sample), what it found."""
    inspection = _acting_on(actor, inspection_id)
    if inspection.version != version:
        raise Conflict()
    if not (talked_to.strip() or found.strip()):
        raise Invalid("请填写访谈情况或发现情况")
    sample = selectors.current_sample(inspection)
    SampledMember.objects.filter(pk__in=sample.values("pk")).update(talked=False)
    sample.filter(member_id__in=talked).update(talked=True)
    Inspection.objects.filter(pk=inspection.pk).update(
        talked_to=talked_to.strip(), found=found.strip(), version=F("version") + 1
    )
    versions.changed([inspection.org_path])
    inspection.refresh_from_db()
    return inspection


def _feedback_source(campaign: Campaign) -> ProblemSource:
    """The campaign's source 督导反馈, added to its vocabulary the first time it is needed."""
    source = ProblemSource.objects.filter(campaign=campaign, name=SOURCE).first()
    if source is None:
        versions.changed_everywhere()
        rank = ProblemSource.objects.filter(campaign=campaign).count()
        source = ProblemSource.objects.create(campaign=campaign, name=SOURCE, rank=rank)
    return source


@transaction.atomic
def feed_back(
    *,
    actor,
    inspection_id: int,
    title: str,
    reply_due_on: date,
    description: str = "",
    category=None,
) -> Finding:
    """A finding fed back to the inspected organisation: a problem in its list (source 督导反馈,
    through the ledger's own create_problem), with a deadline for its reply."""
    inspection = _acting_on(actor, inspection_id)
    rules.check_reply_due(reply_due_on)
    problem = ledger.create_problem(
        actor=actor,
        org=inspection.org,
        campaign=inspection.group.campaign,
        title=title,
        description=description,
        source=_feedback_source(inspection.group.campaign),
        category=category,
        fed_back=True,
    )
    finding = Finding.objects.create(
        org_id=inspection.org_id,
        org_path=inspection.org_path,
        inspection=inspection,
        problem=problem,
        reply_due_on=reply_due_on,
    )
    versions.changed([inspection.org_path])
    record_event("finding", user=actor, org_path=inspection.org_path, target=problem.title[:100])
    return finding


@transaction.atomic
def reply_to_finding(*, actor, finding_id: int, version: int, reply: str) -> Finding:
    """The organisation itself replies (rules.may_reply), while the finding awaits a reply or
    was returned; the first reply's date decides whether it came on time."""
    finding = get_visible_or_404(Finding.objects.select_for_update(), actor, pk=finding_id)
    if not rules.may_reply(actor, finding.org_path):
        raise NotAllowed("督导反馈问题由被督导单位自己回复")
    if finding.state not in (FindingState.AWAITING, FindingState.RETURNED):
        raise Invalid(f"该问题{finding.get_state_display()}，不能再回复")
    if not reply.strip():
        raise Invalid("请填写整改回复")
    today = timezone.localdate()
    done = Finding.objects.filter(pk=finding.pk, version=version).update(
        state=FindingState.REPLIED,
        reply=reply.strip(),
        replied_at=timezone.now(),
        replied_by=actor,
        first_replied_on=finding.first_replied_on or today,
        version=F("version") + 1,
    )
    if not done:
        raise Conflict()
    versions.changed([finding.org_path])
    record_event("finding_reply", user=actor, org_path=finding.org_path, target=finding.pk)
    finding.refresh_from_db()
    return finding


@transaction.atomic
def check_reply(*, actor, finding_id: int, version: int, accept: bool, reason: str = "") -> Finding:
    """A member of the group that fed it back accepts the reply, or returns it with a reason
    (the organisation replies again)."""
    finding = get_visible_or_404(
        Finding.objects.select_for_update().select_related("inspection__group"),
        actor,
        pk=finding_id,
    )
    rules.require_acting_member(actor, finding.inspection.group)
    if finding.state != FindingState.REPLIED:
        raise Invalid("该问题尚无待审核的回复")
    if not accept and not reason.strip():
        raise Invalid("退回须填写理由")
    done = Finding.objects.filter(pk=finding.pk, version=version).update(
        state=FindingState.ACCEPTED if accept else FindingState.RETURNED,
        return_reason="" if accept else reason.strip(),
        checked_by=actor,
        checked_at=timezone.now(),
        version=F("version") + 1,
    )
    if not done:
        raise Conflict()
    versions.changed([finding.org_path])
    record_event(
        "finding_checked", user=actor, org_path=finding.org_path, target=finding.pk, accept=accept
    )
    finding.refresh_from_db()
    return finding


# --- circulars ---------------------------------------------------------------------------------
def _writer(actor, issued_to: Organization, group: GuidanceGroup | None) -> tuple:
    """The issuing organisation and the name it signs with: a group writes over its subtrees
    in its own name; an office over its subtree in its organisation's name."""
    if group is not None:
        rules.require_acting_member(actor, group)
        if not rules.group_covers(group, issued_to.path):
            raise Invalid(f"{issued_to.name}不在{group.name}的指导范围内")
        return group.org, group.name
    path = rules.office_path_over(actor, issued_to.path)
    if path is None:
        raise NotAllowed("只有指导组或主题教育办公室可以发布通报")
    org = Organization.objects.get(path=path)
    return org, org.name


def _linked(issued_to, praised, criticised, problem_ids, actor):
    for org in [*praised, *criticised]:
        if not is_within(org.path, issued_to.path):
            raise Invalid(f"{org.name}不在通报下发范围内")
    problems = list(
        Problem.objects.visible_to(actor).in_subtree(issued_to.path).filter(pk__in=problem_ids)
    )
    if len(problems) != len(set(problem_ids)):
        raise Invalid("通报的问题须是下发范围内的问题")
    return problems


def _figures(path: str, keys) -> list[list]:
    """The chosen figures of the subtree, as they stand when the circular is written."""
    if not keys:
        return []
    figures = subtree_figures(path)
    unknown = [k for k in keys if k not in selectors.CIRCULAR_FIGURES]
    if unknown:
        raise Invalid("引用的数据项不存在")
    return [[selectors.CIRCULAR_FIGURES[k], figures.get(k, 0)] for k in keys]


@transaction.atomic
def draft_circular(
    *,
    actor,
    issued_to: Organization,
    title: str,
    body: str,
    good_practice: str = "",
    problems_text: str = "",
    group: GuidanceGroup | None = None,
    campaign: Campaign | None = None,
    praised=(),
    criticised=(),
    problem_ids=(),
    figure_keys=(),
) -> Circular:
    """A draft circular of a group (its member) or an office, to the subtree of `issued_to`,
    naming organisations and problems of that subtree and quoting its figures."""
    if not can_see_path(actor, issued_to.path):
        raise NotAllowed("只能向本人负责范围内的组织发布通报")
    org, issuer = _writer(actor, issued_to, group)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise Invalid("请填写通报标题和正文")
    problems = _linked(issued_to, praised, criticised, list(problem_ids), actor)
    circular = Circular.objects.create(
        org=org,
        org_path=org.path,
        group=group,
        campaign=campaign or (group.campaign if group else None),
        issuer_name=issuer,
        title=title,
        body=body,
        good_practice=good_practice.strip(),
        problems_text=problems_text.strip(),
        issued_to=issued_to,
        figures=_figures(issued_to.path, list(figure_keys)),
        created_by=actor,
    )
    circular.praised.set(praised)
    circular.criticised.set(criticised)
    circular.problems.set(problems)
    versions.changed([org.path])
    record_event("circular_drafted", user=actor, org_path=org.path, target=title[:100])
    return circular


def _number(circular: Circular, on: date) -> str:
    issued = Circular.objects.filter(
        org_id=circular.org_id, state=CircularState.ISSUED, issued_on__year=on.year
    ).count()
    prefix = circular.group.name if circular.group_id else circular.org.display_name
    return f"{prefix}通报〔{on.year}〕{issued + 1}号"


@transaction.atomic
def issue_circular(*, actor, circular_id: int) -> Circular:
    """Issue a draft: it gets its number (文号) and date, and each organisation of the level
    below `issued_to` (or that organisation itself when it has none) is to confirm reading."""
    selectors.circular_or_404(actor, circular_id)
    circular = Circular.objects.select_for_update().get(pk=circular_id)
    _writer(actor, circular.issued_to, circular.group)
    if circular.state != CircularState.DRAFT:
        raise Invalid("该通报已印发")
    today = timezone.localdate()
    recipients = list(Organization.objects.filter(parent=circular.issued_to).order_by("path"))
    recipients = recipients or [circular.issued_to]
    CircularRecipient.objects.bulk_create(
        CircularRecipient(circular=circular, org=o, org_path=o.path) for o in recipients
    )
    done = Circular.objects.filter(pk=circular.pk, state=CircularState.DRAFT).update(
        state=CircularState.ISSUED,
        issued_on=today,
        issued_by=actor,
        number=_number(circular, today),
    )
    if not done:
        raise Conflict()
    versions.changed([circular.org_path, *(o.path for o in recipients)])
    record_event("circular_issued", user=actor, org_path=circular.org_path, target=circular.title)
    circular.refresh_from_db()
    return circular


@transaction.atomic
def confirm_circular(*, actor, circular_id: int) -> list[CircularRecipient]:
    """The recipient organisation confirms it has read the circular (已阅确认), once: every
    recipient the actor answers for itself (rules.may_reply) that has not confirmed yet."""
    circular = selectors.circular_or_404(actor, circular_id)
    if circular.state != CircularState.ISSUED:
        raise Invalid("通报尚未印发")
    mine = [
        r
        for r in CircularRecipient.objects.filter(circular=circular)
        if rules.may_reply(actor, r.org_path)
    ]
    if not mine:
        raise NotAllowed("只有接收通报的单位可以确认已阅")
    todo = [r for r in mine if r.confirmed_at is None]
    if not todo:
        raise Invalid("本单位已确认已阅，不需重复确认")
    now = timezone.now()
    CircularRecipient.objects.filter(pk__in=[r.pk for r in todo], confirmed_at__isnull=True).update(
        confirmed_at=now, confirmed_by=actor
    )
    versions.changed([r.org_path for r in todo])
    record_event("circular_confirmed", user=actor, org_path=todo[0].org_path, target=circular.pk)
    return todo
