"""Helpers the benchmarks share: Django set-up in a child process, timing and summaries."""

import math
import os
import re
import statistics
import time


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()


def timed(fn, runs: int) -> list[float]:
    """Milliseconds of `runs` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[math.ceil(0.9 * len(ordered)) - 1],  # nearest rank
        "runs": len(ordered),
    }


def query_shape(sql: str) -> str:
    """The SQL with its literals blanked and its column list cut, to spot the same query run
    again and again."""
    sql = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)
