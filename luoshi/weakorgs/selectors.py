"""Reads of 软弱涣散党组织整顿: scoped lists of cases, a case's plan with the ledger's lights,
earlier rounds, the subtree figures and the Word paragraph."""

from django.db.models import Count, Q
from django.utils import timezone

from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.rectification.models import Measure
from luoshi.weakorgs.models import SUPPORTS, CaseState, WeakOrgCase

SUPPORTED_Q = Q()
for _field, _ in SUPPORTS:
    SUPPORTED_Q &= ~Q(**{_field: ""})

COMPLETENESS = {"full": "四个一已全部落实", "missing": "四个一未全部落实"}


def current_year() -> int:
    """The current round is the calendar year's."""
    return timezone.localdate().year


def cases(user, path: str, *, year: int | None = None, state: str = "", support: str = "", q=""):
    """Cases in the subtree at `path` that the user may see, with their plan's measure counts."""
    rows = (
        WeakOrgCase.objects.visible_to(user, within=path)
        .select_related("org", "org__parent", "org__parent__parent")
        .prefetch_related("reasons")
        .annotate(
            measures=Count("plan__problem__measures", distinct=True),
            measures_open=Count(
                "plan__problem__measures",
                filter=~Q(plan__problem__measures__state="closed"),
                distinct=True,
            ),
        )
        .order_by("-year", "org_path", "id")
    )
    if year:
        rows = rows.filter(year=year)
    if state in CaseState.values:
        rows = rows.filter(state=state)
    if support == "full":
        rows = rows.filter(SUPPORTED_Q)
    elif support == "missing":
        rows = rows.exclude(SUPPORTED_Q)
    if q:
        rows = rows.filter(Q(org__name__contains=q) | Q(org__short_name__contains=q))
    return rows


def years(user, path: str) -> list[int]:
    return sorted(
        set(WeakOrgCase.objects.visible_to(user, within=path).values_list("year", flat=True)),
        reverse=True,
    )


def plan_measures(user, case) -> list:
    """The plan's measures through the scope, each with its light (rectification's rules)."""
    measures = list(
        Measure.objects.visible_to(user)
        .filter(problem__weak_org_link__case=case)
        .select_related("problem", "problem__campaign")
        .order_by("problem_id", "number", "id")
    )
    for m in measures:
        m.light = m.light_on(m.problem.campaign.warning_days)
    return measures


def earlier_rounds(user, case):
    """The organisation's other rounds (earlier and later), newest first."""
    return (
        WeakOrgCase.objects.visible_to(user)
        .filter(org_id=case.org_id)
        .exclude(pk=case.pk)
        .prefetch_related("reasons", "acceptances")
        .order_by("-year")
    )


def listable_organizations(user, text: str, limit: int = 30):
    """Grass-roots organisations in the user's scope matching the text (the picker)."""
    text = text.strip()
    if not text:
        return Organization.objects.none()
    return (
        Organization.objects.visible_to(user)
        .filter(level=OrgLevel.GRASSROOTS)
        .filter(Q(name__contains=text) | Q(short_name__contains=text) | Q(code__startswith=text))
        .select_related("parent")
        .order_by("path")[:limit]
    )


def organization_named(user, text: str):
    """The organisation in scope whose code or full name is `text` (the picker's value)."""
    text = text.strip()
    if not text:
        return None
    found = Organization.objects.visible_to(user).filter(Q(code=text) | Q(name=text))
    return found.order_by("path").first()


def weak_org_figures(path: str) -> dict:
    """Cases of the current round (this year's list) in the subtree at `path`: listed, with all
    four supports assigned, accepted. One indexed range."""
    counts = WeakOrgCase.objects.filter(subtree_q("org_path", path), year=current_year()).aggregate(
        listed=Count("id"),
        supported=Count("id", filter=SUPPORTED_Q),
        accepted=Count("id", filter=Q(state=CaseState.ACCEPTED)),
    )
    return {
        "weak_organizations": counts["listed"],
        "weak_organizations_supported": counts["supported"],
        "weak_organizations_accepted": counts["accepted"],
    }


def report_paragraphs(org, figures: dict) -> list[str]:
    """The Word reports' paragraph, from the subtree's figures; none when nothing is listed."""
    listed = figures.get("weak_organizations", 0)
    if not listed:
        return []
    supported = figures.get("weak_organizations_supported", 0)
    accepted = figures.get("weak_organizations_accepted", 0)
    return [
        f"在软弱涣散基层党组织整顿上，{current_year()}年共排查确定软弱涣散基层党组织{listed}个，"
        f"逐个落实县级领导联系、乡镇领导包抓、第一书记驻村、机关单位结对“四个一”帮扶措施，"
        f"已全部落实{supported}个；已整顿验收合格{accepted}个，"
        f"其余{listed - accepted}个正在按照整顿方案推进。"
    ]


def county_and_township(org) -> tuple[str, str]:
    """The names of the county and township above a grass-roots organisation (the export's
    县区 and 乡镇 columns), from its parents already loaded."""
    town = org.parent
    county = town.parent if town is not None else None
    return (county.name if county else "", town.name if town else "")
