"""Figures for a node's dashboard: its subtree, each child's subtree, charts and rankings.

Counts that do not move with the calendar come from the roll-up tables (OrgTally, LedgerTally:
one row per organisation's own rows, recounted by every writer), summed over path ranges; overdue
and the lights are counted from the open measures' indexed deadlines on the day. Each table is
read once for all children (one range per child, UNION ALL), so the query count does not grow
with the subtree or the number of children."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import CharField, Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, StrIndex, Substr
from django.utils import timezone

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.core import tallies
from luoshi.core.models import Tally
from luoshi.core.paths import path_upper, subtree_q
from luoshi.orgs.models import Organization, OrgTally
from luoshi.orgs.rollups import SUMS as ORG_SUMS_TOPIC
from luoshi.rectification import clock
from luoshi.rectification.models import (
    LedgerTally,
    Measure,
    Problem,
    ProblemStatus,
    Regulation,
    today,
)
from luoshi.rectification.rollups import COUNTS
from luoshi.rectification.rollups import SUMS as LEDGER_SUMS_TOPIC
from luoshi.rectification.tallies import OPEN_DUE, closures_by_day, day_figures
from luoshi.rectification.tallies import mix as problem_mix

# The row figures kept in the roll-ups, and those counted on the day.
LEDGER_KEYS = list(COUNTS)
DAY_KEYS = ["overdue", "red", "yellow", "green"]
STATUS_KEYS = {
    ProblemStatus.CLOSED: "problems_closed",
    ProblemStatus.IN_PROGRESS: "problems_in_progress",
    ProblemStatus.NO_MEASURES: "problems_no_measures",
    ProblemStatus.NOT_STARTED: "problems_not_started",
}


def child_prefix(field: str, parent_path: str):
    """SQL for the path of the child of `parent_path` that a row's `field` path lies under (the
    parent's own path for the parent's own rows)."""
    n = len(parent_path)
    return Substr(field, 1, n + StrIndex(Substr(field, n + 1), Value("/")))


RANGES_UP_TO = 100  # children; above, one GROUP BY over the subtree (SQLite caps UNION terms)


def per_range(
    queryset, field: str, node_path: str, child_paths, by: tuple = (), **aggregates
) -> dict:
    """`aggregates` over the node's own rows and over each child's subtree, in one statement
    keyed by path, or by (path, *by) when grouped further by the fields `by` (a range without
    rows is missing): one index range per child (UNION ALL), or for a node with very many
    children, grouped by the child's path prefix."""

    def keyed(rows) -> dict:
        out = {}
        for row in rows:
            key = (row.pop("child"), *(row.pop(f) for f in by)) if by else row.pop("child")
            out[key] = {k: v or 0 for k, v in row.items()}
        return out

    if len(child_paths) > RANGES_UP_TO:
        return keyed(
            queryset.filter(subtree_q(field, node_path))
            .annotate(child=child_prefix(field, node_path))
            .values("child", *by)
            .annotate(**aggregates)
            .order_by()
        )
    # Django compiles a queryset in about a millisecond: compile the own-rows and the range
    # statement once each, then repeat the range one per child with that child's bounds.
    lo, hi = "\x01lo", "\x01hi"  # stand-ins for the bounds, replaced in the parameters

    def compiled(where: Q) -> tuple[str, list]:
        part = (
            queryset.filter(where)
            .annotate(child=Value(lo, output_field=CharField()))
            .values("child", *by)
            .annotate(**aggregates)
            .order_by()
        )
        sql, params = part.query.sql_with_params()
        return sql, list(params)

    def bound(params: list, low: str, high: str) -> list:
        return [low if p == lo else high if p == hi else p for p in params]

    own_sql, own_params = compiled(Q(**{field: lo}))
    range_sql, range_params = compiled(Q(**{f"{field}__gte": lo, f"{field}__lt": hi}))
    statements, params = [own_sql], bound(own_params, node_path, "")
    for path in child_paths:
        statements.append(range_sql)
        params += bound(range_params, path, path_upper(path))
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(statements), params)
        names = [c[0] for c in cursor.description]
        return keyed(dict(zip(names, row, strict=True)) for row in cursor.fetchall())


def anchored_by_child(topic: str, node_path: str, child_paths) -> dict[str, dict[str, int]]:
    """A topic's tally sums (core/tallies.py) for the node's own rows and for each child's
    subtree, keyed by path, in one statement grouped by the child's path prefix: for a node
    above the tally depth, whose children are all anchors or above them."""
    wanted = {node_path, *child_paths}
    rows = (
        Tally.objects.filter(subtree_q("org_path", node_path), topic=topic)
        .exclude(key__startswith=tallies.OWN)
        .annotate(child=child_prefix("org_path", node_path))
        .values_list("child", "key")
        .annotate(total=Sum("n"))
        .order_by()
    )
    out: dict[str, dict[str, int]] = {}
    for child, key, n in rows:
        if child in wanted and n:
            out.setdefault(child, {})[key] = int(n)
    return out


def _sums(keys) -> dict:
    return {k: Coalesce(Sum(k), 0, output_field=IntegerField()) for k in keys}


def _tallies(campaign):
    tallies = LedgerTally.objects.all()
    return tallies.filter(campaign=campaign) if campaign is not None else tallies


def _open_measures(warning_days: int):
    """Open measures that show red or yellow today (`clock.attention_q`); every other open
    measure is green."""
    return Measure.objects.filter(clock.attention_q(warning_days))


def day_counts(campaign) -> dict:
    """Aggregates over `_open_measures`: those red today and all of them (red and yellow) in
    the campaign, and those overdue in every campaign."""
    # Of open measures the red (overdue) ones are the late ones: `late_q` names only columns of
    # the index rect_measure_open_due, and counting org_path (never null, in the index) keeps
    # the scan index-only on PostgreSQL.
    red = clock.late_q()
    ours = Q(campaign=campaign) if campaign is not None else Q()
    return {
        "red": Count("org_path", filter=red & ours),
        "attention": Count("org_path", filter=ours),
        "overdue_all": Count("org_path", filter=red),
    }


def _warning_days(campaign) -> int:
    """The campaign's warning days (the field's default for every campaign)."""
    if campaign is not None:
        return campaign.warning_days
    return Campaign._meta.get_field("warning_days").default


def _figures(tally: dict, day: dict) -> dict:
    """A row's figures from its roll-up sums and its counts of the day."""
    fig = {k: tally.get(k, 0) for k in LEDGER_KEYS}
    red, attention = day.get("red", 0), day.get("attention", 0)
    fig |= {
        "overdue": red,
        "red": red,
        "yellow": attention - red,
        "green": fig["measures"] - fig["closed"] - attention,
    }
    return _rates(fig)


@dataclass
class ChildRow:
    org: Organization
    figures: dict


@dataclass
class Board:
    """A node's children rows, with what its headline needs that the rows already hold."""

    rows: list[ChildRow]
    known: dict  # registered figure function -> its figures for the node (core.registry)


def _rates(fig: dict) -> dict:
    fig["closure_rate"] = (
        round(100 * fig["closed"] / fig["measures"], 1) if fig["measures"] else 0.0
    )
    fig["on_time_rate"] = (
        round(100 * fig["closed_on_time"] / fig["closed"], 1) if fig["closed"] else 0.0
    )
    return fig


ORG_SUMS = ["branches", "members", "probationary_members", "leadership_teams"]


def board(user, org: Organization, campaign) -> Board:
    """One row per visible child with the figures of its whole subtree (and 本级, the node's own
    rows, when it has any), in five statements whatever the size of the subtree: the roll-ups
    and the open measures are each read once, one index range per child. The same reads give
    the node's organisation and ledger figures (every campaign) for the headline."""
    children = list(
        Organization.objects.visible_to(user).filter(parent=org).order_by("sort_order", "id")
    )
    if not children:
        return Board([], {})
    path = org.path
    paths = [c.path for c in children]
    warn = _warning_days(campaign)
    orgs, by_campaign = _tallies_by_child(path, paths)
    ledger = _ledger_by_child(by_campaign, campaign)
    days = _days_by_child(path, paths, campaign, warn)
    rows = []
    own = Organization(pk=org.pk, name="本级", short_name="本级", code=org.code, path=org.path)
    own_tally = ledger.get(path, {})
    if own_tally.get("problems") or own_tally.get("measures"):  # so that the rows add up
        children = [own, *children]
    for child in children:
        # 本级 counts the node itself and its own members, so that the rows add up too.
        fig = {k: orgs.get(child.path, {}).get(k, 0) for k in ("organizations", "members")}
        fig |= _figures(ledger.get(child.path, {}), days.get(child.path, {}))
        rows.append(ChildRow(child, fig))
    return Board(rows, _headline_from_rows(path, orgs, ledger, days))


def _tallies_by_child(path: str, paths: list[str]) -> tuple[dict, dict]:
    """The organisation sums per child path and the ledger sums per (child path, campaign id),
    keyed `in_<count>`: from the anchors' sums above the tally depth, else from the roll-ups."""
    if tallies.depth(path) < tallies.tally_depth():
        # Above the tally depth every child's subtree is summed from its anchors' sums.
        orgs = anchored_by_child(ORG_SUMS_TOPIC, path, paths)
        by_campaign: dict = {}
        for child_path, sums in anchored_by_child(LEDGER_SUMS_TOPIC, path, paths).items():
            for key, n in sums.items():
                campaign_id, name = key.split(":")
                by_campaign.setdefault((child_path, int(campaign_id)), {})[f"in_{name}"] = n
        return orgs, by_campaign
    orgs = per_range(
        OrgTally.objects.all(),
        "org_path",
        path,
        paths,
        organizations=Count("*"),
        **{f"in_{k}": Sum(k) for k in ORG_SUMS},
    )
    orgs = {p: {k.removeprefix("in_"): v for k, v in fig.items()} for p, fig in orgs.items()}
    # Per child and campaign: the chosen campaign's rows for the table, all for the headline.
    by_campaign = per_range(
        LedgerTally.objects.all(),
        "org_path",
        path,
        paths,
        by=("campaign_id",),
        **{f"in_{k}": Sum(k) for k in COUNTS},  # aliases that are not field names
    )
    return orgs, by_campaign


def _ledger_by_child(by_campaign: dict, campaign) -> dict[str, dict]:
    """Per child path: the chosen campaign's counts (every campaign's when none is chosen) and
    every campaign's counts as `all_<count>`."""
    ledger: dict[str, dict] = {}
    for (child_path, campaign_id), sums in by_campaign.items():
        fig = ledger.setdefault(child_path, {})
        for key, n in sums.items():
            key = key.removeprefix("in_")
            fig[f"all_{key}"] = fig.get(f"all_{key}", 0) + n
            if campaign is None or campaign_id == campaign.pk:
                fig[key] = fig.get(key, 0) + n
    return ledger


def _days_by_child(path: str, paths: list[str], campaign, warn) -> dict[str, dict]:
    """Per child path: the open measures' day counts (overdue, the lights) on the day."""
    if tallies.depth(path) < tallies.tally_depth():
        return {
            child: day_figures(sums, campaign, warn)
            for child, sums in anchored_by_child(OPEN_DUE, path, paths).items()
        }
    return per_range(_open_measures(warn), "org_path", path, paths, **day_counts(campaign))


def _headline_from_rows(path: str, orgs: dict, ledger: dict, days: dict) -> dict:
    """The node's organisation and ledger figures (every campaign) summed from the per-child
    reads: every row of the subtree lies in the node's own range or in one child's (a user who
    sees the node sees every child), so the sums over the ranges are the node's figures."""
    from luoshi.orgs.selectors import org_figures
    from luoshi.rectification.selectors import ledger_figures, ledger_figures_of

    def total(source: dict, key: str) -> int:
        return sum(part.get(key, 0) for part in source.values())

    regulations = Regulation.objects.filter(subtree_q("org_path", path)).count()
    return {
        org_figures: {k: total(orgs, k) for k in ["organizations", *ORG_SUMS]},
        ledger_figures: ledger_figures_of(
            {k: total(ledger, f"all_{k}") for k in COUNTS},
            total(days, "overdue_all"),
            regulations,
        ),
    }


def children_rows(user, org: Organization, campaign) -> list[ChildRow]:
    """One row per visible child with the figures of its whole subtree (see `board`)."""
    return board(user, org, campaign).rows


def rows_total(rows: list[ChildRow]) -> dict:
    """The node's figures as the sum of its rows (which cover its whole subtree)."""
    total = {k: sum(r.figures[k] for r in rows) for k in [*LEDGER_KEYS, *DAY_KEYS]}
    return _rates(total)


def node_ledger(path: str, campaign) -> dict:
    """Every ledger figure of the subtree in `campaign` (every campaign when None): the
    roll-up's sums and the counts of the day, two statements."""
    tally = _tallies(campaign).filter(subtree_q("org_path", path)).aggregate(**_sums(LEDGER_KEYS))
    day = (
        _open_measures(_warning_days(campaign))
        .filter(subtree_q("org_path", path))
        .aggregate(**day_counts(campaign))
    )
    return _figures(tally, day)


MEASURE_KEYS = [
    "measures",
    "closed",
    "closed_on_time",
    "overdue",
    "returned",
    "red",
    "yellow",
    "green",
    "closure_rate",
    "on_time_rate",
]


def measure_figures(ledger: dict) -> dict:
    """The measure figures of the headline out of all the ledger's figures."""
    return {k: ledger[k] for k in MEASURE_KEYS}


def node_measure_figures(path: str, campaign) -> dict:
    """The subtree's measure figures in `campaign` (every campaign when None)."""
    return measure_figures(node_ledger(path, campaign))


def charts(path: str, campaign, node: dict | None = None) -> dict:
    """The data of the dashboard's charts, each a list of (label, value). `node` is the node's
    figures when the caller has them (the status chart is read from them)."""
    node = node if node is not None else node_ledger(path, campaign)
    labels = dict(Problem._meta.get_field("status").choices)
    by_status = [
        (labels[status], node[key]) for status, key in sorted(STATUS_KEYS.items()) if node.get(key)
    ]
    by_source, by_category = problem_mix(path, campaign)
    source_names = dict(
        ProblemSource.objects.filter(pk__in=[s for s in by_source if s]).values_list("pk", "name")
    )
    tops = dict(  # a category counts under its top-level one, as the campaign lists them
        Category.objects.filter(pk__in=[c for c in by_category if c]).values_list(
            "pk", "parent__name"
        )
    )
    sources: dict[str, int] = {}
    categories: dict[str, int] = {}
    for source, n in by_source.items():
        name = source_names.get(source) or "未填"
        sources[name] = sources.get(name, 0) + n
    for category, n in by_category.items():
        top = (tops.get(category) if category else None) or "未分类"
        categories[top] = categories.get(top, 0) + n
    weekly = weekly_closures_of(path, campaign)
    return {
        "status": by_status,
        "sources": top_and_others(sorted(sources.items(), key=lambda kv: -kv[1])),
        "categories": top_and_others(sorted(categories.items(), key=lambda kv: -kv[1])),
        "weekly_closures": every_week(weekly),
    }


def top_and_others(rows: list[tuple[str, int]], n: int = 8) -> list[tuple[str, int]]:
    """The first `n` rows and one 其他 summing the rest (labels that would collide on a chart
    are folded, the total kept)."""
    if len(rows) <= n + 1:
        return list(rows)
    return [*rows[:n], ("其他", sum(v for _, v in rows[n:]))]


PARTIAL_WEEK = "（本周至今）"


def every_week(weekly: list[tuple[str, int]], weeks: int = 12) -> list[tuple[str, int]]:
    """`weekly_closures_of` with every week since `weeks` weeks ago (a week without closures
    is 0, not left out) and the current week, not over yet, labelled 本周至今."""
    counts = dict(weekly)
    this_monday = today() - timedelta(days=today().weekday())
    first = today() - timedelta(weeks=weeks)
    monday = first - timedelta(days=first.weekday())
    rows = []
    while monday <= this_monday:
        label = monday.strftime("%m-%d")
        rows.append((label + (PARTIAL_WEEK if monday == this_monday else ""), counts.get(label, 0)))
        monday += timedelta(weeks=1)
    return rows


def weekly_closures_of(path: str, campaign, weeks: int = 12) -> list[tuple[str, int]]:
    """Closures per week (Monday to Sunday, local time) since `weeks` weeks ago, as ("mm-dd" of
    the Monday, count) for the weeks with any: the closures' tally by local day, summed."""
    since = today() - timedelta(weeks=weeks)
    per_week: dict = {}
    for day, n in closures_by_day(path, campaign, since).items():
        monday = day - timedelta(days=day.weekday())
        per_week[monday] = per_week.get(monday, 0) + n
    return [(monday.strftime("%m-%d"), per_week[monday]) for monday in sorted(per_week)]


def most_overdue(user, path: str, campaign, limit: int = 10):
    measures = Measure.objects.visible_to(user, within=path).overdue()
    if campaign is not None:
        measures = measures.filter(campaign=campaign)
    return measures.select_related("problem", "org").order_by("due_on", "id")[:limit]


def measure_figures_as_of(path: str, campaign, day) -> dict:
    """The node's measure figures as they stood at the end of `day`, from the dates the rows
    carry (made, closed, due): what was made by then, closed by then, overdue on that day."""
    end = timezone.make_aware(datetime.combine(day, time.max))
    measures = Measure.objects.filter(subtree_q("org_path", path), created_at__lte=end)
    if campaign is not None:
        measures = measures.filter(campaign=campaign)
    return _rates(
        measures.aggregate(
            measures=Count("id"),
            closed=Count("id", filter=clock.closed_q(by=end)),
            closed_on_time=Count("id", filter=clock.closed_on_time_q(by=end)),
            overdue=Count("id", filter=clock.overdue_q(on=day, by=end)),
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


def earlier_reports(user, org: Organization, *, excluding: int | None = None, limit: int = 20):
    """The organisation's Word reports, newest first, with who asked for each: the same list
    for everyone who may see the organisation."""
    from luoshi.dashboards.models import ReportJob

    jobs = ReportJob.objects.visible_to(user).filter(org=org)
    if excluding is not None:
        jobs = jobs.exclude(pk=excluding)
    return list(jobs.select_related("user", "campaign").order_by("-created_at", "-id")[:limit])
