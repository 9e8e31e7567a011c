"""Extension points that later modules plug into, each a plain list filled by AppConfig.ready().

- NAVIGATION: (label, url name, active-prefix) entries in the top navigation, in order.
- FIGURES: functions (path) -> dict of subtree figures; `luoshi stats` and the dashboards show
  every figure registered here, so a module adds its counts once.
  A function registered with `as_of=True` also takes `as_of` (a date): its figures as they
  stood at the end of that day, from the dates its facts carry, so that they never change when
  later facts arrive (`subtree_figures_as_of`, the dashboard's 查看历史数字).
- SEED_STEPS: functions (context) -> None run by `luoshi seed` after the tree and accounts exist,
  in the order given when added (the ledger before study, study before the key actions it proves).
- MY_WORK: functions (user) -> dict(title, template, items) | None, extra sections of "my work".
- WORK_BULK_ACTIONS: buttons a module adds to sections of "my work" (and to the ledger filtered
  to such a section, `?work=`) acting on the measures ticked there (批量提醒).
- PROBLEM_ORIGINS: functions (problem) -> [(label, url)], the records a problem came from
  (a research finding, an opinion), shown on the problem's page.
- TILES: templates of a module's own tiles on every dashboard, rendered with the node's
  `figures` (every FIGURES key), `org` and `campaign`: a module shows its figures without
  editing the dashboard's template. A tile added with `as_of=True` reads only figures of
  functions registered `as_of=True`: the dashboard shows it again as of a past day.
- CHARTS: functions (path) -> [Chart], a module's charts on every dashboard (each with its
  table view, like the dashboard's own); an empty list where the subtree has nothing of it.
- REPORT_PARAGRAPHS: functions (org, figures) -> [str], a module's paragraphs in the Word
  progress report (总体进展) and the summary (综述), written from the subtree's figures; an empty
  list when the subtree has nothing of it to report.
- ROLLUPS: roll-up tables kept by a module (see core/rollups.py): how to rebuild one from the
  rows and how to list where it differs from a direct count (`luoshi rollups`, bench W10).
  A module whose figures are direct counts registers none.
- TREE: how core reads the organisation tree and who is assigned where, given by the apps that
  own them (orgs: `organizations`, `scope_roots`; accounts: `assignments`), so that core, the
  lowest layer, imports neither.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    prefix: str
    order: int = 100
    visible: Callable[[Any], bool] | None = None  # (user) -> shown to them; None: to everyone
    group: str = ""  # shown under this drop-down of the top navigation; "": on the bar itself


@dataclass(frozen=True)
class BulkAction:
    """A button for the measures ticked in the work page's `sections` (and the ledger filtered
    to one of them): it posts their ids (`measure`) and `next` to `url_name`."""

    label: str
    url_name: str
    sections: tuple[str, ...]
    allows: Callable[[Any, str], bool]  # (user, measure's org path) -> a box to tick there
    testid: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Rollup:
    name: str
    rebuild: Callable[[], int]
    drift: Callable[[], list[str]]


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page
    title: str
    type: str  # line | bar | hbar | pie (dashboards.js)
    rows: list  # [(label, value)]
    color: str = ""


@dataclass
class TreeHooks:
    organizations: Callable[[], Any] | None = None  # () -> the organisations' manager
    scope_roots: Callable[[Any], Any] | None = None  # (user) -> the tops of the user's scope
    # (user) -> (path, role); a superuser holds ("/", "admin") too (accounts.permissions)
    assignments: Callable[[Any], list[tuple[str, str]]] | None = None


TREE = TreeHooks()


def set_tree_hooks(**hooks: Callable) -> None:
    for name, func in hooks.items():
        if not hasattr(TREE, name):
            raise AttributeError(name)
        setattr(TREE, name, func)


def _hook(name: str) -> Callable:
    func = getattr(TREE, name)
    if func is None:
        raise LookupError(f"no app registered the tree hook {name!r} (see core.registry)")
    return func


def organizations():
    """The organisations' manager (orgs.Organization.objects)."""
    return _hook("organizations")()


def scope_roots(user):
    """The organisations at the top of the user's scope, as a queryset."""
    return _hook("scope_roots")(user)


def assignments(user) -> list[tuple[str, str]]:
    """(organisation path, role) of each of the user's assignments, read from the database; a
    superuser is admin over the whole installation ("/"), even with no organisation yet."""
    return _hook("assignments")(user)


NAVIGATION: list[NavItem] = []
ROLLUPS: list[Rollup] = []
FIGURES: list[Callable[[str], dict]] = []
FIGURES_AS_OF: list[Callable[..., dict]] = []  # those of FIGURES that also take as_of=
SEED_STEPS: list[Callable] = []
MY_WORK: list[Callable] = []
WORK_BULK_ACTIONS: list[BulkAction] = []
PROBLEM_ORIGINS: list[Callable] = []
TILES: list[tuple[int, str]] = []
TILES_AS_OF: list[str] = []
REPORT_PARAGRAPHS: list[Callable] = []
CHARTS: list[Callable] = []


def add_nav(item: NavItem) -> None:
    if item not in NAVIGATION:
        NAVIGATION.append(item)
        NAVIGATION.sort(key=lambda i: i.order)


def add_figures(func: Callable[[str], dict], *, as_of: bool = False) -> Callable[[str], dict]:
    if func not in FIGURES:
        FIGURES.append(func)
    if as_of and func not in FIGURES_AS_OF:
        FIGURES_AS_OF.append(func)
    return func


def add_rollup(rollup: Rollup) -> None:
    if rollup not in ROLLUPS:
        ROLLUPS.append(rollup)


def add_seed_step(func: Callable, order: int = 50) -> Callable:
    if func not in SEED_STEPS:
        func.seed_order = order
        SEED_STEPS.append(func)
        SEED_STEPS.sort(key=lambda f: f.seed_order)
    return func


def add_my_work(func: Callable) -> Callable:
    if func not in MY_WORK:
        MY_WORK.append(func)
    return func


def add_work_bulk_action(action: BulkAction) -> None:
    if action not in WORK_BULK_ACTIONS:
        WORK_BULK_ACTIONS.append(action)


def bulk_actions(user, section: str, org_paths) -> list[BulkAction]:
    """The bulk actions of a work-page section that the user may take on at least one of the
    measures (their organisations' `org_paths`) listed there."""
    paths = set(org_paths)
    return [
        a
        for a in WORK_BULK_ACTIONS
        if section in a.sections and any(a.allows(user, p) for p in paths)
    ]


def add_problem_origin(func: Callable) -> Callable:
    if func not in PROBLEM_ORIGINS:
        PROBLEM_ORIGINS.append(func)
    return func


def add_tile(template: str, order: int = 100, *, as_of: bool = False) -> None:
    if all(name != template for _, name in TILES):
        TILES.append((order, template))
        TILES.sort()
    if as_of and template not in TILES_AS_OF:
        TILES_AS_OF.append(template)


def tiles(*, as_of: bool = False) -> list[str]:
    """The tiles in order; with as_of, only those that can be shown as of a past day."""
    return [name for _, name in TILES if not as_of or name in TILES_AS_OF]


def add_chart(func: Callable[[str], list[Chart]]) -> Callable:
    if func not in CHARTS:
        CHARTS.append(func)
    return func


def module_charts(path: str) -> list[Chart]:
    """Every module's charts for the subtree at `path`, in the order they were added."""
    return [chart for func in CHARTS for chart in func(path)]


def add_report_paragraphs(func: Callable) -> Callable:
    if func not in REPORT_PARAGRAPHS:
        REPORT_PARAGRAPHS.append(func)
    return func


def report_paragraphs(org, figures: dict) -> list[str]:
    """Every module's paragraphs for the subtree of `org`, in the order they were added."""
    return [line for func in REPORT_PARAGRAPHS for line in func(org, figures)]


def subtree_figures(path: str, known: dict | None = None) -> dict:
    """Every registered figure for the subtree at `path`. `known` maps registered functions to
    what they would return for this subtree when the caller has it already (the dashboard sums
    the orgs' and the ledger's from its per-child rows); the others are called."""
    figures: dict = {}
    for func in FIGURES:
        figures.update(known[func] if known and func in known else func(path))
    return figures


def subtree_figures_as_of(path: str, day) -> dict:
    """The figures of the subtree at `path` as they stood at the end of `day`, from every
    function registered with as_of=True (the others cannot say what they were then)."""
    figures: dict = {}
    for func in FIGURES_AS_OF:
        figures.update(func(path, as_of=day))
    return figures
