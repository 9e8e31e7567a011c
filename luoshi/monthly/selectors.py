"""Reads of the monthly cycle: targets, visits and findings of a subtree, the month's figures
(direct counts over the rows' org_path range), per-organisation completeness and timeliness,
reminders, and the link from a problem back to the finding it came from."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from luoshi.core.paths import subtree_q
from luoshi.monthly.models import (
    Finding,
    FindingState,
    MonthlyMeeting,
    MonthlyVisit,
    TargetAssignment,
    VisitTarget,
)
from luoshi.monthly.months import add_months, current_month, label, last_months, months_between

PARTIAL_MONTH = "（本月至今）"  # the current month on a chart: not over (dashboards.js shades it)
TIMELY_DAY = 20  # a visit made by the 20th is in time for the month's meeting


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def deadline(month: date) -> datetime:
    """The end of the days a timely visit of `month` is made in (local time)."""
    return timezone.make_aware(datetime.combine(month + timedelta(days=TIMELY_DAY), time.min))


def assigned_in(month: date, by: date | None = None) -> Q:
    """Assignments that held during some day of `month` (with `by`: some day of it up to `by`)."""
    held = Q(starts_on__lt=add_months(month, 1)) & (Q(ends_on__isnull=True) | Q(ends_on__gte=month))
    return held & Q(starts_on__lte=by) if by else held


def reached(month: date, within: Q, by: date | None = None) -> Q:
    """Coverage's numerator, on MonthlyVisit — the one definition every coverage figure uses
    (month_figures, coverage_by_month, the per-organisation and per-cadre tables, the assessment
    formula; bench/monthly.py's raw SQL says the same): visits made in `month` to a target
    assigned in `month`. A visit to a target nobody was assigned in the month (never assigned,
    assigned only from a later month, retired before it) does not count, so coverage
    (distinct targets reached / assigned) never exceeds 100%. With `by`, only what had happened
    by the end of that day."""
    assigned = TargetAssignment.objects.filter(within, assigned_in(month, by)).values("target_id")
    q = Q(month=month, target__in=assigned)
    if by:
        q &= Q(visited_at__lt=timezone.make_aware(datetime.combine(by + timedelta(1), time.min)))
    return q


def coverage_counts(path: str, month: date, by: date | None = None) -> tuple[int, int]:
    """(targets assigned in `month`, of them visited in it) for the subtree at `path`."""
    within = subtree_q("org_path", path)
    assigned = (
        TargetAssignment.objects.filter(within, assigned_in(month, by))
        .values("target_id")
        .distinct()
        .count()
    )
    visited = (
        MonthlyVisit.objects.filter(within, reached(month, within, by))
        .values("target_id")
        .distinct()
        .count()
    )
    return assigned, visited


def carried_into(month: date) -> Q:
    """Findings of earlier months still open when `month` began."""
    return Q(month__lt=month) & (Q(closed_month__isnull=True) | Q(closed_month__gte=month))


def open_after(month: date) -> Q:
    """Findings found by the end of `month` and not closed in it or before."""
    return Q(month__lte=month) & (Q(closed_month__isnull=True) | Q(closed_month__gt=month))


def month_figures(path: str, month: date) -> dict:
    """The month's figures of the subtree at `path`, counted from the rows."""
    within = subtree_q("org_path", path)
    a = TargetAssignment.objects.filter(within, assigned_in(month)).aggregate(
        targets=Count("target", distinct=True), cadres=Count("cadre", distinct=True)
    )
    v = MonthlyVisit.objects.filter(within, month=month).aggregate(
        visits=Count("id"),
        targets=Count("target", distinct=True, filter=reached(month, within)),
        timely=Count("id", filter=Q(visited_at__lt=deadline(month))),
    )
    closed = Q(closed_month=month)
    f = Finding.objects.filter(within, month__lte=month).aggregate(
        found=Count("id", filter=Q(month=month)),
        judged=Count("id", filter=closed),
        resolved=Count("id", filter=closed & Q(state=FindingState.RESOLVED)),
        passed_up=Count("id", filter=closed & Q(state=FindingState.PASSED_UP)),
        merged=Count("id", filter=closed & Q(state=FindingState.MERGED)),
        no_action=Count("id", filter=closed & Q(state=FindingState.NO_ACTION)),
        carried=Count("id", filter=carried_into(month)),
        open=Count("id", filter=open_after(month)),
    )
    meetings = MonthlyMeeting.objects.filter(within, month=month).count()
    return {
        "monthly_targets_assigned": a["targets"],
        "monthly_targets_visited": v["targets"],
        "monthly_coverage": _pct(v["targets"], a["targets"]),
        "monthly_cadres": a["cadres"],
        "monthly_visits": v["visits"],
        "monthly_visits_per_cadre": round(v["visits"] / a["cadres"], 1) if a["cadres"] else 0.0,
        "monthly_timely_visits": v["timely"],
        "monthly_timeliness": _pct(v["timely"], v["visits"]),
        "monthly_findings": f["found"],
        "monthly_judged": f["judged"],
        "monthly_resolved": f["resolved"],
        "monthly_passed_up": f["passed_up"],
        "monthly_merged": f["merged"],
        "monthly_no_action": f["no_action"],
        "monthly_carried_over": f["carried"],
        "monthly_open": f["open"],
        "monthly_meetings": meetings,
    }


def monthly_figures(path: str) -> dict:
    """The current month's figures (core.registry.FIGURES: `luoshi stats`, the dashboards)."""
    return month_figures(path, current_month())


def history(path: str, months: int = 6, until: date | None = None) -> list[tuple[str, dict]]:
    return [(label(m), month_figures(path, m)) for m in last_months(months, until)]


def coverage_by_month(path: str, months: int = 6) -> list[tuple[str, float]]:
    """(month, coverage %) of the last `months` months for the subtree, as `month_figures`
    counts them, in two queries (targets assigned in each month; of them, visited in each),
    from the first month with a target assigned (a later month with none is None, drawn as a
    gap); an empty list when no target was assigned in any of them."""
    wanted = last_months(months)
    within = subtree_q("org_path", path)
    assigned = TargetAssignment.objects.filter(within).aggregate(
        **{
            f"m{i}": Count("target", distinct=True, filter=assigned_in(m))
            for i, m in enumerate(wanted)
        }
    )
    if not any(assigned.values()):
        return []
    visited = MonthlyVisit.objects.filter(within, month__in=wanted).aggregate(
        **{
            f"m{i}": Count("target", distinct=True, filter=reached(m, within))
            for i, m in enumerate(wanted)
        }
    )
    rows = [
        (
            label(m) + (PARTIAL_MONTH if m == wanted[-1] else ""),
            _pct(visited[f"m{i}"], assigned[f"m{i}"]) if assigned[f"m{i}"] else None,
        )
        for i, m in enumerate(wanted)
    ]
    while rows[0][1] is None:  # the months before any target was assigned: nothing to rate
        rows.pop(0)
    return rows


def dashboard_charts(path: str) -> list:
    """The month-by-month coverage on every dashboard whose subtree has targets."""
    from luoshi.core.registry import Chart

    rows = coverage_by_month(path)
    if not rows:
        return []
    return [Chart("monthly_coverage", "逐月走访覆盖率（%）", "line", rows, "#0ca678")]


# --- per organisation: completeness and timeliness, the worst first ----------------------------
@dataclass
class OrgRow:
    org: object
    assigned: int = 0
    visited: int = 0
    visits: int = 0
    timely: int = 0
    findings: int = 0
    open: int = 0
    meeting: bool = False

    @property
    def completeness(self) -> float:
        return _pct(self.visited, self.assigned)

    @property
    def timeliness(self) -> float:
        return _pct(self.timely, self.visits)


def _child_of(path: str, depth: int) -> str:
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[: depth + 1]) + "/"


def org_rows(node, month: date) -> list[OrgRow]:
    """One row per child of `node` (its own rows as 本级), each counted over its subtree with
    one grouped query per measure; the worst completeness first, then the worst timeliness."""
    from luoshi.orgs.models import Organization

    depth = len(node.path.strip("/").split("/"))
    rows = {c.path: OrgRow(c) for c in Organization.objects.filter(parent=node).order_by("pk")}
    own = OrgRow(SimpleNamespace(display_name="本级", pk=node.pk, path=node.path))
    within = subtree_q("org_path", node.path)

    def add(queryset, attr: str, count) -> None:
        for r in queryset.values("org_path").annotate(n=count).order_by():
            p = r["org_path"]
            row = own if p == node.path else rows.get(_child_of(p, depth))
            if row is not None:
                setattr(row, attr, getattr(row, attr) + r["n"])

    add(
        TargetAssignment.objects.filter(within, assigned_in(month)),
        "assigned",
        Count("target", distinct=True),
    )
    visits = MonthlyVisit.objects.filter(within, month=month)
    add(visits.filter(reached(month, within)), "visited", Count("target", distinct=True))
    add(visits, "visits", Count("id"))
    add(visits.filter(visited_at__lt=deadline(month)), "timely", Count("id"))
    add(Finding.objects.filter(within, month=month), "findings", Count("id"))
    add(Finding.objects.filter(within, open_after(month)), "open", Count("id"))
    held = set(
        MonthlyMeeting.objects.filter(within, month=month).values_list("org_path", flat=True)
    )
    result = [r for r in rows.values() if r.assigned or r.visits]
    if own.assigned or own.visits:
        result.append(own)
    for row in result:
        row.meeting = (
            any(p.startswith(row.org.path) for p in held) if row is not own else (node.path in held)
        )
    result.sort(key=lambda r: (r.completeness, r.timeliness, r.org.pk))
    return result


def cadre_rows(path: str, month: date, limit: int = 20) -> list[dict]:
    """Visits per cadre in the subtree: each cadre's targets assigned in the month, how many of
    those were visited in it and the visits the cadre made; the smallest share visited first."""
    from django.contrib.auth import get_user_model

    within = subtree_q("org_path", path)
    rows: dict[int, dict] = {}
    assigned = (
        TargetAssignment.objects.filter(within, assigned_in(month))
        .values("cadre_id")
        .annotate(n=Count("target", distinct=True))
        .order_by()
    )
    for r in assigned:
        rows[r["cadre_id"]] = {"assigned": r["n"], "visited": 0, "visits": 0}
    visited = (
        TargetAssignment.objects.filter(
            within,
            assigned_in(month),
            target__in=MonthlyVisit.objects.filter(within, reached(month, within)).values(
                "target_id"
            ),
        )
        .values("cadre_id")
        .annotate(n=Count("target", distinct=True))
        .order_by()
    )
    for r in visited:
        rows[r["cadre_id"]]["visited"] = r["n"]
    made = (
        MonthlyVisit.objects.filter(within, month=month)
        .values("cadre_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in made:
        row = rows.setdefault(r["cadre_id"], {"assigned": 0, "visited": 0, "visits": 0})
        row["visits"] = r["n"]
    for row in rows.values():
        row["completeness"] = _pct(row["visited"], row["assigned"])
    worst = sorted(rows.items(), key=lambda kv: (kv[1]["completeness"], -kv[1]["assigned"]))
    worst = worst[:limit]
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[pk for pk, _ in worst])
        .values_list("pk", "first_name")
    )
    return [{"name": names.get(pk) or "（未填姓名）", **row} for pk, row in worst]


# --- lists -------------------------------------------------------------------------------------
def targets(user, path: str, *, q: str = "", kind: str = ""):
    month = current_month()
    rows = (
        VisitTarget.objects.visible_to(user, within=path)
        .select_related("org", "cadre")
        .annotate(visited=Exists(MonthlyVisit.objects.filter(target=OuterRef("pk"), month=month)))
        .order_by("org_path", "name", "id")
    )
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def my_targets(user, *, q: str = ""):
    """The targets assigned to the user now, the ones not yet visited this month first."""
    month = current_month()
    rows = (
        VisitTarget.objects.visible_to(user)
        .filter(cadre=user, active=True)
        .select_related("org")
        .annotate(visited=Exists(MonthlyVisit.objects.filter(target=OuterRef("pk"), month=month)))
        .order_by("visited", "name", "id")
    )
    if q:
        rows = rows.filter(name__icontains=q)
    return rows


def visits(user, path: str, month: date):
    return (
        MonthlyVisit.objects.visible_to(user, within=path)
        .filter(month=month)
        .select_related("target", "cadre", "org")
        .prefetch_related("findings")
        .order_by("org_path", "target__name", "visited_at", "id")
    )


def meeting_findings(user, path: str, month: date) -> list[Finding]:
    """What the meeting of `month` sees: findings still open (carried-over ones first, oldest
    first) and those it decided, each with `months_open`."""
    rows = list(
        Finding.objects.visible_to(user, within=path)
        .filter(Q(month__lte=month) & (Q(state=FindingState.OPEN) | Q(closed_month=month)))
        .select_related("visit__target", "visit__cadre", "org", "problem", "merged_into")
        .order_by("month", "org_path", "id")
    )
    for f in rows:
        f.months_open = months_between(f.month, month)
        f.carried = f.month < month
    return rows


def meeting_months(user, path: str, earliest: date) -> list[dict]:
    """The months the meeting page offers, newest first: this month and last (the months a
    meeting may still be recorded for, `earliest` on), and every older month some finding
    still undecided was found in; each with its undecided findings found in it."""
    undecided = dict(
        Finding.objects.visible_to(user, within=path)
        .filter(state=FindingState.OPEN)
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    months = sorted(
        set(undecided) | set(last_months(months_between(earliest, current_month()) + 1))
    )
    return [
        {"month": m, "label": label(m), "undecided": undecided.get(m, 0), "open": m >= earliest}
        for m in reversed(months)
    ]


def my_unvisited(user):
    """'My work': the cadre's targets not visited this month."""
    rows = list(my_targets(user).filter(visited=False)[:20])
    if not rows:
        return None
    return {
        "title": f"本月待走访（{label(current_month())}）",
        "template": "monthly/_my_unvisited.html",
        "items": rows,
    }


def problem_origin(problem) -> list[tuple[str, str]]:
    try:
        finding = Finding.objects.select_related("visit__target").get(problem=problem)
    except Finding.DoesNotExist:
        return []
    visit = finding.visit
    return [
        (
            f"走访发现：{visit.target.name}（{visit.visited_at:%Y-%m-%d} 走访，"
            f"{finding.get_kind_display()}）",
            reverse("monthly:visit", args=[visit.pk]),
        )
    ]


def report_paragraphs(org, figures: dict) -> list[str]:
    """The Word report's paragraph on the monthly cycle, from the current month's figures."""
    if not figures.get("monthly_targets_assigned") and not figures.get("monthly_visits"):
        return []
    return [
        f"一月一走访、一月一研判、一月一解决：{label(current_month())}，包联走访对象"
        f"{figures['monthly_targets_assigned']}户（家），已走访{figures['monthly_targets_visited']}户"
        f"（家），走访覆盖率{figures['monthly_coverage']}%，走访{figures['monthly_visits']}次；"
        f"发现问题{figures['monthly_findings']}个，研判{figures['monthly_judged']}个，"
        f"当月解决{figures['monthly_resolved']}个，转入问题清单{figures['monthly_passed_up']}个，"
        f"上月结转未解决{figures['monthly_carried_over']}个。"
    ]
