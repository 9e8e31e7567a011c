"""No function or method in the luoshi package is longer than 80 lines.

The rule: a function's length is counted from its `def` line to its last line (signature,
docstring, comments and blank lines included; decorators not). A nested function counts on its
own and also as part of the function around it. Migrations are exempt (Django writes them).
A longer function is split into named steps that say what they do.
"""

import ast
from pathlib import Path

import luoshi

PACKAGE = Path(luoshi.__file__).parent
LIMIT = 80

# Functions allowed over the limit for now, each with its reason (none today).
ALLOWED: set[str] = set()


def _long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > LIMIT:
                    found[f"{path.relative_to(PACKAGE)}: {node.name}"] = length
    return found


def test_no_function_is_longer_than_80_lines():
    offenders = {name: n for name, n in _long_functions().items() if name not in ALLOWED}
    assert offenders == {}, "split these into named steps: " + ", ".join(
        f"{name} ({n} lines)" for name, n in sorted(offenders.items())
    )


def test_the_allowlist_names_only_functions_still_too_long():
    assert ALLOWED <= set(_long_functions())
