"""Normalise one page of one source: dispatch by source, drop repeats, keep the window."""

from __future__ import annotations

from math import inf
from typing import TYPE_CHECKING, Any, Final

from custom_components.unifi_scanner.scanner.models import LogEntry, Source

from .coerce import _SKIP
from .legacy import _legacy
from .system_log import _system_log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping


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


_NO_IDS: Final[Mapping[str, int | None]] = {}


def _normalize_into(
    items: Iterable[Mapping[str, Any]],
    source: Source,
    seen: dict[str, int | None],
    out: list[LogEntry],
    since_ms: float,
    until_ms: float,
    counts: list[int],
    previous: Mapping[str, int | None] = _NO_IDS,
) -> float:
    """Append the usable, first-seen items of one source inside the window to ``out``.

    ``counts`` adds up the rows skipped as [unreadable, conflicting]. ``seen`` maps each id to
    a fingerprint of its first row's time, key and message (None outside the window), so a
    repeated id costs one comparison and no copy: pages that overlap repeat rows unchanged, and
    only a changed row is a conflict. Remembering a number rather than the entry lets every
    entry go as soon as it was analysed. ``previous`` holds ids remembered from before ``seen``
    (the previous page); an id found there is a repeat too, and is remembered in ``seen``
    again. Returns the oldest time of every usable row, repeats and rows outside the window
    included (infinity when there was none).
    """
    normalize = _NORMALIZERS[source]
    get = seen.get
    append = out.append
    oldest = inf
    for item in items:
        try:
            entry = normalize(item, source)
        except _SKIP:
            entry = None
        if entry is None:
            counts[0] += 1
            continue
        entry_id = entry.id
        time_ms = entry.time_ms
        if time_ms < oldest:  # noqa: PLR1730 - a call to min() per row costs more
            oldest = time_ms
        if entry_id in seen:
            first = get(entry_id)
        elif entry_id in previous:
            first = seen[entry_id] = previous[entry_id]
        else:
            if since_ms <= time_ms <= until_ms:
                seen[entry_id] = hash((time_ms, entry.key, entry.message))
                append(entry)
            else:
                seen[entry_id] = None
            continue
        if first is not None and first != hash((time_ms, entry.key, entry.message)):
            counts[1] += 1
    return oldest


def normalize_entries(items: Iterable[Mapping[str, Any]], source: Source) -> list[LogEntry]:
    """Normalise a batch from one source, dropping unusable items and repeated ids."""
    entries: list[LogEntry] = []
    _normalize_into(items, source, {}, entries, -inf, inf, [0, 0])
    return entries
