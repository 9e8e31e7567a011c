"""core is the lowest layer: it imports no app above it. Where it needs to know of the tree or
of who is assigned where, the owning apps give it hooks (core.registry.TREE)."""

import ast
from pathlib import Path

from django.core.management import get_commands

import luoshi

CORE = Path(luoshi.__file__).parent / "core"
APPS = {p.name for p in CORE.parent.iterdir() if (p / "apps.py").exists()} - {"core"}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_app_above_it():
    found = {
        f"{path.relative_to(CORE)}: {name}"
        for path in CORE.rglob("*.py")
        if "migrations" not in path.parts
        for name in _imported(path)
        if name.split(".")[0] == "luoshi" and name.split(".")[1:2] and name.split(".")[1] in APPS
    }
    assert found == set()


def test_the_moved_commands_keep_their_names():
    commands = get_commands()
    assert commands["seed"] == "luoshi.demo" and commands["demo"] == "luoshi.demo"
    assert commands["stats"] == "luoshi.dashboards"
