"""Every write to special rectification (专项整治), one transaction each: setting a programme,
adopting it with a plan, listing an item. Each checks that the actor may see the object (404
otherwise) and holds a role over the organisation (NotAllowed), asks programmes/rules.py, and
marks what the dashboards cache (core.versions). An item is a ledger problem made by the
ledger's own service (with its history and roll-ups); it is closed only by its measures."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.permissions import require_role_over
from luoshi.campaigns.models import Campaign
from luoshi.core import versions
from luoshi.core.errors import Invalid
from luoshi.core.files import UploadRefused, check_upload, store_upload
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.programmes import rules
from luoshi.programmes.models import ProgrammeItem, ProgrammePlan, SetBy, SpecialProgramme
from luoshi.rectification.models import Problem
from luoshi.rectification.services import create_problem_with_measures


@transaction.atomic
def create_programme(
    *,
    actor,
    org: Organization,
    campaign: Campaign,
    name: str,
    starts_on: date | None,
    ends_on: date | None,
    lead_unit: str,
    co_units: str = "",
    goals: str = "",
    set_by: str = SetBy.OWN,
) -> SpecialProgramme:
    """Set a programme at `org` (its office or admin, or one above): it appears in the whole
    subtree. One set by the centre or the region is registered at the root of the tree."""
    require_role_over(actor, org.path, *rules.SET_ROLES)
    name, lead_unit = name.strip(), lead_unit.strip()
    if not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    if not name:
        raise Invalid("请填写专项整治名称")
    if not lead_unit:
        raise Invalid("请填写牵头单位")
    if set_by not in SetBy.values:
        raise Invalid("未知的部署层级")
    refusal = rules.set_by_refusal(set_by, org) or rules.period_refusal(
        campaign, starts_on, ends_on
    )
    if refusal:
        raise Invalid(refusal)
    if SpecialProgramme.objects.filter(campaign=campaign, org=org, name=name).exists():
        raise Invalid(f"{org.name}已部署名为“{name}”的专项整治")
    versions.changed_everywhere()  # in force in a whole subtree
    return SpecialProgramme.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        name=name,
        set_by=set_by,
        goals=goals.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        lead_unit=lead_unit,
        co_units=co_units.strip(),
        created_by=actor,
    )


@transaction.atomic
def adopt_programme(
    *,
    actor,
    programme_id: int,
    org: Organization,
    doc_number: str,
    issued_on: date | None,
    upload=None,
    title: str = "",
) -> ProgrammePlan:
    """`org` (its liaison, office or admin, or one above) adopts the programme for its subtree
    by writing its implementation plan: 文号, date and the file, checked and stored as evidence
    is. One plan per programme per organisation; the organisation must lie in the programme's
    subtree."""
    programme = get_visible_or_404(
        SpecialProgramme.objects.select_for_update(), actor, pk=programme_id
    )
    require_role_over(actor, org.path, *rules.RECORD_ROLES)
    adopted = set(programme.plans.values_list("org_path", flat=True))
    refusal = rules.adoption_refusal(programme, org, adopted)
    if refusal:
        raise Invalid(refusal)
    doc_number = doc_number.strip()
    if not doc_number:
        raise Invalid("请填写实施方案的文号")
    if issued_on is None:
        raise Invalid("请填写实施方案的印发日期")
    if issued_on > timezone.localdate():
        raise Invalid("印发日期不能晚于今天")
    if upload is None:
        raise Invalid("请上传实施方案文件")
    try:
        checked = check_upload(upload)
    except UploadRefused as refused:
        raise Invalid(str(refused)) from None
    versions.changed_everywhere()  # the programme is now in force in the whole subtree
    return ProgrammePlan.objects.create(
        org=org,
        org_path=org.path,
        programme=programme,
        title=(title.strip() or f"{org.name}{programme.name}实施方案")[:200],
        doc_number=doc_number[:60],
        issued_on=issued_on,
        original_name=checked.original_name,
        stored_name=store_upload(upload, checked),
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )


@transaction.atomic
def add_item(
    *, actor, programme_id: int, org: Organization, title: str, measures: list[dict], **problem
) -> ProgrammeItem:
    """List an item (整治事项) of the programme: a problem of `org` with its measures, made by
    the ledger's own service (create_problem_with_measures: its permission, history and
    roll-ups) in the programme's campaign, and tagged to the programme. `org` must be covered
    by a plan (its own or one above it). `problem` are further create_problem arguments."""
    programme = get_visible_or_404(
        SpecialProgramme.objects.select_related("campaign"), actor, pk=programme_id
    )
    require_role_over(actor, org.path, *rules.RECORD_ROLES)
    adopted = set(programme.plans.values_list("org_path", flat=True))
    refusal = rules.item_refusal(programme, org, adopted)
    if refusal:
        raise Invalid(refusal)
    if not measures:
        raise Invalid("整治事项须至少有一条整改措施")
    created: Problem = create_problem_with_measures(
        actor=actor,
        org=org,
        campaign=programme.campaign,
        title=title,
        measures=measures,
        **problem,
    )
    versions.changed([org.path])
    return ProgrammeItem.objects.create(
        org=org, org_path=org.path, programme=programme, problem=created, created_by=actor
    )
