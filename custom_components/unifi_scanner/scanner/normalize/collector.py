"""Normalise whole pages: dispatch by source, drop repeats, keep a window, sort."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from itertools import compress, islice
from math import inf
from operator import attrgetter, eq
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.models import LogEntry, SkippedRows, Source

from .coerce import _SKIP
from .legacy import _legacy
from .system_log import _system_log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence


def _ips(item: Mapping[str, Any], _source: Source) -> LogEntry | None:
    return _legacy(item, Source.IPS)


def _system_log_any(item: Mapping[str, Any], _source: Source) -> LogEntry | None:
    return _system_log(item)


_NORMALIZERS: dict[Source, Callable[[Mapping[str, Any], Source], LogEntry | None]] = {
    Source.SYSTEM_LOG: _system_log_any,
    Source.EVENT: _legacy,
    Source.ALARM: _legacy,
    Source.IPS: _ips,
    Source.LIVE: _legacy,
    Source.LIVE_ALERT: _legacy,
}


def _normalize_into(
    items: Iterable[Mapping[str, Any]],
    source: Source,
    seen: dict[str, LogEntry | None],
    out: list[LogEntry],
    since_ms: float,
    until_ms: float,
    counts: list[int],
) -> None:
    """Append the usable, first-seen items of one source inside the window to ``out``.

    ``counts`` adds up the rows skipped as [unreadable, conflicting]. ``seen`` maps each id to
    its kept entry (None outside the window), so a repeated id costs one comparison and no
    copy: pages that overlap repeat rows unchanged, and only a changed row is a conflict.
    """
    normalize = _NORMALIZERS[source]
    get = seen.get
    append = out.append
    for item in items:
        try:
            entry = normalize(item, source)
        except _SKIP:
            entry = None
        if entry is None:
            counts[0] += 1
            continue
        entry_id = entry.id
        if entry_id in seen:
            first = get(entry_id)
            if first is not None and (
                first.time_ms != entry.time_ms
                or first.key != entry.key
                or first.message != entry.message
            ):
                counts[1] += 1
            continue
        if since_ms <= entry.time_ms <= until_ms:
            seen[entry_id] = entry
            append(entry)
        else:
            seen[entry_id] = None


def normalize_entries(items: Iterable[Mapping[str, Any]], source: Source) -> list[LogEntry]:
    """Normalise a batch from one source, dropping unusable items and repeated ids."""
    entries: list[LogEntry] = []
    _normalize_into(items, source, {}, entries, -inf, inf, [0, 0])
    return entries


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around one bounded, synchronous batch.

    Decoding and normalising a page allocates thousands of dicts and entries, and the collector
    would traverse them again and again while they are being built (at 100 000 events that was
    a fifth of the parse time, and Home Assistant's far larger heap makes each full collection
    dearer). Callers wrap one page at a time, never an ``await``: the collector runs normally
    between pages and catches up on the page at its next collection. A collector that was
    already disabled (by the application) stays disabled.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_time_ms = attrgetter("time_ms")
_tie_key = attrgetter("source", "id")


def sort_entries(entries: list[LogEntry]) -> None:
    """Sort in place by (time, source, id), the order ``FetchResult.entries`` promises.

    Sorting on the time alone and then ordering the short runs of equal times by source and id
    gives the same order as the three-part key for a fraction of the cost; the runs are found
    without a Python loop over every entry.
    """
    entries.sort(key=_time_ms)
    times = list(map(_time_ms, entries))
    ties = list(compress(range(1, len(times)), map(eq, times, islice(times, 1, None))))
    if not ties:
        return
    start, last = ties[0] - 1, ties[0]
    for index in islice(ties, 1, None):
        if index != last + 1:
            entries[start : last + 1] = sorted(entries[start : last + 1], key=_tie_key)
            start = index - 1
        last = index
    entries[start : last + 1] = sorted(entries[start : last + 1], key=_tie_key)


def with_rows(
    entries: Sequence[LogEntry], rows: Iterable[tuple[Source, Mapping[str, Any]]]
) -> tuple[LogEntry, ...]:
    """Return ``entries`` with kept raw rows (stream-only ones) normalised in, in entry order."""
    merged = list(entries)
    for source, row in rows:
        merged += normalize_entries((row,), source)
    sort_entries(merged)
    return tuple(merged)


class EntryCollector:
    """Normalise one collection page by page, keeping only the entries.

    The client hands over each page as it arrives and drops it afterwards, so memory holds one
    page of gateway dicts plus compact entries, never the whole backlog. Ids are unique only
    within a source (pages may overlap), so each source has its own set of seen ids; entries
    outside ``[since_ms, until_ms]`` are dropped. Rows that cannot be used are counted.
    """

    __slots__ = ("_entries", "_seen", "_since_ms", "_skipped", "_until_ms")

    def __init__(self, *, since_ms: int | None = None, until_ms: int | None = None) -> None:
        """Collect entries inside the window (both ends inclusive, open when None)."""
        self._since_ms: float = -inf if since_ms is None else since_ms
        self._until_ms: float = inf if until_ms is None else until_ms
        self._entries: dict[Source, list[LogEntry]] = {}
        self._seen: dict[Source, dict[str, LogEntry | None]] = {}
        self._skipped: dict[Source, list[int]] = {}

    def add(self, items: Iterable[Mapping[str, Any]], source: Source) -> int:
        """Normalise one page of ``source`` with the collector paused; return entries kept."""
        out = self._entries.setdefault(source, [])
        before = len(out)
        with gc_paused():
            _normalize_into(
                items,
                source,
                self._seen.setdefault(source, {}),
                out,
                self._since_ms,
                self._until_ms,
                self._skipped.setdefault(source, [0, 0]),
            )
        return len(out) - before

    def discard(self, source: Source) -> None:
        """Forget everything collected from ``source`` (it failed part-way)."""
        self._entries.pop(source, None)
        self._seen.pop(source, None)
        self._skipped.pop(source, None)

    def skipped(self) -> dict[Source, SkippedRows]:
        """Per source with any, the rows that could not be used."""
        return {
            source: SkippedRows(unreadable=unreadable, conflicting=conflicting)
            for source, (unreadable, conflicting) in sorted(self._skipped.items())
            if unreadable or conflicting
        }

    def __len__(self) -> int:
        """Entries kept so far."""
        return sum(map(len, self._entries.values()))

    def entries(self) -> list[LogEntry]:
        """Every kept entry, sorted by (time, source, id)."""
        merged: list[LogEntry] = []
        for source in sorted(self._entries):
            merged += self._entries[source]
        sort_entries(merged)
        return merged
