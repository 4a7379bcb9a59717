"""Hand a collection over newest first while it is being read.

``OrderedCollector`` holds about a page per source, so a backlog of any size goes through in
flat memory; ``page`` normalises each page, ``order`` gives the order it hands entries over in.
"""

from __future__ import annotations

from bisect import bisect_left
from math import inf
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.models import LogEntry, SkippedRows, Source

from .coerce import _SKIP
from .order import _time_ms, sort_newest_first
from .pace import gc_paused
from .page import _NORMALIZERS, _normalize_into

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def _age(entry: LogEntry) -> int:
    """Sort key that makes a list held newest first ascending, for ``bisect``."""
    return -entry.time_ms


class _Input:
    """What an ``OrderedCollector`` holds for one source (or for the extra rows)."""

    __slots__ = (
        "counts",
        "current",
        "discarded",
        "emitted",
        "finished",
        "frontier",
        "oldest",
        "page",
        "pending",
        "previous",
    )

    def __init__(self) -> None:
        self.pending: list[LogEntry] = []
        """Entries not handed over yet, newest first by time (ties in any order)."""
        self.page: list[LogEntry] = []
        """Entries of the page being read, in the gateway's order."""
        self.oldest: float = inf
        """The oldest time of any usable row of the page being read."""
        self.frontier: float = inf
        """No later page of this source holds a newer time (infinite before its first page)."""
        self.current: dict[str, int | None] = {}
        """Ids of the page being read (None: outside the window)."""
        self.previous: dict[str, int | None] = {}
        """Ids of the page before it."""
        self.counts = [0, 0]
        self.emitted = 0
        self.finished = False
        self.discarded = False


class OrderedCollector:
    """Normalise one collection page by page and hand it over newest first, holding little.

    Every source's pages come newest first, so once each unfinished source has said how far
    back its latest page reaches (its *frontier*), whatever is newer than all frontiers can no
    longer be preceded by anything: ``ready()`` hands it over newest first across all sources,
    each millisecond in collection order ``(source, id)`` (``sort_newest_first``). A source
    that has not delivered a page yet has an infinite frontier (it holds everything back); a
    finished source has none. An entry whose time equals a frontier waits, as a later page may
    hold the same millisecond.
    Reading next the source that ``next_source()`` names (the newest frontier) keeps the
    frontiers close together, so about one page per source is held at a time, whatever the
    size of the backlog.

    Repeats: ids are unique only within a source, and pages that overlap repeat rows at their
    boundary (offset paging while new rows arrive shifts the rows down by as many as arrived).
    Only the ids of the page being read and of the page before it are remembered, with a
    fingerprint of their rows, which is enough: for a row to come again after the page after
    its own, more new rows than a page holds must have arrived between two requests of that
    source. A repeated id with other content is counted as conflicting, the first row is kept.

    Out of order: a gateway that breaks its newest-first promise by more than what is held may
    deliver an entry newer than one already handed over. It is neither lost nor a failure: it is
    handed over with the next ``ready()`` and counted in ``out_of_order``, and whoever consumes
    the stream (the analysis) treats it as seen at that position. A frontier only ever moves
    back (a page that reaches less far than an earlier one does not move it), so what was safe
    stays safe.

    Extra rows (stream-only rows the caller kept) are one more input, complete from the start:
    each is normalised on its own, without window or repeat check.
    """

    __slots__ = (
        "_extra",
        "_inputs",
        "_last",
        "_since_ms",
        "_until_ms",
        "emitted",
        "out_of_order",
        "peak_held",
        "peak_remembered",
    )

    def __init__(
        self,
        sources: Iterable[Source],
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
        rows: Iterable[tuple[Source, Mapping[str, Any]]] = (),
    ) -> None:
        """Collect ``sources`` (read in this order while frontiers tie) inside the window.

        Both ends of the window are inclusive, open when None. ``rows`` are the extra rows.
        """
        self._since_ms: float = -inf if since_ms is None else since_ms
        self._until_ms: float = inf if until_ms is None else until_ms
        self._inputs: dict[Source, _Input] = {source: _Input() for source in sources}
        self._extra = _Input()
        self._extra.finished = True
        self._last: tuple[int, Source, str] | None = None
        self.out_of_order = 0
        """Entries handed over after an entry they precede (the gateway broke its order)."""
        self.emitted = 0
        """Entries handed over so far."""
        self.peak_held = 0
        """The most entries held at once (see ``held``)."""
        self.peak_remembered = 0
        """The most ids remembered at once (see ``remembered``)."""
        self.preload(rows)

    # --- reading ---------------------------------------------------------------------------

    def _input(self, source: Source) -> _Input:
        held = self._inputs.get(source)
        if held is None or held.finished:
            msg = f"{source} is not being collected"
            raise ValueError(msg)
        return held

    def add(self, items: Iterable[Mapping[str, Any]], source: Source) -> int:
        """Normalise rows of the page of ``source`` being read; return the entries kept.

        A page may be given in several parts; ``end_page`` closes it. The cyclic garbage
        collector is paused meanwhile (``gc_paused``).
        """
        held = self._input(source)
        page = held.page
        before = len(page)
        with gc_paused():
            oldest = _normalize_into(
                items,
                source,
                held.current,
                page,
                self._since_ms,
                self._until_ms,
                held.counts,
                held.previous,
            )
        held.oldest = min(held.oldest, oldest)
        self.peak_remembered = max(self.peak_remembered, self.remembered)
        return len(page) - before

    def end_page(self, source: Source) -> None:
        """Close the page of ``source`` being read: its entries join the ones held."""
        held = self._input(source)
        self._take(held)
        held.frontier = min(held.frontier, held.oldest)
        held.oldest = inf
        held.previous = held.current
        held.current = {}

    def add_page(self, items: Iterable[Mapping[str, Any]], source: Source) -> int:
        """Normalise a whole page of ``source`` and close it; return the entries kept."""
        kept = self.add(items, source)
        self.end_page(source)
        return kept

    def preload(self, rows: Iterable[tuple[Source, Mapping[str, Any]]]) -> None:
        """Add extra rows, each normalised on its own (unusable ones are dropped)."""
        extra = self._extra
        append = extra.page.append
        with gc_paused():
            for source, row in rows:
                try:
                    entry = _NORMALIZERS[source](row, source)
                except _SKIP:
                    continue
                if entry is not None:
                    append(entry)
        self._take(extra)

    def _take(self, held: _Input) -> None:
        """Move the entries of ``held``'s page into its pending entries, newest first."""
        page = held.page
        if not page:
            return
        held.page = []
        page.sort(key=_time_ms, reverse=True)
        last = self._last
        if last is not None and page[0].time_ms >= -last[0]:
            for entry in page:
                if entry.time_ms < -last[0]:
                    break
                if (-entry.time_ms, entry.source, entry.id) < last:
                    self.out_of_order += 1
        pending = held.pending
        if pending and pending[-1].time_ms < page[0].time_ms:
            pending += page
            pending.sort(key=_time_ms, reverse=True)
        else:
            pending += page
        self.peak_held = max(self.peak_held, self.held)

    def next_source(self) -> Source | None:
        """Return the unfinished source to read next (the newest frontier), None when done."""
        chosen: Source | None = None
        newest = -inf
        for source, held in self._inputs.items():
            if not held.finished and (chosen is None or held.frontier > newest):
                chosen, newest = source, held.frontier
        return chosen

    def finish(self, source: Source) -> None:
        """Mark ``source`` as read to its end; it holds nothing back any more."""
        self._close(self._input(source))

    def _close(self, held: _Input) -> None:
        self._take(held)
        held.finished = True
        held.current = {}
        held.previous = {}

    def discard(self, source: Source) -> None:
        """Drop everything of ``source`` not handed over yet (found unsupported part-way)."""
        held = self._inputs.get(source)
        if held is None:
            return
        held.pending = []
        held.page = []
        held.current = {}
        held.previous = {}
        held.counts = [0, 0]
        held.finished = True
        held.discarded = True

    # --- handing over ----------------------------------------------------------------------

    def ready(self) -> list[LogEntry]:
        """Pop every entry no unfinished source can still precede, newest first."""
        threshold = max(
            (held.frontier for held in self._inputs.values() if not held.finished), default=-inf
        )
        batch: list[LogEntry] = []
        for held in self._all():
            pending = held.pending
            if not pending:
                continue
            count = (
                len(pending) if threshold == -inf else bisect_left(pending, -threshold, key=_age)
            )
            if count:
                batch += pending[:count]
                del pending[:count]
                held.emitted += count
        if not batch:
            return batch
        sort_newest_first(batch)
        oldest = batch[-1]
        key = (-oldest.time_ms, oldest.source, oldest.id)  # the order handed over in
        if self._last is None or key > self._last:
            self._last = key
        self.emitted += len(batch)
        return batch

    def remaining(self) -> list[LogEntry]:
        """Finish every source and pop everything still held, newest first."""
        for held in self._inputs.values():
            if not held.finished:
                self._close(held)
        return self.ready()

    # --- figures ---------------------------------------------------------------------------

    @property
    def held(self) -> int:
        """Entries held now: waiting to be handed over, or in a page being read."""
        return sum(len(held.pending) + len(held.page) for held in self._all())

    @property
    def remembered(self) -> int:
        """Ids remembered now to recognise repeats (two pages per source at most)."""
        return sum(len(held.current) + len(held.previous) for held in self._inputs.values())

    def _all(self) -> tuple[_Input, ...]:
        return (*self._inputs.values(), self._extra)

    def skipped(self) -> dict[Source, SkippedRows]:
        """Per source with any, the rows that could not be used (discarded sources left out)."""
        return {
            source: SkippedRows(unreadable=unreadable, conflicting=conflicting)
            for source, held in sorted(self._inputs.items())
            for unreadable, conflicting in (held.counts,)
            if unreadable or conflicting
        }

    @property
    def withdrawn(self) -> frozenset[Source]:
        """Sources discarded after some of their entries had been handed over."""
        return frozenset(
            source for source, held in self._inputs.items() if held.discarded and held.emitted
        )
