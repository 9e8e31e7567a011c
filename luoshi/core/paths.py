"""Materialised paths: every organisation has a path like '/1/3/17/' (its ancestors' ids and its
own), and every fact row carries a copy as `org_path`. A subtree is then one indexed range:
    path >= '/1/3/'  AND  path < '/1/30'
because '0' is the character right after '/'. Paths are compared byte-wise: SQLite's default
BINARY collation does that, and on PostgreSQL the column is created with collation "C"."""

from django.db import models
from django.db.models import Q

SEP = "/"
_AFTER_SEP = chr(ord(SEP) + 1)  # '0'


class PathField(models.CharField):
    """A materialised path column, compared byte-wise on every database."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


def child_path(parent_path: str | None, pk: int) -> str:
    return f"{parent_path or SEP}{pk}{SEP}"


def path_upper(path: str) -> str:
    """The smallest string above every path in the subtree of `path`."""
    return path[:-1] + _AFTER_SEP


def subtree_q(field: str, path: str) -> Q:
    """Rows whose `field` lies in the subtree rooted at `path` (the root included)."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path_upper(path)})


def is_within(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path)


def ancestor_ids(path: str) -> list[int]:
    """Ids on the path from the root down to the node itself."""
    return [int(part) for part in path.strip(SEP).split(SEP) if part]


def outermost(paths) -> tuple[str, ...]:
    """Drop every path that lies inside another one of the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def ancestor_paths(path: str) -> list[str]:
    """The paths of the node's ancestors and of the node itself, from the root down."""
    ids = ancestor_ids(path)
    return [SEP + SEP.join(str(i) for i in ids[: n + 1]) + SEP for n in range(len(ids))]
