"""One occurrence seen through two sources counts once: the cross-source deduplication.

The same occurrence can reach a scan twice (an event and its alarm, an IPS row and its event,
the legacy and the v2 log). Entries of one rule and actor from *different* sources within
``DEDUP_TOLERANCE_MS`` of each other are one occurrence. Entries arrive newest first, and each
source confirms the newest kept occurrence of another source that it has not confirmed yet:
per source the same queue the whole-list walk kept, but read through a cursor over one shared
list of recent kept occurrences. Only occurrences within the tolerance are remembered, so the
memory is what one actor does in five seconds, whatever the backlog.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Source

# Two sources reporting the same occurrence disagree by at most this much.
DEDUP_TOLERANCE_MS = 5_000


class Occurrences:
    """The recent kept occurrences of one actor, and how far each source has confirmed them."""

    __slots__ = ("_base", "_cursors", "_kept")

    def __init__(self) -> None:
        """Start with nothing seen."""
        self._kept: deque[tuple[int, Source]] = deque()
        self._base = 0  # the position of ``_kept[0]`` in the sequence of kept occurrences
        self._cursors: dict[Source, int] = {}

    def admit(self, time_ms: int, source: Source) -> bool:
        """Tell whether an entry (older than every earlier one) is a new occurrence."""
        kept = self._kept
        tolerance = DEDUP_TOLERANCE_MS
        while kept and kept[0][0] - time_ms > tolerance:
            kept.popleft()  # too old for this entry, so for every later (older) one too
            self._base += 1
        base = self._base
        cursor = max(self._cursors.get(source, base), base)
        end = base + len(kept)
        while cursor < end and kept[cursor - base][1] is source:
            cursor += 1  # a source never confirms its own occurrences
        if cursor < end:
            self._cursors[source] = cursor + 1
            return False
        self._cursors[source] = end
        kept.append((time_ms, source))
        return True
