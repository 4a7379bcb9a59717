"""The checkpoint's pure half: nothing lost, nothing repeated at the boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.unifi_scanner.scanner.models import Source
from custom_components.unifi_scanner.scanner.watermark import Checkpoint, SourceMark

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_first_run_looks_back_the_configured_hours() -> None:
    since = Checkpoint().since(now=NOW, lookback=24 * HOUR, max_lookback=7 * 24 * HOUR)
    assert since == NOW - 24 * HOUR


def test_lookback_is_capped_after_a_long_outage() -> None:
    old = Checkpoint(
        marks={Source.EVENT: SourceMark(time_ms=ms(NOW - 30 * 24 * HOUR), ids=frozenset())}
    )
    assert old.since(now=NOW, lookback=HOUR, max_lookback=7 * 24 * HOUR) == NOW - 7 * 24 * HOUR
    first = Checkpoint()
    assert (
        first.since(now=NOW, lookback=200 * HOUR, max_lookback=7 * 24 * HOUR) == NOW - 7 * 24 * HOUR
    )


def test_since_starts_at_the_oldest_mark_minus_overlap() -> None:
    checkpoint = Checkpoint(
        marks={
            Source.EVENT: SourceMark(time_ms=ms(NOW - HOUR), ids=frozenset()),
            Source.IPS: SourceMark(time_ms=ms(NOW - 2 * HOUR), ids=frozenset()),
        }
    )
    since = checkpoint.since(now=NOW, lookback=HOUR, max_lookback=24 * HOUR)
    assert since == NOW - 2 * HOUR - timedelta(minutes=5)


def test_same_millisecond_entries_at_the_boundary_are_neither_lost_nor_repeated() -> None:
    t = ms(NOW)
    first = Checkpoint().advance([(Source.EVENT, "a", t), (Source.EVENT, "b", t)])
    assert not first.is_new(Source.EVENT, "a", t)
    assert not first.is_new(Source.EVENT, "b", t)
    # A third event in the same millisecond arrived after the scan: it is new.
    assert first.is_new(Source.EVENT, "c", t)
    second = first.advance([(Source.EVENT, "c", t)])
    assert {"a", "b", "c"} <= second.marks[Source.EVENT].ids
    assert not second.is_new(Source.EVENT, "c", t)


def test_late_arrivals_inside_the_overlap_are_reported_once() -> None:
    t = ms(NOW)
    checkpoint = Checkpoint().advance([(Source.EVENT, "a", t)])
    late = t - 60_000  # stamped a minute before the mark, seen only now
    assert checkpoint.is_new(Source.EVENT, "late", late)
    after = checkpoint.advance([(Source.EVENT, "late", late)])
    assert after.marks[Source.EVENT].time_ms == t
    assert not after.is_new(Source.EVENT, "late", late)
    assert not after.is_new(Source.EVENT, "a", t)


def test_entries_older_than_the_overlap_window_are_already_covered() -> None:
    checkpoint = Checkpoint().advance([(Source.EVENT, "a", ms(NOW))])
    assert not checkpoint.is_new(Source.EVENT, "ancient", ms(NOW - HOUR))


def test_sources_are_independent() -> None:
    checkpoint = Checkpoint().advance([(Source.EVENT, "x", ms(NOW))])
    assert checkpoint.is_new(Source.SYSTEM_LOG, "x", ms(NOW))
    assert checkpoint.is_new(Source.IPS, "y", ms(NOW - 30 * 24 * HOUR))


def test_a_quiet_source_follows_one_overlap_behind_the_newest_mark() -> None:
    overlap = timedelta(minutes=5)
    checkpoint = Checkpoint().advance(
        [(Source.EVENT, "a", ms(NOW)), (Source.IPS, "i", ms(NOW - HOUR))]
    )
    assert checkpoint.marks[Source.IPS].time_ms == ms(NOW - overlap)
    later = checkpoint.advance([(Source.EVENT, "b", ms(NOW + HOUR))])
    assert later.marks[Source.IPS].time_ms == ms(NOW + HOUR - overlap)
    assert later.marks[Source.EVENT].time_ms == ms(NOW + HOUR)
    # ids far behind the new mark are dropped, so the stored state stays small
    assert later.marks[Source.EVENT].ids == frozenset({"b"})
    assert later.marks[Source.IPS].ids == frozenset()
    # The next collection starts minutes, not days, before the newest mark ...
    since = later.since(now=NOW + HOUR, lookback=HOUR, max_lookback=7 * 24 * HOUR)
    assert since == NOW + HOUR - 2 * overlap
    # ... and an IPS row stamped inside that window is still new.
    assert later.is_new(Source.IPS, "late", ms(NOW + HOUR - 2 * overlap))


def test_a_reset_source_without_entries_stops_dragging_the_start_back() -> None:
    reset = Checkpoint(
        marks=dict.fromkeys(Source, SourceMark(time_ms=ms(NOW - 72 * HOUR), ids=frozenset()))
    )
    after = reset.advance([(Source.SYSTEM_LOG, "x", ms(NOW))])
    since = after.since(now=NOW, lookback=HOUR, max_lookback=7 * 24 * HOUR)
    assert since == NOW - timedelta(minutes=10)


def test_round_trip_through_storage() -> None:
    checkpoint = (
        Checkpoint()
        .advance([(Source.EVENT, "a", ms(NOW)), (Source.SYSTEM_LOG, "v2", ms(NOW))])
        .committed(NOW)
    )
    restored = Checkpoint.from_dict(checkpoint.to_dict())
    assert restored == checkpoint
    assert restored.to_dict()["last_success"] == "2026-11-28T12:00:00+00:00"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "last_success": "2026-11-28T12:00:00",
            "marks": {},
        },  # no time zone: the predecessor's bug
        {"last_success": "yesterday", "marks": {}},
        {"last_success": None, "marks": {"nope": {"time_ms": 1, "ids": []}}},
        {"last_success": None, "marks": {"event": {"time_ms": "x", "ids": []}}},
        {"last_success": None, "marks": {"event": {"ids": []}}},
        {"last_success": None, "marks": []},
        {"last_success": None, "marks": {}, "overlap_s": -1},
    ],
)
def test_malformed_state_is_rejected_not_half_loaded(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        Checkpoint.from_dict(data)
