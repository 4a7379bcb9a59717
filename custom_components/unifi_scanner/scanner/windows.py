"""How many entries fall inside a time window: the measure of every flapping and guessing rule."""

from __future__ import annotations

import heapq
from array import array
from collections import deque
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


class Peak:
    """The most entries inside any window of ``width_ms``, fed times newest first.

    The busiest window can be taken to start at one of its entries, so each entry only needs
    the newer ones less than a window away: the deque never holds more than one window.
    """

    __slots__ = ("_times", "_width", "peak")

    def __init__(self, width_ms: int) -> None:
        """Start empty."""
        self._width = width_ms
        self._times: deque[int] = deque()
        self.peak = 0

    def add(self, time_ms: int) -> int:
        """Count one entry (no newer than any before it); return the peak so far."""
        times = self._times
        while times and times[0] - time_ms >= self._width:
            times.popleft()
        times.append(time_ms)
        self.peak = max(self.peak, len(times))
        return self.peak


def max_in_window(runs: Iterable[array[int]], width_ms: int) -> int:
    """Count the most times inside any window of ``width_ms``, over several runs of times.

    Runs arrive newest first but for the odd late row; such a run is sorted on its own. The
    runs are merged lazily, so judging a flood of sign-ins does not make an object per time.
    """
    ordered = [run if _newest_first(run) else array("q", sorted(run, reverse=True)) for run in runs]
    peak = Peak(width_ms)
    for time_ms in heapq.merge(*ordered, reverse=True):
        peak.add(time_ms)
    return peak.peak


def window_fields(peak: int, width_ms: int) -> dict[str, str]:
    """Fill in a window finding's words: how many entries within how many minutes."""
    return {"window_count": str(peak), "window_minutes": str(width_ms // 60_000)}


def _newest_first(run: array[int]) -> bool:
    return all(newer >= older for newer, older in pairwise(run))
