"""Every write of 软弱涣散党组织整顿. Each runs in one transaction, fetches the case through the
scope (404 outside it), asks rules.py whether the actor may do it (NotAllowed / Invalid with
the reason in Chinese, nothing stored), appends the case's history (WeakOrgEvent) and marks
the figures of the subtree (core.versions) when it changes what they count."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.core import versions
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.files import UploadRefused, check_upload, delete_evidence, store_upload
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import services as ledger
from luoshi.rectification.models import DeadlineKind
from luoshi.weakorgs import rules
from luoshi.weakorgs.models import (
    SUPPORTS,
    Acceptance,
    AcceptanceResult,
    CaseState,
    Milestone,
    ProgressNote,
    WeakOrgCase,
    WeakOrgEvent,
    WeakOrgProblem,
    WeakReason,
)

SUPPORT_FIELDS = {f for f, _ in SUPPORTS} | {f"{f}_phone" for f, _ in SUPPORTS}


def _name(actor) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor else ""


def _record(case, action: str, actor, note: str = "") -> None:
    WeakOrgEvent.objects.create(
        org_id=case.org_id,
        org_path=case.org_path,
        case=case,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=_name(actor)[:150],
        note=note,
    )


def _case(actor, case_id: int, *, lock: bool = False) -> WeakOrgCase:
    cases = WeakOrgCase.objects.select_related("org", "campaign")
    return get_visible_or_404(
        cases.select_for_update(of=("self",)) if lock else cases, actor, pk=case_id
    )


def _reasons(reasons) -> list[WeakReason]:
    ids = [r.pk if isinstance(r, WeakReason) else r for r in reasons]
    found = list(WeakReason.objects.filter(pk__in=ids, active=True))
    if not ids:
        raise Invalid("请至少选择一项软弱涣散类型")
    if len(found) != len(set(ids)):
        raise Invalid("软弱涣散类型不在可选范围内")
    return found


@transaction.atomic
def list_organization(
    *,
    actor,
    org: Organization,
    year: int,
    reasons,
    listed_on: date | None = None,
    campaign: Campaign | None = None,
    situation: str = "",
) -> WeakOrgCase:
    """Put `org` on `year`'s list with its reasons (rules.listing_refusal: an office of county
    level or higher above it; once a year; not while an earlier round is open)."""
    get_visible_or_404(Organization.objects, actor, pk=org.pk)
    today = timezone.localdate()
    rules.refuse(rules.listing_refusal(actor, org, year, today))
    chosen = _reasons(reasons)
    listed_on = listed_on or today
    if listed_on > today:
        raise Invalid("列入日期不能晚于今天")
    if campaign is not None and not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在所选主题教育的范围内")
    office = rules.listing_office(actor, org)
    case = WeakOrgCase.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        year=year,
        listed_on=listed_on,
        listed_by=actor if getattr(actor, "pk", None) else None,
        listed_by_org=Organization.objects.filter(path=office).first(),
        situation=situation.strip(),
    )
    case.reasons.set(chosen)
    _record(case, "列入整顿名单", actor, "、".join(r.name for r in chosen))
    versions.changed([org.path])
    return case


@transaction.atomic
def set_support(*, actor, case_id: int, version: int, **fields) -> WeakOrgCase:
    """Assign the "四个一" support (names and phones), by an office above the organisation."""
    case = _case(actor, case_id)
    if not rules.may_set_support(actor, case):
        raise NotAllowed("“四个一”帮扶力量由上级党组织主题教育办公室落实，您的岗位不能修改")
    unknown = set(fields) - SUPPORT_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    changes = {k: str(v or "").strip() for k, v in fields.items()}
    for f, label in SUPPORTS:
        if changes.get(f"{f}_phone") and not changes.get(f, getattr(case, f)):
            raise Invalid(f"请先填写{label}的人员或单位，再填写联系电话")
        limit = WeakOrgCase._meta.get_field(f).max_length
        if len(changes.get(f, "")) > limit:
            raise Invalid(f"{label}不能超过 {limit} 个字")
    changes = {k: v for k, v in changes.items() if v != getattr(case, k)}
    if not changes:
        return case
    if not WeakOrgCase.objects.filter(pk=case.pk, version=version).update(
        **changes, version=F("version") + 1
    ):
        raise Conflict()
    case.refresh_from_db()
    labels = dict(SUPPORTS)
    said = [f"{labels[k]}：{v or '（空）'}" for k, v in changes.items() if k in labels]
    _record(case, "落实帮扶力量", actor, "；".join(said) or "修改联系电话")
    versions.changed([case.org_path])
    return case


@transaction.atomic
def add_milestone(*, actor, case_id: int, title: str, due_on: date) -> Milestone:
    case = _case(actor, case_id)
    _require_worker(actor, case)
    if not title.strip():
        raise Invalid("请填写节点任务")
    if due_on.year < case.year:
        raise Invalid(f"完成时限不能早于{case.year}年")
    milestone = Milestone.objects.create(
        org_id=case.org_id,
        org_path=case.org_path,
        case=case,
        title=title.strip()[:200],
        due_on=due_on,
    )
    _record(case, "设定时间节点", actor, f"{milestone.title}（{due_on:%Y-%m-%d}前）")
    return milestone


@transaction.atomic
def complete_milestone(*, actor, milestone_id: int, done_on: date) -> Milestone:
    milestone = get_visible_or_404(Milestone.objects.select_related("case"), actor, pk=milestone_id)
    _require_worker(actor, milestone.case)
    if milestone.done_on is not None:
        raise Invalid("该节点任务已完成")
    if done_on > timezone.localdate():
        raise Invalid("完成日期不能晚于今天")
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    _record(milestone.case, "完成时间节点", actor, milestone.title)
    return milestone


@transaction.atomic
def add_progress(*, actor, case_id: int, month: date, text: str) -> ProgressNote:
    """The month's progress (月度进展), by the organisation's ledger keepers."""
    case = _case(actor, case_id)
    _require_worker(actor, case)
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise Invalid("不能填报未来月份的进展")
    if month.year < case.year:
        raise Invalid(f"进展月份不能早于{case.year}年")
    if not text.strip():
        raise Invalid("请填写进展情况")
    note = ProgressNote.objects.create(
        org_id=case.org_id,
        org_path=case.org_path,
        case=case,
        month=month,
        text=text.strip(),
        author=actor if getattr(actor, "pk", None) else None,
    )
    _record(case, "填报月度进展", actor, f"{month:%Y年%m月}")
    return note


@transaction.atomic
def add_plan_problem(
    *, actor, case_id: int, title: str, measure: str, due_on: date | None, owner_name: str = ""
) -> WeakOrgProblem:
    """A problem of the plan with its first measure, written into the ledger through the
    ledger's own service (its rules, history and figures), and linked to the case."""
    case = _case(actor, case_id)
    _require_worker(actor, case)
    if case.state == CaseState.ACCEPTED:
        raise Invalid("已验收的整顿对象不能再增加整顿问题")
    if case.campaign is None:
        raise Invalid("该整顿对象未关联主题教育，无法在问题清单中建立整顿问题")
    problem = ledger.create_problem_with_measures(
        actor=actor,
        org=case.org,
        campaign=case.campaign,
        title=title,
        measures=[
            {
                "content": measure,
                "deadline_kind": DeadlineKind.DATE if due_on else DeadlineKind.ONGOING,
                "due_on": due_on,
                "owner_name": owner_name,
            }
        ],
    )
    link = WeakOrgProblem.objects.create(
        org_id=case.org_id, org_path=case.org_path, case=case, problem=problem
    )
    _record(case, "制定整顿措施", actor, problem.title)
    return link


def _require_worker(actor, case) -> None:
    if not rules.may_record_work(actor, case):
        raise NotAllowed("您的岗位不能填报该组织的整顿工作")


@transaction.atomic
def accept_case(
    *,
    actor,
    case_id: int,
    result: str,
    accepted_on: date,
    note: str = "",
    accepted_by_name: str = "",
    upload=None,
) -> Acceptance:
    """验收 (rules.acceptance_refusal: an office above; every support assigned; every measure of
    the plan closed). 合格 needs the evidence file and takes the case off the list; 不合格
    needs the reasons in the note and keeps it listed."""
    case = _case(actor, case_id, lock=True)
    rules.refuse(rules.acceptance_refusal(actor, case))
    if result not in AcceptanceResult.values:
        raise Invalid("请选择验收结果（合格或不合格）")
    if accepted_on > timezone.localdate() or accepted_on < case.listed_on:
        raise Invalid("验收日期须在列入日期之后、今天之前")
    if result == AcceptanceResult.FAILED and not note.strip():
        raise Invalid("验收不合格须填写验收意见（存在的问题）")
    if result == AcceptanceResult.PASSED and upload is None:
        raise Invalid("验收合格须上传验收材料（佐证）")
    checked = None
    if upload is not None:
        try:
            checked = check_upload(upload)
        except UploadRefused as refused:
            raise Invalid(str(refused)) from None
    office = rules.offices_above(actor, case.org_path)[0]
    if result == AcceptanceResult.PASSED:
        if not WeakOrgCase.objects.filter(pk=case.pk, state=CaseState.LISTED).update(
            state=CaseState.ACCEPTED, version=F("version") + 1
        ):
            raise Conflict()
    stored = store_upload(upload, checked) if checked else ""
    try:
        acceptance = Acceptance.objects.create(
            org_id=case.org_id,
            org_path=case.org_path,
            case=case,
            accepted_by=actor if getattr(actor, "pk", None) else None,
            accepted_by_name=(accepted_by_name.strip() or _name(actor))[:60],
            accepted_by_org=Organization.objects.filter(path=office).first(),
            accepted_on=accepted_on,
            result=result,
            note=note.strip(),
            original_name=checked.original_name if checked else "",
            stored_name=stored,
            kind=checked.kind if checked else "",
            size=checked.size if checked else 0,
            sha256=checked.sha256 if checked else "",
        )
    except Exception:
        if stored:
            delete_evidence(stored)
        raise
    _record(case, f"验收{AcceptanceResult(result).label}", actor, note.strip())
    versions.changed([case.org_path])
    return acceptance


@transaction.atomic
def add_reason(*, actor, name: str) -> WeakReason:
    """A new category of 软弱涣散 (rules.may_edit_vocabulary)."""
    if not rules.may_edit_vocabulary(actor):
        raise NotAllowed("软弱涣散类型由市级（顶级）党组织主题教育办公室维护")
    name = name.strip()
    if not name or len(name) > 60:
        raise Invalid("类型名称须为 1 到 60 个字")
    if WeakReason.objects.filter(name=name).exists():
        raise Invalid(f"已有类型“{name}”")
    rank = (WeakReason.objects.order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    return WeakReason.objects.create(name=name, rank=rank)


@transaction.atomic
def set_reason_active(*, actor, reason_id: int, active: bool) -> WeakReason:
    """Stop offering a category (停用) or offer it again; cases listed with it keep it."""
    if not rules.may_edit_vocabulary(actor):
        raise NotAllowed("软弱涣散类型由市级（顶级）党组织主题教育办公室维护")
    reason = WeakReason.objects.filter(pk=reason_id).first()
    if reason is None:
        raise Invalid("没有这个软弱涣散类型")
    if not active and WeakReason.objects.filter(active=True).exclude(pk=reason.pk).count() == 0:
        raise Invalid("至少保留一个可选的软弱涣散类型")
    WeakReason.objects.filter(pk=reason.pk).update(active=active)
    reason.active = active
    return reason
