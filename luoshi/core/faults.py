"""Pause points for the crash tests (R19: kill -9 in the middle of a write).

Only when the environment names a point in LUOSHI_PAUSE_AT does the process that reaches it
write its pid to LUOSHI_PAUSE_FILE and wait there to be killed; otherwise a call costs one
dictionary lookup."""

import os
import time
from functools import partial
from pathlib import Path

from django.db import transaction


def pause_point(name: str) -> None:
    if os.environ.get("LUOSHI_PAUSE_AT") != name:
        return
    Path(os.environ["LUOSHI_PAUSE_FILE"]).write_text(str(os.getpid()))
    time.sleep(300)


def pause_points(name: str) -> None:
    """`name.before_commit` now, inside the transaction; `name.after_commit` once it commits."""
    if not os.environ.get("LUOSHI_PAUSE_AT", "").startswith(f"{name}."):
        return
    pause_point(f"{name}.before_commit")
    transaction.on_commit(partial(pause_point, f"{name}.after_commit"))
