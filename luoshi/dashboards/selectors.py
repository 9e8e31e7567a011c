"""Figures for a node's dashboard: its subtree, each child's subtree in one grouped query per
table (the query count does not grow with the subtree or the number of children), charts and
rankings. Everything is computed from the rows; nothing is typed or cached."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q, Value
from django.db.models.functions import StrIndex, Substr, TruncWeek

from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Member, Organization
from luoshi.rectification.models import DeadlineKind, Measure, MeasureState, Problem, today
from luoshi.rectification.selectors import measure_counts, overdue_q


def child_prefix(field: str, parent_path: str):
    """SQL for the path of the child of `parent_path` that a row's `field` path lies under (the
    parent's own path for the parent's own rows)."""
    n = len(parent_path)
    rest = Substr(field, n + 1)
    return Substr(field, 1, n + StrIndex(rest, Value("/")))


def by_child(queryset, field: str, parent_path: str, **aggregates) -> dict[str, dict]:
    rows = (
        queryset.filter(subtree_q(field, parent_path))
        .annotate(child=child_prefix(field, parent_path))
        .values("child")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("child"): row for row in rows}


def light_counts(warning_days: int) -> dict:
    """Conditional counts of open measures by light (红黄绿), as a measure's `light_on` decides."""
    on = today()
    open_ = ~Q(state=MeasureState.CLOSED)
    red = open_ & overdue_q(on=on)
    yellow = (
        open_
        & ~overdue_q(on=on)
        & (
            Q(was_overdue=True)
            | (
                ~Q(deadline_kind=DeadlineKind.ONGOING)
                & Q(due_on__lte=on + timedelta(days=warning_days))
            )
        )
    )
    return {
        "red": Count("id", filter=red),
        "yellow": Count("id", filter=yellow),
        "green": Count("id", filter=open_ & ~red & ~yellow),
    }


@dataclass
class ChildRow:
    org: Organization
    figures: dict


def _rates(fig: dict) -> dict:
    fig["closure_rate"] = (
        round(100 * fig["closed"] / fig["measures"], 1) if fig["measures"] else 0.0
    )
    fig["on_time_rate"] = (
        round(100 * fig["closed_on_time"] / fig["closed"], 1) if fig["closed"] else 0.0
    )
    return fig


def children_rows(user, org: Organization, campaign) -> list[ChildRow]:
    """One row per visible child with the figures of its whole subtree."""
    children = list(
        Organization.objects.visible_to(user).filter(parent=org).order_by("sort_order", "id")
    )
    if not children:
        return []
    path = org.path
    orgs = by_child(Organization.objects.all(), "path", path, organizations=Count("id"))
    members = by_child(Member.objects.all(), "org_path", path, members=Count("id"))
    problems = Problem.objects.all()
    measures = Measure.objects.all()
    if campaign is not None:
        problems = problems.filter(campaign=campaign)
        measures = measures.filter(problem__campaign=campaign)
    probs = by_child(
        problems,
        "org_path",
        path,
        problems=Count("id"),
        immediate=Count("id", filter=Q(immediate=True)),
    )
    warn = campaign.warning_days if campaign else 7
    meas = by_child(measures, "org_path", path, **measure_counts(), **light_counts(warn))
    empty_m = dict.fromkeys([*measure_counts(), "red", "yellow", "green"], 0)
    rows = []
    own = Organization(pk=org.pk, name="本级", short_name="本级", code=org.code, path=org.path)
    if path in probs or path in meas:  # the node's own problems, so that the rows add up
        children = [own, *children]
    for child in children:
        fig = {"organizations": 0, "members": 0, "problems": 0, "immediate": 0, **empty_m}
        for source in (orgs, members, probs, meas):
            fig.update(source.get(child.path, {}))
        rows.append(ChildRow(child, _rates(fig)))
    return rows


def node_measure_figures(path: str, campaign) -> dict:
    measures = Measure.objects.filter(subtree_q("org_path", path))
    if campaign is not None:
        measures = measures.filter(problem__campaign=campaign)
    warn = campaign.warning_days if campaign else 7
    return _rates(measures.aggregate(**measure_counts(), **light_counts(warn)))


def charts(path: str, campaign) -> dict:
    """The data of the dashboard's charts, each a list of (label, value)."""
    problems = Problem.objects.filter(subtree_q("org_path", path))
    measures = Measure.objects.filter(subtree_q("org_path", path))
    if campaign is not None:
        problems = problems.filter(campaign=campaign)
        measures = measures.filter(problem__campaign=campaign)
    status = dict(Problem._meta.get_field("status").choices)
    by_status = [
        (status[s], n)
        for s, n in problems.values_list("status").annotate(n=Count("id")).order_by("status")
    ]
    by_source = [
        (name or "未填", n)
        for name, n in problems.values_list("source__name").annotate(n=Count("id")).order_by("-n")
    ]
    by_category = [
        (name or "未分类", n)
        for name, n in problems.annotate(top=F("category__parent__name"))
        .values_list("top")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]
    since = today() - timedelta(weeks=12)
    weekly = [
        (week.strftime("%m-%d"), n)
        for week, n in measures.filter(state=MeasureState.CLOSED, closed_at__date__gte=since)
        .annotate(week=TruncWeek("closed_at"))
        .values_list("week")
        .annotate(n=Count("id"))
        .order_by("week")
        if week
    ]
    return {
        "status": by_status,
        "sources": by_source,
        "categories": by_category,
        "weekly_closures": weekly,
    }


def most_overdue(user, path: str, campaign, limit: int = 10):
    measures = Measure.objects.visible_to(user, within=path).filter(overdue_q())
    if campaign is not None:
        measures = measures.filter(problem__campaign=campaign)
    return measures.select_related("problem", "org").order_by("due_on", "id")[:limit]


def measure_figures_as_of(path: str, campaign, day) -> dict:
    """The node's measure figures as they stood at the end of `day`, from the dates the rows
    carry (made, closed, due): what was made by then, closed by then, overdue on that day."""
    from datetime import datetime, time

    from django.utils import timezone

    end = timezone.make_aware(datetime.combine(day, time.max))
    measures = Measure.objects.filter(subtree_q("org_path", path), created_at__lte=end)
    if campaign is not None:
        measures = measures.filter(problem__campaign=campaign)
    closed_then = Q(closed_at__lte=end)
    overdue_then = ~closed_then & ~Q(deadline_kind=DeadlineKind.ONGOING) & Q(due_on__lt=day)
    return _rates(
        measures.aggregate(
            measures=Count("id"),
            closed=Count("id", filter=closed_then),
            closed_on_time=Count("id", filter=closed_then & Q(was_overdue=False, extensions=0)),
            overdue=Count("id", filter=overdue_then),
        )
    )


def snapshot_figures(user, org, campaign) -> dict:
    """What an office submits: the node's figures and each child's, as plain numbers."""
    from luoshi.core.registry import subtree_figures

    return {
        "node": {**subtree_figures(org.path), **node_measure_figures(org.path, campaign)},
        "children": [
            {"code": r.org.code, "name": r.org.name, **r.figures}
            for r in children_rows(user, org, campaign)
        ],
    }
