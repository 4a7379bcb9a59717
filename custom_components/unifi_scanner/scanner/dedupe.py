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

    def expired(self, time_ms: int) -> bool:
        """Tell whether no entry at ``time_ms`` or older can repeat these occurrences."""
        kept = self._kept
        return not kept or kept[-1][0] - time_ms > DEDUP_TOLERANCE_MS


class Deduplicator:
    """The recent occurrences of every actor of one rule (or of the threats).

    Actors whose occurrences are all more than the tolerance newer than the entries being read
    are forgotten (``forget_older``), so the state is what the last five seconds of the log
    hold, not one record per actor of the whole backlog.
    """

    __slots__ = ("_actors",)

    def __init__(self) -> None:
        """Start with no actor."""
        self._actors: dict[str, Occurrences] = {}

    def admit(self, actor: str, time_ms: int, source: Source) -> bool:
        """Tell whether an entry about ``actor`` (older than every earlier one) is new."""
        occurrences = self._actors.get(actor)
        if occurrences is None:
            occurrences = self._actors[actor] = Occurrences()
        return occurrences.admit(time_ms, source)

    def forget_older(self, time_ms: int) -> None:
        """Forget the actors no entry at ``time_ms`` or older can repeat."""
        actors = self._actors
        if any(occurrences.expired(time_ms) for occurrences in actors.values()):
            self._actors = {
                actor: occurrences
                for actor, occurrences in actors.items()
                if not occurrences.expired(time_ms)
            }
