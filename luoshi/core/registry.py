"""Extension points that later modules plug into, each a plain list filled by AppConfig.ready().

- NAVIGATION: (label, url name, active-prefix) entries in the top navigation, in order.
- FIGURES: functions (path) -> dict of subtree figures; `luoshi stats` and the dashboards show
  every figure registered here, so a module adds its counts once.
- SEED_STEPS: functions (context) -> None run by `luoshi seed` after the tree and accounts exist,
  in the order given when added (the ledger before study, study before the key actions it proves).
- MY_WORK: functions (user) -> dict(title, template, items) | None, extra sections of "my work".
- PROBLEM_ORIGINS: functions (problem) -> [(label, url)], the records a problem came from
  (a research finding, an opinion), shown on the problem's page.
- ROLLUPS: roll-up tables kept by a module (see core/rollups.py): how to rebuild one from the
  rows and how to list where it differs from a direct count (`luoshi rollups`, bench W10).
  A module whose figures are direct counts registers none.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    prefix: str
    order: int = 100


@dataclass(frozen=True)
class Rollup:
    name: str
    rebuild: Callable[[], int]
    drift: Callable[[], list[str]]


NAVIGATION: list[NavItem] = []
ROLLUPS: list[Rollup] = []
FIGURES: list[Callable[[str], dict]] = []
SEED_STEPS: list[Callable] = []
MY_WORK: list[Callable] = []
PROBLEM_ORIGINS: list[Callable] = []


def add_nav(item: NavItem) -> None:
    if item not in NAVIGATION:
        NAVIGATION.append(item)
        NAVIGATION.sort(key=lambda i: i.order)


def add_figures(func: Callable[[str], dict]) -> Callable[[str], dict]:
    if func not in FIGURES:
        FIGURES.append(func)
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


def add_problem_origin(func: Callable) -> Callable:
    if func not in PROBLEM_ORIGINS:
        PROBLEM_ORIGINS.append(func)
    return func


def subtree_figures(path: str, known: dict | None = None) -> dict:
    """Every registered figure for the subtree at `path`. `known` maps registered functions to
    what they would return for this subtree when the caller has it already (the dashboard sums
    the orgs' and the ledger's from its per-child rows); the others are called."""
    figures: dict = {}
    for func in FIGURES:
        figures.update(known[func] if known and func in known else func(path))
    return figures
