"""``Period`` and ``Advance``: a period analysed batch by batch equals the whole-list path.

The whole-list path selects a collection's new entries against the checkpoint, analyses them
with ``engine.analyze`` and advances the checkpoint with all of them. ``Period`` does the same
from batches handed over newest first (``sort_newest_first``), keeping no entry list, and
``Advance`` gathers the checkpoint's advance remembering only each source's newest minutes.

Entries are simulator rows normalised per source, given ids unique per source and times drawn
around the checkpoint's marks: on them, one overlap before them, one millisecond either side,
and often the very same millisecond for several entries and sources.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.models import LogEntry, Source
from custom_components.unifi_scanner.scanner.normalize import (
    normalize_event,
    normalize_ips,
    normalize_system_log,
    sort_newest_first,
)
from custom_components.unifi_scanner.scanner.period import Period
from custom_components.unifi_scanner.scanner.watermark import Checkpoint, SourceMark
from tests.simulator import generate_events, generate_ips_events, generate_system_log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

CATALOGUE = load_catalogue()
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
NOW = datetime(2025, 1, 2, tzinfo=UTC)
END = datetime.fromtimestamp((BASE_MS + 3_600_000) / 1000, UTC)
SOURCES = tuple(Source)
PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

type Reported = tuple[Source, str, int]


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _normalised(
    rows: Iterable[dict[str, Any]], normalise: Callable[[dict[str, Any]], LogEntry | None]
) -> tuple[LogEntry, ...]:
    entries = [normalise(row) for row in rows]
    return tuple(entry for entry in entries if entry is not None)


def _as_legacy(source: Source) -> Callable[[dict[str, Any]], LogEntry | None]:
    return lambda row: normalize_event(row, source)


# One seed for all: the simulated clients and devices are the same in each. The legacy pools
# hold the same rows index for index, so one occurrence reported by several sources collides.
_EVENT_ROWS = generate_events(24, seed=5, end=END, span=timedelta(hours=1))
_LOG_ROWS = generate_system_log(24, seed=5, end=END, span=timedelta(hours=1))
_IPS_ROWS = generate_ips_events(24, seed=5, end=END, span=timedelta(hours=1))
POOLS: dict[Source, tuple[LogEntry, ...]] = {
    source: _normalised(_EVENT_ROWS, _as_legacy(source))
    for source in (Source.EVENT, Source.ALARM, Source.LIVE, Source.LIVE_ALERT)
}
POOLS[Source.SYSTEM_LOG] = _normalised(_LOG_ROWS, normalize_system_log)
POOLS[Source.IPS] = _normalised(_IPS_ROWS, normalize_ips)
assert all(len(pool) >= 12 for pool in POOLS.values())


def ident(source: Source, number: int) -> str:
    return f"{source}-{number}"


def entry(source: Source, row: int, number: int, time_ms: int) -> LogEntry:
    """Return the ``row``-th pooled entry of ``source`` as id ``number`` at ``time_ms``."""
    return replace(POOLS[source][row], id=ident(source, number), time_ms=time_ms)


def reported(entries: Iterable[LogEntry]) -> list[Reported]:
    return [(item.source, item.id, item.time_ms) for item in entries]


def whole_list(checkpoint: Checkpoint, entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Select as the whole-list path does: the entries the checkpoint has not covered."""
    return [item for item in entries if checkpoint.is_new(item.source, item.id, item.time_ms)]


def within_overlap(items: Iterable[Reported], overlap_ms: int) -> int:
    """How many of ``items`` are within one overlap of their source's newest time."""
    listed = list(items)
    newest: dict[Source, int] = {}
    for source, _id, time_ms in listed:
        newest[source] = max(newest.get(source, time_ms), time_ms)
    return sum(time_ms >= newest[source] - overlap_ms for source, _id, time_ms in listed)


# --- strategies ---------------------------------------------------------------------------------

overlaps = st.sampled_from([0, 1, 1_000, 5_000, 60_000, 300_000])


def jitters(overlap_ms: int) -> st.SearchStrategy[int]:
    """Offsets around a mark: on it most often, one overlap before it, a millisecond either side."""
    edges = [0, 0, 0, 1, -1, -overlap_ms, -overlap_ms - 1, -overlap_ms + 1, overlap_ms]
    return st.sampled_from(edges) | st.integers(-2 * overlap_ms - 10, 2 * overlap_ms + 10)


@st.composite
def periods(draw: st.DrawFn) -> tuple[Checkpoint, list[LogEntry]]:
    """Draw a checkpoint and a collection of entries around its marks, newest first."""
    overlap_ms = draw(overlaps)
    anchors = [
        BASE_MS + offset
        for offset in draw(st.lists(st.integers(0, 20 * 60_000), min_size=1, max_size=4))
    ]
    marks: dict[Source, SourceMark] = {}
    for source in draw(st.lists(st.sampled_from(SOURCES), unique=True, max_size=len(SOURCES))):
        numbers = draw(st.frozensets(st.integers(0, 40), max_size=10))
        marks[source] = SourceMark(
            time_ms=draw(st.sampled_from(anchors)) + draw(jitters(overlap_ms)),
            ids=frozenset(ident(source, number) for number in numbers),
        )
    checkpoint = Checkpoint(
        last_success=draw(st.none() | st.just(NOW - timedelta(hours=1))),
        marks=marks,
        overlap=timedelta(milliseconds=overlap_ms),
    )
    times = anchors + [mark.time_ms for mark in marks.values()]
    entries: list[LogEntry] = []
    for source in draw(st.lists(st.sampled_from(SOURCES), unique=True, max_size=len(SOURCES))):
        for number in draw(st.sets(st.integers(0, 40), max_size=14)):  # ids unique per source
            time_ms = draw(st.sampled_from(times)) + draw(jitters(overlap_ms))
            # A small range of rows, so one row often comes from several sources.
            entries.append(entry(source, draw(st.integers(0, 11)), number, time_ms))
    sort_newest_first(entries)
    return checkpoint, entries


def batches_of(entries: list[LogEntry], cuts: list[int]) -> list[list[LogEntry]]:
    """``entries`` cut at ``cuts`` (positions, any order, repeats give empty batches)."""
    bounds = [0, *sorted(min(cut, len(entries)) for cut in cuts), len(entries)]
    return [entries[start:end] for start, end in pairwise(bounds)]


# --- Period ---------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(periods(), st.lists(st.integers(0, 100), max_size=8), st.sampled_from([False, True]))
def test_a_period_added_in_batches_equals_the_whole_list_path(
    drawn: tuple[Checkpoint, list[LogEntry]], cuts: list[int], disable: bool
) -> None:
    checkpoint, entries = drawn
    disabled = (
        frozenset({"client_connected", "client_roamed", "ips_alert"}) if disable else frozenset()
    )
    period = Period(checkpoint, catalogue=CATALOGUE, disabled=disabled)
    for batch in batches_of(entries, cuts):
        period.add(batch)

    new = whole_list(checkpoint, entries)
    assert period.new_entries == len(new)
    expected = analyze(new, catalogue=CATALOGUE, now=NOW, disabled=disabled)
    assert period.analysis(now=NOW) == expected
    delivered = NOW + timedelta(minutes=3)
    assert period.advanced(delivered) == checkpoint.advance(reported(new)).committed(delivered)
    assert period.advanced(delivered).last_success == delivered


def test_a_period_leaves_out_what_the_checkpoint_covered() -> None:
    mark = BASE_MS + 600_000
    checkpoint = Checkpoint(
        marks={Source.EVENT: SourceMark(time_ms=mark, ids=frozenset({ident(Source.EVENT, 1)}))},
        overlap=timedelta(minutes=5),
    )
    entries = [
        entry(Source.EVENT, 0, 0, mark + 1),  # newer than the mark: new
        entry(Source.EVENT, 1, 1, mark),  # reported with the mark
        entry(Source.EVENT, 2, 2, mark),  # the same millisecond, not reported: new
        entry(Source.EVENT, 3, 3, mark - 300_000),  # at the overlap's start, not reported: new
        entry(Source.EVENT, 4, 4, mark - 300_001),  # before the overlap: covered
        entry(Source.IPS, 0, 1, mark - 3_600_000),  # another source, no mark: new
    ]
    sort_newest_first(entries)
    period = Period(checkpoint, catalogue=CATALOGUE)
    period.add(entries[:2])
    period.add([])
    period.add(entries[2:])
    assert period.new_entries == 4
    assert period.analysis(now=NOW).entry_count == 4
    advanced = period.advanced(NOW)
    assert advanced.last_success == NOW
    assert advanced.marks[Source.EVENT] == SourceMark(
        time_ms=mark + 1,
        ids=frozenset(ident(Source.EVENT, n) for n in (0, 1, 2)),  # n=3 is one overlap back
    )
    # A quiet source is moved up to one overlap behind the newest mark; its entry is older.
    assert advanced.marks[Source.IPS] == SourceMark(time_ms=mark + 1 - 300_000, ids=frozenset())


# --- Advance ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(periods(), st.randoms(use_true_random=False))
def test_advance_in_any_order_equals_advance(
    drawn: tuple[Checkpoint, list[LogEntry]], rnd: random.Random
) -> None:
    checkpoint, entries = drawn
    items = reported(entries)
    overlap_ms = int(checkpoint.overlap.total_seconds() * 1000)
    expected = checkpoint.advance(items)
    for order in (items, items[::-1], rnd.sample(items, len(items))):
        gathered = checkpoint.advancer()
        for source, entry_id, time_ms in order:
            gathered.add(source, entry_id, time_ms)
        assert gathered.result() == expected
        assert len(gathered) == within_overlap(items, overlap_ms)


def test_advance_remembers_only_the_newest_overlap_of_each_source() -> None:
    """A day of 40 000 entries, five minutes of overlap: a few hundred ids at most."""
    rnd = random.Random(11)  # noqa: S311 - reproducible test data
    overlap_ms = 300_000
    checkpoint = Checkpoint(
        marks={Source.EVENT: SourceMark(time_ms=BASE_MS, ids=frozenset({"old"}))},
        overlap=timedelta(milliseconds=overlap_ms),
    )
    sources = (Source.SYSTEM_LOG, Source.EVENT, Source.ALARM, Source.IPS)
    items: list[Reported] = [
        (source, f"{source}-{n}", BASE_MS + rnd.randrange(86_400_000))
        for source in sources
        for n in range(10_000)
    ]
    bound = within_overlap(items, overlap_ms)
    assert 0 < bound < 300  # about 35 per source in five minutes of a day
    expected = checkpoint.advance(items)

    newest_first = sorted(items, key=lambda item: -item[2])
    gathered = checkpoint.advancer()
    most = 0
    for source, entry_id, time_ms in newest_first:
        gathered.add(source, entry_id, time_ms)
        most = max(most, len(gathered))
    assert most == len(gathered) == bound
    assert gathered.result() == expected

    # In any order: at each step exactly the entries within one overlap of the newest so far.
    shuffled = rnd.sample(items, len(items))
    gathered = checkpoint.advancer()
    seen: dict[Source, list[int]] = {source: [] for source in sources}
    for step, (source, entry_id, time_ms) in enumerate(shuffled):
        gathered.add(source, entry_id, time_ms)
        insort(seen[source], time_ms)
        if step % 97 == 0 or step == len(shuffled) - 1:
            remembered = sum(
                len(times) - bisect_left(times, times[-1] - overlap_ms)
                for times in seen.values()
                if times
            )
            assert len(gathered) == remembered
    assert len(gathered) == bound
    assert gathered.result() == expected
