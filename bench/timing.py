"""Timing helpers shared by the benchmark scripts (run them as `python bench/NAME.py`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of `runs` calls of `action`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def median_seconds(action: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(action, runs))
