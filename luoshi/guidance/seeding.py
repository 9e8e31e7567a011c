"""Seed guidance: groups over the counties (two counties each; the demo account `guidance`
leads the first), their inspections of townships with a random sample of members, the ledger's
problems of source 督导反馈 linked as findings fed back (replied on time, late, or not yet;
accepted or awaiting the group's check), and a circular per group issued to one of its counties,
confirmed by most recipients. Rows are written in bulk (the seed's tallies are rebuilt at its
end; these figures are direct counts)."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.guidance import rules
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
from luoshi.orgs.models import Member, Organization, OrgLevel, UnitType
from luoshi.rectification.models import Problem, today

ORDINALS = "一二三四五六七八九十"
LIMITS = {"tiny": 12, "small": 60}  # findings linked; city and above: 400
REPLIES = [
    "已召开专题会议研究整改，建立工作台账，明确责任人和完成时限。",
    "已完成整改，相关制度已印发。",
]


def _groups(context, campaign, counties) -> list[GuidanceGroup]:
    User = get_user_model()
    lead = User.objects.filter(username="guidance").first()
    groups = []
    for n, start in enumerate(range(0, len(counties), 2)):
        leader = lead if n == 0 and lead else None
        if leader is None:
            leader = User.objects.create_user(
                username=f"zdz{n + 1}", password=None, first_name=f"第{ORDINALS[n % 10]}指导组组长"
            )
        group = GuidanceGroup.objects.create(
            org=context.root,
            org_path=context.root.path,
            campaign=campaign,
            name=f"{context.root.short_name or context.root.name}第{ORDINALS[n % 10]}指导组"
            + (f"（{n + 1}）" if n >= 10 else ""),
            leader=leader,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
        )
        group.members.set([leader])
        group.subtrees.set(counties[start : start + 2])
        groups.append(group)
    return groups


def _group_of(groups, paths, org_path):
    for group in groups:
        if any(org_path.startswith(p) for p in paths[group.pk]):
            return group
    return None


def seed_guidance(context) -> None:
    if not context.campaign_slug:
        return
    rng = context.rng
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    counties = list(
        Organization.objects.in_subtree(context.root.path)
        .filter(level=OrgLevel.COUNTY, unit_type=UnitType.REGION)
        .order_by("path")
    )
    if not counties:
        return
    groups = _groups(context, campaign, counties)
    paths = {g.pk: [o.path for o in g.subtrees.all()] for g in groups}
    start, end = campaign.starts_on, min(today(), campaign.ends_on)
    span = max((end - start).days, 1)
    fed = list(
        Problem.objects.filter(campaign=campaign, source__name="督导反馈")
        .order_by("id")
        .values_list("id", "org_id", "org_path")[: LIMITS.get(context.scale, 400)]
    )
    inspections = {}
    for problem_id, org_id, path in fed:
        group = _group_of(groups, paths, path)
        if group is None:
            continue
        if org_id not in inspections:
            inspections[org_id] = _inspection(rng, group, org_id, path, start, span)
        _finding(rng, inspections[org_id], problem_id)
    townships = Organization.objects.in_subtree(context.root.path).filter(level=OrgLevel.TOWNSHIP)
    for org_id, path in townships.order_by("path").values_list("id", "path")[: len(groups) * 3]:
        group = _group_of(groups, paths, path)
        if group is not None and org_id not in inspections:
            inspections[org_id] = _inspection(rng, group, org_id, path, start, span)
    for group in groups:
        _circular(rng, group, paths[group.pk][0])


def _inspection(rng, group, org_id, path, start, span) -> Inspection:
    kind = rng.choice(InspectionKind.values)
    visited = start + timedelta(days=rng.randrange(span))
    inspection = Inspection.objects.create(
        org_id=org_id,
        org_path=path,
        group=group,
        kind=kind,
        unannounced=kind == InspectionKind.UNANNOUNCED,
        visited_on=visited,
        sample_size=5 if kind == InspectionKind.INTERVIEWS else 0,
        talked_to="与支部书记、党员代表和群众代表座谈交流。",
        found="查阅了问题清单和整改台账，整改总体有序推进。",
        created_by=group.leader,
    )
    if inspection.sample_size:
        ids = list(Member.objects.filter(org_path__startswith=path).values_list("pk", flat=True))
        seed = rng.getrandbits(62)
        chosen = rules.sample_members(ids, seed, inspection.sample_size)
        where = dict(Member.objects.filter(pk__in=chosen).values_list("pk", "org_path"))
        orgs = dict(Member.objects.filter(pk__in=chosen).values_list("pk", "org_id"))
        draw = SampleDraw.objects.create(
            inspection=inspection,
            number=1,
            seed=seed,
            size=inspection.sample_size,
            drawn_by=group.leader,
        )
        SampledMember.objects.bulk_create(
            SampledMember(
                inspection=inspection,
                draw=draw,
                member_id=pk,
                org_id=orgs[pk],
                org_path=where[pk],
                rank=i,
            )
            for i, pk in enumerate(chosen, start=1)
        )
        Inspection.objects.filter(pk=inspection.pk).update(
            sample_seed=seed, sampled_at=timezone.now()
        )
    # recorded on the day of the visit, so that figures as of a past day have them
    Inspection.objects.filter(pk=inspection.pk).update(created_at=_at(visited))
    return inspection


def _at(day, hour: int = 17):
    """An aware time on `day` (never after now): when a seeded fact was recorded."""
    return min(timezone.make_aware(datetime.combine(day, time(hour))), timezone.now())


def _finding(rng, inspection, problem_id) -> None:
    due = inspection.visited_on + timedelta(days=15)
    roll = rng.random()
    late = 5 if roll > 0.85 else 0
    replied = None if roll < 0.25 else due + timedelta(days=rng.randint(-10, late))
    replied = min(replied, today()) if replied else None
    state = FindingState.AWAITING
    if replied:
        state = FindingState.ACCEPTED if rng.random() < 0.6 else FindingState.REPLIED
    Finding.objects.create(
        org_id=inspection.org_id,
        org_path=inspection.org_path,
        inspection=inspection,
        problem_id=problem_id,
        reply_due_on=due,
        state=state,
        reply=rng.choice(REPLIES) if replied else "",
        first_replied_on=replied,
        replied_at=_at(replied, 10) if replied else None,
        checked_at=_at(replied + timedelta(days=2)) if state == FindingState.ACCEPTED else None,
    )
    Finding.objects.filter(inspection=inspection, problem_id=problem_id).update(
        created_at=_at(inspection.visited_on)
    )


def _circular(rng, group, county_path) -> None:
    county = Organization.objects.get(path=county_path)
    issued_on = min(today(), group.starts_on + timedelta(days=30))
    circular = Circular.objects.create(
        org=group.org,
        org_path=group.org_path,
        group=group,
        campaign=group.campaign,
        issuer_name=group.name,
        number=f"{group.name}通报〔{issued_on.year}〕1号",
        title=f"关于{county.name}主题教育整改落实情况的通报",
        body="根据督导检查情况，现将有关情况通报如下。",
        good_practice="部分单位建立问题、责任、措施“三张清单”，整改台账规范，群众评价较好。",
        problems_text="个别单位整改措施针对性不强，佐证材料不全，存在“以文件落实文件”现象。",
        issued_to=county,
        state=CircularState.ISSUED,
        issued_on=issued_on,
        issued_by=group.leader,
        created_by=group.leader,
    )
    recipients = list(Organization.objects.filter(parent=county).order_by("path")) or [county]
    CircularRecipient.objects.bulk_create(
        CircularRecipient(
            circular=circular,
            org=o,
            org_path=o.path,
            confirmed_at=_at(issued_on + timedelta(days=rng.randint(1, 5)))
            if rng.random() < 0.7
            else None,
        )
        for o in recipients
    )
