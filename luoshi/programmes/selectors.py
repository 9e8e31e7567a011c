"""Reads of special rectification: the programmes that appear at an organisation, a programme's
plans and items within a subtree, the figures of any subtree (for `luoshi stats`, the
dashboards, the Word reports), and the ledger page's link back to a programme."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.urls import reverse

from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.programmes import rules
from luoshi.programmes.models import ProgrammeItem, ProgrammePlan, SpecialProgramme
from luoshi.rectification.models import Light, Measure, ProblemStatus, ProgressUpdate


def programme_figures(path: str) -> dict:
    """The figures of the subtree at `path`: programmes in force there (set in it, or adopted
    in it or above it), plans written in it, items listed in it and those closed (every
    measure 销号). Direct counts over indexed path ranges."""
    adopted = ProgrammePlan.objects.filter(rules.plan_reach_q(path)).values_list(
        "programme_id", flat=True
    )
    items = ProgrammeItem.objects.filter(subtree_q("org_path", path)).aggregate(
        total=Count("id"), closed=Count("id", filter=rules.closed_q())
    )
    return {
        "programmes": SpecialProgramme.objects.filter(rules.in_force_q(path, set(adopted))).count(),
        "programme_plans": ProgrammePlan.objects.filter(subtree_q("org_path", path)).count(),
        "programme_items": items["total"],
        "programme_items_closed": items["closed"],
    }


def report_paragraphs(org, figures: dict) -> list[str]:
    """The Word reports' paragraph on special rectification; none when the subtree has none."""
    if not figures.get("programmes"):
        return []
    return [
        f"在专项整治上，开展专项整治{figures['programmes']}项，制定实施方案"
        f"{figures['programme_plans']}个，梳理整治事项{figures['programme_items']}个，"
        f"已完成{figures['programme_items_closed']}个。"
    ]


def programmes_at(user, path: str):
    """The programmes that appear at the organisation of `path` (set there, above it or below
    it) that the user may see, each with its plans, items and closed items inside the subtree,
    and whether it is adopted at `path` or above (`adopted_here`)."""
    inside = subtree_q("plans__org_path", path)
    items = subtree_q("items__org_path", path)
    rows = list(
        SpecialProgramme.objects.visible_to(user, within=path)
        .select_related("org")
        .annotate(
            n_plans=Count("plans", filter=inside, distinct=True),
            n_items=Count("items", filter=items, distinct=True),
            n_closed=Count("items", filter=items & rules.closed_q("items__"), distinct=True),
        )
        .order_by("org_path", "id")
    )
    covered = set(
        ProgrammePlan.objects.filter(
            org_path__in=ancestor_paths(path), programme__in=rows
        ).values_list("programme_id", flat=True)
    )
    for p in rows:
        p.adopted_here = p.pk in covered
    return rows


def adopted_paths(programme) -> set[str]:
    return set(programme.plans.values_list("org_path", flat=True))


def plans(user, programme, path: str):
    """The programme's plans written in the subtree at `path` that the user may see."""
    return (
        ProgrammePlan.objects.visible_to(user)
        .filter(subtree_q("org_path", path), programme=programme)
        .select_related("org")
        .order_by("org_path", "id")
    )


def items(user, programme, path: str, *, pk: int | None = None):
    """The programme's items in the subtree at `path`, with their problems, measures and each
    measure's latest progress report."""
    latest = ProgressUpdate.objects.order_by("-created_at", "-id")
    measures = (
        Measure.objects.select_related("org")
        .order_by("number", "id")
        .prefetch_related(Prefetch("updates", queryset=latest))
    )
    rows = ProgrammeItem.objects.visible_to(user).filter(
        subtree_q("org_path", path), programme=programme
    )
    if pk is not None:
        rows = rows.filter(pk=pk)
    return (
        rows.select_related("org", "problem")
        .prefetch_related(Prefetch("problem__measures", queryset=measures))
        .order_by("org_path", "id")
    )


@dataclass
class ItemRow:
    item: ProgrammeItem
    measures: list
    light: str  # the worst light of its open measures, or Light.NONE when all are closed


LIGHT_ORDER = [Light.RED, Light.YELLOW, Light.GREEN]


def item_rows(user, programme, path: str, *, pk: int | None = None) -> list[ItemRow]:
    """The items (or the one of `pk`) with their measures' lights and latest progress."""
    warning = programme.campaign.warning_days
    rows = []
    for item in items(user, programme, path, pk=pk):
        measures = list(item.problem.measures.all())
        for m in measures:
            m.light = m.light_on(warning)
            m.latest = next(iter(m.updates.all()), None)
        lit = {m.light for m in measures}
        light = next((light for light in LIGHT_ORDER if light in lit), Light.NONE)
        rows.append(ItemRow(item, measures, light))
    return rows


def plans_with_figures(user, programme, path: str) -> list:
    """The programme's plans in the subtree at `path` (those the user sees), each with the
    items of its subtree and those closed; an item is counted at the nearest plan above it."""
    rows = list(plans(user, programme, path))
    by_path = {p.org_path: p for p in rows}
    for p in rows:
        p.n_items = p.n_closed = 0
    for org_path, status in ProgrammeItem.objects.filter(
        subtree_q("org_path", path), programme=programme
    ).values_list("org_path", "problem__status"):
        nearest = rules.covering_plan_path(org_path, by_path)
        if nearest is not None:
            by_path[nearest].n_items += 1
            by_path[nearest].n_closed += status == ProblemStatus.CLOSED
    return rows


def problem_origin(problem) -> list[tuple[str, str]]:
    """The problem page's link to the programme the problem is an item of."""
    try:
        item = ProgrammeItem.objects.select_related("programme").get(problem=problem)
    except ProgrammeItem.DoesNotExist:
        return []
    return [
        (
            f"专项整治：{item.programme.name}",
            reverse("programmes:detail", args=[item.programme_id]) + f"?org={item.org_id}",
        )
    ]
