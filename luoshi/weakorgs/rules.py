"""The rules of 软弱涣散党组织整顿, in one place; the services, pages, API and seed ask here.

- Listing (列入): by an office (or administrator) of a level above the organisation, at county
  level or higher (the county decides its list), of a grass-roots organisation; one case per
  organisation and year, and not while an earlier round of it is still open.
- Support, milestones, progress: the support (四个一) by an office above the organisation; the
  milestones and monthly progress by whoever keeps the organisation's ledger (its liaison, or an
  office above).
- Acceptance (验收): by an office of a level above the organisation (e.g. the township) or
  higher; refused while any measure of the plan is open, the plan has no measure, or any of the
  four supports is missing (naming which)."""

from dataclasses import dataclass
from datetime import date

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import may_keep_ledger, role_paths
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.rectification.models import Measure, MeasureState

ABOVE = (Role.OFFICE, Role.ADMIN)
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Refusal:
    """Why a change is refused; `forbidden` when it is the actor's role (403), not the state."""

    message: str
    forbidden: bool = False

    def __str__(self) -> str:
        return self.message

    def raise_it(self):
        raise (NotAllowed if self.forbidden else Invalid)(self.message)


def offices_above(user, org_path: str) -> list[str]:
    """Paths strictly above `org_path` where the user is office or admin, nearest first."""
    held = [p for p, r in role_paths(user) if r in ABOVE and org_path.startswith(p)]
    return sorted({p for p in held if p != org_path}, key=len, reverse=True)


def listing_office(user, org: Organization) -> str | None:
    """The path of the office (county level or higher) in whose name the user lists `org`, or
    None. The command line lists as the whole installation."""
    above = offices_above(user, org.path)
    if "/" in above:
        return "/"
    levels = dict(Organization.objects.filter(path__in=above).values_list("path", "level"))
    return next((p for p in above if levels.get(p, OrgLevel.GRASSROOTS) <= OrgLevel.COUNTY), None)


def listing_refusal(user, org: Organization, year: int, today: date) -> Refusal | str | None:
    """Why the user may not list `org` in `year`'s round (None: they may; a str is a rule of
    the state, a Refusal with `forbidden` the actor's role)."""
    from luoshi.weakorgs.models import CaseState, WeakOrgCase

    if listing_office(user, org) is None:
        return Refusal(
            "软弱涣散党组织由县级及以上党委（主题教育办公室）确定，您的岗位不能列入", True
        )
    if org.level != OrgLevel.GRASSROOTS:
        return f"{org.name}不是基层党组织，只有村、社区等基层党组织可以列入整顿名单"
    if not FIRST_YEAR <= year <= today.year:
        return f"整顿年度须在 {FIRST_YEAR} 年到 {today.year} 年之间"
    cases = WeakOrgCase.objects.filter(org=org)
    if cases.filter(year=year).exists():
        return f"{org.name}已列入{year}年软弱涣散党组织整顿名单"
    open_earlier = cases.filter(state=CaseState.LISTED, year__lt=year).order_by("year").first()
    if open_earlier is not None:
        return f"{org.name}{open_earlier.year}年的整顿尚未验收，请先完成验收再列入新一轮"
    if cases.filter(year__gt=year).exists():
        return f"{org.name}已列入更晚年度的整顿名单，不能补列更早的年度"
    return None


def may_set_support(user, case) -> bool:
    return bool(offices_above(user, case.org_path))


def may_record_work(user, case) -> bool:
    """Milestones, monthly progress and the plan's problems: the organisation's ledger keepers."""
    return may_keep_ledger(user, case.org_path)


def may_edit_vocabulary(user) -> bool:
    """The categories of 软弱涣散 are shared by the whole tree: edited by an office or
    administrator of a top organisation (or of the whole installation)."""
    return any(r in ABOVE and (p == "/" or p.count("/") == 2) for p, r in role_paths(user))


def open_measures(case):
    """The plan's measures not yet closed (销号)."""
    return Measure.objects.filter(problem__weak_org_link__case=case).exclude(
        state=MeasureState.CLOSED
    )


def acceptance_refusal(user, case) -> Refusal | str | None:
    """Why the user may not accept the case now (None: they may)."""
    from luoshi.weakorgs.models import CaseState

    if not offices_above(user, case.org_path):
        return Refusal(
            "验收须由上级党组织（如乡镇党委）主题教育办公室进行，本组织不能自行验收", True
        )
    if case.state == CaseState.ACCEPTED:
        return "该组织已验收合格，不能重复验收"
    missing = case.missing_supports
    if missing:
        return f"“四个一”帮扶力量未落实：{'、'.join(missing)}，不能验收"
    measures = Measure.objects.filter(problem__weak_org_link__case=case)
    if not measures.exists():
        return "整顿方案还没有整改措施，不能验收"
    still_open = list(open_measures(case).values_list("content", flat=True)[:3])
    if still_open:
        count = open_measures(case).count()
        named = "；".join(f"“{c[:20]}”" for c in still_open)
        return f"整顿方案中还有 {count} 项整改措施未销号（{named}），不能验收"
    return None


def refuse(refusal) -> None:
    """Raise the refusal, if any: NotAllowed for the actor's role, Invalid otherwise."""
    if refusal is None:
        return
    if isinstance(refusal, Refusal):
        refusal.raise_it()
    raise Invalid(str(refusal))
