"""Every write to research records, in one transaction each, by the organisation's liaison or
office (or one above). A visit credits the key actions it proves; a finding becomes a problem in
the ledger through the ledger's own service, linked both ways. The research figures are counted
from these rows: every write marks their organisation's version (core.versions)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import require_role_over
from luoshi.campaigns.models import Campaign, ProblemSource, Proof
from luoshi.campaigns.services import complete_from_records
from luoshi.core import versions
from luoshi.core.errors import Conflict, Invalid
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification.services import create_problem
from luoshi.research.models import Finding, PlaceKind, ResearchTopic, TopicState, Visit
from luoshi.search import services as search

RECORD_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)
SOURCE_NAME = "调研发现"


@transaction.atomic
def create_topic(
    *,
    actor,
    org: Organization,
    title: str,
    leader_name: str,
    leader_title: str = "",
    description: str = "",
    campaign: Campaign | None = None,
) -> ResearchTopic:
    require_role_over(actor, org.path, *RECORD_ROLES)
    if not title.strip():
        raise Invalid("请填写调研课题")
    if not leader_name.strip():
        raise Invalid("请填写牵头领导")
    if campaign is not None and not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    versions.changed([org.path])
    topic = ResearchTopic.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        title=title.strip(),
        leader_name=leader_name.strip(),
        leader_title=leader_title.strip(),
        description=description.strip(),
        created_by=actor,
    )
    search.index("research", topic)
    return topic


@transaction.atomic
def record_visit(
    *,
    actor,
    topic_id: int,
    visited_on: date,
    place: str,
    place_kind: str = PlaceKind.OTHER,
    met_whom: str = "",
    notes: str = "",
    findings: list[str] | tuple = (),
) -> Visit:
    """A visit made for the topic, with what it found (one finding per line)."""
    topic = get_visible_or_404(ResearchTopic.objects.select_for_update(), actor, pk=topic_id)
    require_role_over(actor, topic.org_path, *RECORD_ROLES)
    if visited_on > timezone.localdate():
        raise Invalid("走访日期不能晚于今天")
    if not place.strip():
        raise Invalid("请填写走访地点")
    if place_kind not in PlaceKind.values:
        raise Invalid(f"未知的走访对象类别“{place_kind}”")
    texts = [t.strip() for t in findings if t.strip()]
    too_long = [t for t in texts if len(t) > 300]
    if too_long:
        raise Invalid(f"每条发现的问题不超过 300 字（第一条超长的以“{too_long[0][:10]}”开头）")
    visit = Visit.objects.create(
        org_id=topic.org_id,
        org_path=topic.org_path,
        topic=topic,
        visited_on=visited_on,
        place=place.strip(),
        place_kind=place_kind,
        met_whom=met_whom.strip(),
        notes=notes.strip(),
        created_by=actor,
    )
    Finding.objects.bulk_create(
        Finding(org_id=topic.org_id, org_path=topic.org_path, visit=visit, text=t) for t in texts
    )
    versions.changed([topic.org_path])
    complete_from_records(
        org_ids=[topic.org_id],
        proof=Proof.VISIT,
        on=visited_on,
        note=f"调研走访：{visit.place}（{visited_on:%Y-%m-%d}）",
    )
    search.index("research", topic)
    return visit


@transaction.atomic
def finding_to_problem(
    *, actor, finding_id: int, campaign: Campaign | None = None, title: str = ""
):
    """Put a finding into the ledger as a problem of the topic's organisation, source 调研发现,
    linked both ways. A finding becomes at most one problem."""
    finding = get_visible_or_404(
        Finding.objects.select_for_update().select_related("visit__topic__org"),
        actor,
        pk=finding_id,
    )
    if finding.problem_id:
        raise Conflict("该发现已转入问题清单")
    topic = finding.visit.topic
    campaign = campaign or topic.campaign
    if campaign is None:
        raise Invalid("请选择转入哪次主题教育的问题清单")
    source = ProblemSource.objects.filter(campaign=campaign, name=SOURCE_NAME).first()
    problem = create_problem(
        actor=actor,
        org=topic.org,
        campaign=campaign,
        title=(title or finding.text).strip(),
        description=f"调研课题“{topic.title}”{finding.visit.visited_on:%Y年%m月%d日}走访"
        f"{finding.visit.place}时发现。",
        source=source,
        responsible_leaders=topic.leader_name,
    )
    finding.problem = problem
    finding.save(update_fields=["problem"])
    versions.changed([finding.org_path])
    return problem


@transaction.atomic
def conclude_topic(
    *, actor, topic_id: int, report: str, outcome: str = "", concluded_on: date | None = None
) -> ResearchTopic:
    """The topic's report and what it turned into (成果转化); the topic is concluded."""
    topic = get_visible_or_404(ResearchTopic.objects.select_for_update(), actor, pk=topic_id)
    require_role_over(actor, topic.org_path, *RECORD_ROLES)
    if not report.strip():
        raise Invalid("请填写调研报告")
    if not topic.visits.exists():
        raise Invalid("尚无调研走访记录，不能结题")
    topic.report = report.strip()
    topic.outcome = outcome.strip()
    topic.state = TopicState.CONCLUDED
    topic.concluded_on = concluded_on or timezone.localdate()
    topic.save()
    versions.changed([topic.org_path])
    search.index("research", topic)
    return topic
