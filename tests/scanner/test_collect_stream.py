"""A collection as a stream: batches newest first across sources, holding a few pages at most.

The pure tests drive ``OrderedCollector`` with hand-built pages; the others read the simulator
over loopback through ``UnifiClient.collect``. Every bound asserted is a count of entries, ids,
requests or closed generators, never a time.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner import paging
from custom_components.unifi_scanner.scanner.models import LogEntry, SkippedRows, Source
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from tests.scanner.live_support import make_client, modes, with_rows
from tests.simulator import GatewaySimulator, Mode
from tests.simulator import server as simulator_server

if TYPE_CHECKING:
    from collections.abc import (
        AsyncIterator,
        Callable,
        Iterable,
        Mapping,
        Sequence,
    )
    from types import AsyncGeneratorType

    from custom_components.unifi_scanner.scanner.client import Collection, UnifiClient

pytestmark = pytest.mark.usefixtures("socket_enabled")

BASE_MS = 1_760_000_000_000
LOGGED = (Source.SYSTEM_LOG, Source.EVENT, Source.ALARM, Source.IPS)
OS_EVENT_PATH = "/proxy/network/api/s/default/stat/event"

type Key = tuple[int, Source, str]
type Page = list[dict[str, Any]]


def key(entry: LogEntry) -> Key:
    return (entry.time_ms, entry.source, entry.id)


def keys(entries: Sequence[LogEntry]) -> list[Key]:
    return [key(entry) for entry in entries]


def handed_over_order(item: Key) -> tuple[int, Source, str]:
    """Newest first, each millisecond in collection order: the order batches come in."""
    return (-item[0], item[1], item[2])


def newest_first(items: Iterable[Key]) -> list[Key]:
    return sorted(items, key=handed_over_order)


def entries_newest_first(entries: Iterable[LogEntry]) -> list[LogEntry]:
    """``entries`` in the order batches come in (stable: equal keys keep their order)."""
    return sorted(entries, key=lambda entry: handed_over_order(key(entry)))


def row(source: Source, entry_id: str, offset: int, message: str = "seen") -> dict[str, Any]:
    """Return a raw row of ``source`` at ``BASE_MS + offset``."""
    if source is Source.SYSTEM_LOG:
        return {
            "id": entry_id,
            "key": "CLIENT_CONNECTED_WIRELESS",
            "event": "CLIENT_CONNECTED",
            "timestamp": BASE_MS + offset,
            "message": message,
        }
    return {"_id": entry_id, "key": "EVT_LU_Connected", "time": BASE_MS + offset, "msg": message}


def row_key(source: Source, item: Mapping[str, Any]) -> Key:
    if source is Source.SYSTEM_LOG:
        return (item["timestamp"], source, item["id"])
    return (item["time"], source, item["_id"])


def drive(
    pages: Mapping[Source, Sequence[Page]],
    choose: Callable[[OrderedCollector, list[Source]], Source],
    **options: Any,
) -> tuple[list[list[LogEntry]], OrderedCollector]:
    """Feed ``pages`` in the order ``choose`` picks; return the batches handed over."""
    collector = OrderedCollector(pages, **options)
    queues = {source: deque(source_pages) for source, source_pages in pages.items()}
    batches: list[list[LogEntry]] = []
    while queues:
        source = choose(collector, list(queues))
        queue = queues[source]
        if queue:
            collector.add_page(queue.popleft(), source)
        else:
            collector.finish(source)
            del queues[source]
        if batch := collector.ready():
            batches.append(batch)
    if batch := collector.remaining():
        batches.append(batch)
    assert collector.held == 0
    assert collector.remembered == 0
    return batches, collector


def by_frontier(collector: OrderedCollector, _unfinished: list[Source]) -> Source:
    source = collector.next_source()
    assert source is not None
    return source


def flat(batches: list[list[LogEntry]]) -> list[LogEntry]:
    return [entry for batch in batches for entry in batch]


# --- the collector on its own -------------------------------------------------------------------


@st.composite
def gateway_pages(draw: st.DrawFn) -> tuple[dict[Source, list[Page]], set[Key]]:
    """Per source: rows newest first cut into pages that may repeat the previous page's end.

    Alarms are one unsorted page, as ``list/alarm`` answers. Times are drawn from a narrow
    range so that the same millisecond often occurs in several pages and sources.
    """
    pages: dict[Source, list[Page]] = {}
    expected: set[Key] = set()
    for source in draw(st.permutations(LOGGED)):
        offsets = draw(st.lists(st.integers(0, 30), max_size=25))
        rows = [row(source, f"{source}-{n}", offset) for n, offset in enumerate(offsets)]
        expected |= {row_key(source, item) for item in rows}
        if source is Source.ALARM:
            pages[source] = [draw(st.permutations(rows))] if rows else []
            continue
        rows.sort(key=lambda item: -row_key(source, item)[0])  # ties stay in drawn order
        source_pages: list[Page] = []
        start = 0
        while start < len(rows):
            size = draw(st.integers(1, 6))
            page = rows[start : start + size]
            if source_pages:  # offset paging while rows arrive: the previous page's end again
                previous = source_pages[-1]
                page = previous[len(previous) - draw(st.integers(0, len(previous))) :] + page
            source_pages.append(page)
            start += size
        pages[source] = source_pages
    return pages, expected


@settings(max_examples=300, deadline=None)
@given(gateway_pages(), st.randoms(use_true_random=False))
def test_any_interleaving_hands_over_the_sorted_deduplicated_set(
    drawn: tuple[dict[Source, list[Page]], set[Key]], rnd: random.Random
) -> None:
    pages, expected = drawn
    batches, collector = drive(pages, lambda _c, unfinished: rnd.choice(unfinished))
    out = keys(flat(batches))
    assert out == newest_first(expected)
    assert all(batch for batch in batches)
    assert collector.out_of_order == 0
    assert collector.skipped() == {}
    assert collector.emitted == len(expected)


@settings(max_examples=200, deadline=None)
@given(gateway_pages())
def test_reading_by_frontier_hands_over_the_same(
    drawn: tuple[dict[Source, list[Page]], set[Key]],
) -> None:
    pages, expected = drawn
    batches, collector = drive(pages, by_frontier)
    assert keys(flat(batches)) == newest_first(expected)
    page_rows = sum(max(map(len, source_pages), default=0) for source_pages in pages.values())
    assert collector.peak_remembered <= 2 * page_rows


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(LOGGED), st.integers(0, 40)), max_size=60),
    st.randoms(use_true_random=False),
)
def test_rows_out_of_order_are_handed_over_and_counted(
    rows: list[tuple[Source, int]], rnd: random.Random
) -> None:
    """A gateway that ignores its order: nothing is lost, each late entry is counted once."""
    by_source: dict[Source, list[dict[str, Any]]] = {source: [] for source in LOGGED}
    for number, (source, offset) in enumerate(rows):
        by_source[source].append(row(source, f"{source}-{number}", offset))
    pages: dict[Source, list[Page]] = {}
    for source, items in by_source.items():
        rnd.shuffle(items)
        count = min(rnd.randint(0, 4), max(0, len(items) - 1))
        cuts = sorted(rnd.sample(range(1, len(items)), count)) if items else []
        bounds = [0, *cuts, len(items)]
        pages[source] = [items[a:b] for a, b in pairwise(bounds) if b > a]
    batches, collector = drive(pages, lambda _c, unfinished: rnd.choice(unfinished))
    out = keys(flat(batches))
    assert sorted(out) == sorted(
        row_key(s, item) for s, items in by_source.items() for item in items
    )
    for batch in batches:
        assert keys(batch) == newest_first(keys(batch))
    # Every late entry is newer than everything handed over before it, and only those are.
    late = 0
    oldest: tuple[int, Source, str] | None = None
    for entry_key in map(handed_over_order, out):
        if oldest is not None and entry_key < oldest:
            late += 1
        elif oldest is None or entry_key > oldest:
            oldest = entry_key
    assert late == collector.out_of_order


def test_an_entry_newer_than_what_was_handed_over_comes_next() -> None:
    collector = OrderedCollector([Source.EVENT, Source.IPS])
    collector.add_page([row(Source.EVENT, "e9", 9), row(Source.EVENT, "e5", 5)], Source.EVENT)
    collector.add_page([row(Source.IPS, "i8", 8), row(Source.IPS, "i2", 2)], Source.IPS)
    assert keys(collector.ready()) == [
        (BASE_MS + 9, Source.EVENT, "e9"),
        (BASE_MS + 8, Source.IPS, "i8"),
    ]
    # The gateway's next page of events holds a row newer than what was handed over. e8 has
    # the time of i8, and within a millisecond an event comes before an IPS alert: it is late
    # as well.
    collector.add_page(
        [row(Source.EVENT, "e4", 4), row(Source.EVENT, "late", 12), row(Source.EVENT, "e8", 8)],
        Source.EVENT,
    )
    assert collector.out_of_order == 2
    assert [entry.id for entry in collector.ready()] == ["late", "e8", "e5"]  # e4 waits
    # A page reaching no further back than what was handed over: its frontier does not move
    # forward, so all of it comes with the next batch. Its newer rows are late; e5b has the
    # time of e5, the last entry handed over, but comes after it in collection order: it is not.
    collector.add_page(
        [row(Source.EVENT, "l20", 20), row(Source.EVENT, "l15", 15), row(Source.EVENT, "e5b", 5)],
        Source.EVENT,
    )
    assert collector.out_of_order == 4
    assert [entry.id for entry in collector.ready()] == ["l20", "l15", "e5b"]
    assert [entry.id for entry in collector.remaining()] == ["e4", "i2"]
    assert collector.out_of_order == 4


def test_the_same_millisecond_as_a_frontier_waits() -> None:
    collector = OrderedCollector([Source.EVENT, Source.IPS])
    assert collector.next_source() is Source.EVENT  # nothing read yet: in the given order
    collector.add_page([row(Source.EVENT, "e10", 10), row(Source.EVENT, "e5", 5)], Source.EVENT)
    assert collector.ready() == []  # IPS has not said how far back it reaches
    assert collector.next_source() is Source.IPS
    collector.add_page([row(Source.IPS, "i5", 5)], Source.IPS)
    assert [entry.id for entry in collector.ready()] == ["e10"]
    assert collector.next_source() is Source.EVENT  # ties go to the first source
    collector.finish(Source.EVENT)
    assert collector.ready() == []  # IPS may still hold more rows of that millisecond
    collector.add_page([row(Source.IPS, "i5b", 5), row(Source.IPS, "i1", 1)], Source.IPS)
    assert keys(collector.ready()) == [  # one millisecond: in collection order (source, id)
        (BASE_MS + 5, Source.EVENT, "e5"),
        (BASE_MS + 5, Source.IPS, "i5"),
        (BASE_MS + 5, Source.IPS, "i5b"),
    ]
    assert collector.next_source() is Source.IPS
    assert [entry.id for entry in collector.remaining()] == ["i1"]
    assert collector.next_source() is None


def test_repeats_are_recognised_for_one_page_after_the_last_sighting() -> None:
    collector = OrderedCollector([Source.EVENT])
    collector.add_page([row(Source.EVENT, "a", 9), row(Source.EVENT, "b", 8)], Source.EVENT)
    collector.add_page([row(Source.EVENT, "b", 8), row(Source.EVENT, "c", 7)], Source.EVENT)
    # "b" was seen again on the page before, so it is still remembered; its content changed.
    collector.add_page(
        [row(Source.EVENT, "b", 8, "other"), row(Source.EVENT, "d", 6)], Source.EVENT
    )
    assert collector.remembered == 2  # the ids of the page just read, no more
    # "a" comes back three pages after its own: that needs more new rows between two requests
    # than a page holds, which the bounded memory does not cover; it is kept a second time.
    collector.add_page(
        [row(Source.EVENT, "a", 9, "other"), row(Source.EVENT, "e", 5)], Source.EVENT
    )
    out = collector.remaining()
    assert collector.skipped() == {Source.EVENT: SkippedRows(conflicting=1)}
    assert [entry.id for entry in out] == ["a", "a", "b", "c", "d", "e"]
    assert collector.out_of_order == 0  # nothing had been handed over yet


def test_a_conflicting_repeat_keeps_the_first_row() -> None:
    collector = OrderedCollector([Source.SYSTEM_LOG], since_ms=BASE_MS + 2)
    first = row(Source.SYSTEM_LOG, "x", 5)
    collector.add([first, row(Source.SYSTEM_LOG, "old", 1)], Source.SYSTEM_LOG)
    collector.add([row(Source.SYSTEM_LOG, "x", 5, "changed"), {"id": "no time"}], Source.SYSTEM_LOG)
    collector.end_page(Source.SYSTEM_LOG)
    collector.add_page([row(Source.SYSTEM_LOG, "old", 1, "changed")], Source.SYSTEM_LOG)
    (entry,) = collector.remaining()
    assert entry.message == "seen"
    # Outside the window ("old") a repeat is not compared.
    assert collector.skipped() == {Source.SYSTEM_LOG: SkippedRows(unreadable=1, conflicting=1)}


def test_a_discarded_source_leaves_nothing_behind() -> None:
    collector = OrderedCollector([Source.EVENT, Source.IPS, Source.ALARM])
    collector.add_page([row(Source.EVENT, "e9", 9), row(Source.EVENT, "e1", 1)], Source.EVENT)
    collector.add_page(
        [row(Source.IPS, "i8", 8), row(Source.IPS, "i6", 6), {"_id": "unreadable"}], Source.IPS
    )
    collector.add_page([row(Source.ALARM, "a7", 7)], Source.ALARM)
    assert [entry.id for entry in collector.ready()] == ["e9", "i8"]
    collector.discard(Source.IPS)
    collector.discard(Source.ALARM)
    collector.discard(Source.LIVE)  # never collected: nothing to do
    assert collector.withdrawn == {Source.IPS}  # an IPS entry had been handed over already
    assert [entry.id for entry in collector.remaining()] == ["e1"]
    assert collector.skipped() == {}
    with pytest.raises(ValueError, match="not being collected"):
        collector.add([row(Source.IPS, "i1", 1)], Source.IPS)
    with pytest.raises(ValueError, match="not being collected"):
        collector.end_page(Source.LIVE)


def test_extra_rows_merge_as_with_rows_does() -> None:
    live = [
        (Source.LIVE, row(Source.LIVE, "l1", 7)),
        (Source.LIVE, row(Source.LIVE, "l1", 7)),  # kept twice, as with_rows keeps it
        (Source.LIVE_ALERT, row(Source.LIVE_ALERT, "a1", 2)),
        (Source.EVENT, row(Source.EVENT, "e5", 5)),  # the same as a collected row: both kept
        (Source.LIVE, {"_id": "unusable"}),
        (Source.LIVE, cast("Mapping[str, Any]", "not even a mapping")),
        (Source.LIVE, row(Source.LIVE, "outside", 99)),  # no window for extra rows
    ]
    pages = {
        Source.EVENT: [[row(Source.EVENT, "e8", 8), row(Source.EVENT, "e5", 5)]],
        Source.IPS: [[row(Source.IPS, "i3", 3)], [row(Source.IPS, "i1", 1)]],
    }
    batches, collector = drive(pages, by_frontier, until_ms=BASE_MS + 10, rows=live)
    collected, _ = drive(pages, by_frontier, until_ms=BASE_MS + 10)
    expected = with_rows(flat(collected)[::-1], live)
    assert flat(batches)[::-1] == list(expected)
    assert len(expected) == 9
    assert collector.out_of_order == 0


def test_extra_rows_given_late_are_handed_over_next() -> None:
    collector = OrderedCollector([Source.EVENT])
    collector.add_page([row(Source.EVENT, "e5", 5), row(Source.EVENT, "e1", 1)], Source.EVENT)
    assert [entry.id for entry in collector.ready()] == ["e5"]
    collector.preload(
        [(Source.LIVE, row(Source.LIVE, "l9", 9)), (Source.LIVE, row(Source.LIVE, "l3", 3))]
    )
    assert collector.out_of_order == 1
    assert [entry.id for entry in collector.ready()] == ["l9", "l3"]
    assert [entry.id for entry in collector.remaining()] == ["e1"]


def test_a_large_backlog_is_held_a_few_pages_at_a_time() -> None:
    """60 000 entries from three sources: what is held never grows with the backlog."""
    sizes = {Source.SYSTEM_LOG: 1000, Source.EVENT: 3000, Source.IPS: 1000}
    rnd = random.Random(7)  # noqa: S311 - reproducible test data
    pages: dict[Source, list[Page]] = {}
    for source, size in sizes.items():
        offsets = sorted((rnd.randrange(20_000_000) for _ in range(20_000)), reverse=True)
        rows = [row(source, f"{source}-{n}", offset) for n, offset in enumerate(offsets)]
        # Each page repeats the last 50 rows of the page before, as offset paging does when
        # rows arrive meanwhile.
        pages[source] = [
            rows[max(0, start - 50) : start + size] for start in range(0, 20_000, size)
        ]
    collector = OrderedCollector(pages)
    queues = {source: deque(source_pages) for source, source_pages in pages.items()}
    page_rows = sum(size + 50 for size in sizes.values())
    handed_over: list[LogEntry] = []
    most_held = 0
    while (turn := collector.next_source()) is not None:
        if queues[turn]:
            collector.add_page(queues[turn].popleft(), turn)
        else:
            collector.finish(turn)
        most_held = max(most_held, collector.held)
        assert collector.remembered <= 2 * page_rows
        batch = collector.ready()
        handed_over += batch
        assert collector.held <= page_rows
    handed_over += collector.remaining()
    assert len(handed_over) == 60_000
    assert keys(handed_over) == newest_first(keys(handed_over))
    assert collector.peak_held == most_held <= 2 * page_rows
    assert collector.peak_remembered <= 2 * page_rows
    assert collector.emitted == 60_000


# --- the client against the simulator -----------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    yield session
    await session.close()


def one_request_at_a_time(client: UnifiClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the path of every request; fail if two are ever in flight together."""
    paths: list[str] = []
    in_flight = 0
    request = client.request

    async def recorded(method: str, path: str, **kwargs: Any) -> Any:
        nonlocal in_flight
        in_flight += 1
        try:
            assert in_flight == 1
            paths.append(path)
            return await request(method, path, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(client, "request", recorded)
    return paths


async def read(collection: Collection) -> list[list[LogEntry]]:
    """Every list ``digest`` hands over, as it was handed over."""
    batches: list[list[LogEntry]] = []
    async with collection:
        await collection.digest(lambda batch: batches.append(list(batch)))
    return batches


def timed(item: Mapping[str, Any]) -> int:
    value = item.get("time")
    return value if isinstance(value, int) else 0


def busy_gateway(events: int, ips: int, now: datetime) -> GatewaySimulator:
    sim = GatewaySimulator()
    names = ("EVT_WU_Connected", "EVT_LU_Connected", "EVT_WU_Roam")
    for i in range(events):
        sim.append_event(names[i % 3], at=now - timedelta(seconds=0.7 * (events - i)))
    for i in range(ips):
        sim.append_ips_alert(at=now - timedelta(seconds=3 * (ips - i)))
    return sim


async def test_batches_come_newest_first_across_every_source(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    since = now - timedelta(hours=3)
    async with busy_gateway(7000, 1200, now) as sim:
        client = make_client(sim, http)
        fetched = await client.fetch_since(since, until=now)
        paths = one_request_at_a_time(client, monkeypatch)
        collection = await client.collect(since, until=now)
        assert collection.capabilities == fetched.capabilities
        batches = await read(collection)

    entries = flat(batches)
    assert keys(entries) == newest_first(keys(entries))
    assert len(set(keys(entries))) == len(entries)
    # The same entries as fetch_since, which gives them oldest first in (time, source, id).
    assert keys(fetched.entries) == sorted(keys(fetched.entries))
    assert entries == entries_newest_first(fetched.entries)
    assert {entry.source for entry in entries} == set(LOGGED)
    assert collection.unsupported == fetched.unsupported == frozenset()
    assert collection.skipped == fetched.skipped
    assert collection.out_of_order == 0
    assert (collection.since, collection.until) == (fetched.since, fetched.until)
    # Requests of different sources interleave: each source is paged as its turn comes, with
    # its next page asked for right after the last one arrived (read ahead), one at a time.
    logs = [path for path in paths if path != "list/alarm"]
    switches = sum(a != b for a, b in pairwise(logs))
    assert len(logs) >= 12
    assert switches >= 5
    assert all(batches)  # the consumer never gets an empty list


async def test_fifty_thousand_entries_are_held_a_few_pages_at_a_time(
    http: aiohttp.ClientSession,
) -> None:
    now = datetime.now(UTC)
    async with busy_gateway(25_000, 200, now) as sim:
        client = make_client(sim, http)
        collection = await client.collect(now - timedelta(hours=6), until=now)
        count = 0
        most_held = 0

        def consume(batch: list[LogEntry]) -> None:
            nonlocal count, most_held
            count += len(batch)
            most_held = max(most_held, collection.collector.held)

        async with collection:
            await collection.digest(consume)
        alarms = len(sim.alarms)

    collector = collection.collector
    assert count == collector.emitted >= 50_000
    pages = 3000 + 1000 + 1000
    assert most_held <= collector.peak_held <= 2 * pages + alarms
    assert collector.peak_remembered <= 2 * (pages + alarms)
    assert collector.held == collector.remembered == 0


async def test_rows_arriving_while_paging_are_not_repeated(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rows shift the offset pages of ``stat/event``: the next page repeats the last ones."""
    now = datetime.now(UTC)
    since = now - timedelta(hours=2)
    delivered: Counter[Source] = Counter()
    add = OrderedCollector.add

    def counted(self: OrderedCollector, items: list[dict[str, Any]], source: Source) -> int:
        delivered[source] += len(items)
        return add(self, items, source)

    monkeypatch.setattr(OrderedCollector, "add", counted)
    async with busy_gateway(7000, 0, now) as sim:
        client = make_client(sim, http)
        collection = await client.collect(since, until=now)
        since_ms = int(since.timestamp() * 1000)
        recent = [item for item in reversed(sim.events) if timed(item) >= since_ms]
        expected = {item["_id"] for item in recent}
        probes = sim.requests[OS_EVENT_PATH]
        changed = recent[2999]  # the last row of the first page, repeated by the second
        request = client.request

        async def shifting(method: str, path: str, **kwargs: Any) -> Any:
            """Once the first page has come, new rows arrive before the next is asked for."""
            answer = await request(method, path, **kwargs)
            if path == "stat/event" and sim.requests[OS_EVENT_PATH] == probes + 1:
                for i in range(400):  # newer than the window: they only shift the pages
                    sim.append_event("EVT_LU_Connected", at=now + timedelta(seconds=1 + i))
                changed["msg"] = "changed while paging"
            return answer

        monkeypatch.setattr(client, "request", shifting)
        entries: list[LogEntry] = []
        async with collection:
            await collection.digest(entries.extend)

    events = [entry for entry in entries if entry.source is Source.EVENT]
    assert {entry.id for entry in events} == expected
    assert len(events) == len(expected)
    assert delivered[Source.EVENT] >= len(expected) + 400  # the repeated rows did come
    assert collection.skipped == {Source.EVENT: SkippedRows(conflicting=1)}
    (kept,) = (entry for entry in events if entry.id == changed["_id"])
    assert kept.message != "changed while paging"
    assert keys(entries) == newest_first(keys(entries))


@pytest.mark.parametrize(("events", "legacy_page"), [(4000, 3000), (120, 50)])
async def test_a_row_the_gateway_sorts_wrongly_is_handed_over_and_counted(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch, events: int, legacy_page: int
) -> None:
    """A row without ``time`` sorts as the oldest on the gateway; its ``datetime`` is recent."""
    now = datetime.now(UTC)
    since = now - timedelta(hours=2)
    monkeypatch.setattr(paging, "LEGACY_PAGE_SIZE", legacy_page)
    async with busy_gateway(events, 0, now) as sim:
        recent = now - timedelta(seconds=5)
        late = {
            "_id": "0123456789abcdef01234567",
            "key": "EVT_AP_Lost_Contact",
            "datetime": recent.isoformat().replace("+00:00", "Z"),
            "msg": "AP was disconnected",
        }
        sim.append_row("event", late)
        client = make_client(sim, http)
        collection = client.collect(since, until=now)
        batches = await read(collection)
        fetched = await client.fetch_since(since, until=now)

    entries = flat(batches)
    (found,) = (n for n, entry in enumerate(entries) if entry.id == late["_id"])
    assert collection.out_of_order == 1
    assert found > 0  # handed over after entries it precedes: where it arrived
    assert entries[found - 1].time_ms < entries[found].time_ms
    rest = entries[:found] + entries[found + 1 :]
    assert keys(rest) == newest_first(keys(rest))
    # fetch_since gives the whole collection in order all the same.
    assert late["_id"] in {entry.id for entry in fetched.entries}
    assert keys(fetched.entries) == sorted(keys(fetched.entries))


@modes(Mode.NETWORK10)
async def test_unsupported_sources_are_recorded(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    client = make_client(sim, http)
    collection = client.collect(datetime.now(UTC) - timedelta(hours=6))
    batches = await read(collection)
    assert collection.unsupported == {Source.EVENT, Source.IPS}
    assert {entry.source for entry in flat(batches)} <= {Source.SYSTEM_LOG, Source.ALARM}


async def test_a_source_answering_404_part_way_is_withdrawn(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator_server, "IPS_CAP", 40)
    now = datetime.now(UTC)
    for i in range(100):
        sim.append_ips_alert(at=now - timedelta(seconds=i))
    client = make_client(sim, http)
    collection = await client.collect(now - timedelta(hours=2), until=now)
    assert collection.capabilities.ips
    sim.faults.status = 404
    sim.faults.paths = ("stat/ips/event",)
    sim.faults.fail_after = 1  # the first page comes, the next request finds nothing there
    batches = await read(collection)
    assert collection.unsupported == {Source.IPS}
    assert Source.IPS not in collection.skipped
    assert sim.requests["/proxy/network/api/s/default/stat/ips/event"] >= 3  # probe, 2 pages
    ips = [entry for entry in flat(batches) if entry.source is Source.IPS]
    assert len(ips) < 100
    assert collection.withdrawn == ({Source.IPS} if ips else set())

    sim.faults.status = None
    await client.devices()  # a request without fault restarts the fault's count
    sim.faults.status = 404
    fetched = await client.fetch_since(now - timedelta(hours=2), until=now)
    assert fetched.unsupported == {Source.IPS}
    assert Source.IPS not in {entry.source for entry in fetched.entries}


async def test_extra_rows_are_streamed_with_the_collection(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    since = now - timedelta(hours=1)
    extra = [
        (Source.LIVE, row(Source.LIVE, f"live-{n}", 0)
         | {"time": int((now - timedelta(minutes=n)).timestamp() * 1000)})
        for n in range(5)
    ]  # fmt: skip
    extra += [(Source.LIVE, row(Source.LIVE, f"many-{n}", n)) for n in range(3500)]  # > a chunk
    client = make_client(sim, http)
    collection = client.collect(since, until=now, rows=extra)
    with pytest.raises(RuntimeError, match="not been awaited"):
        _ = collection.capabilities
    with pytest.raises(RuntimeError, match="not been awaited"):
        _ = collection.collector
    batches = await read(collection)
    fetched = await client.fetch_since(since, until=now)
    assert flat(batches) == entries_newest_first(with_rows(fetched.entries, extra))


async def test_the_event_loop_gets_a_turn_between_pages(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a worker, each page is normalised and handed over in a turn of its own."""
    now = datetime.now(UTC)
    async with busy_gateway(7000, 0, now) as sim:
        client = make_client(sim, http)
        collection = await client.collect(now - timedelta(hours=3), until=now)
        turns = 0
        stop = asyncio.Event()

        async def count_turns() -> None:
            nonlocal turns
            while not stop.is_set():
                turns += 1
                await asyncio.sleep(0)

        counter = asyncio.create_task(count_turns())
        normalised: list[int] = []
        add = OrderedCollector.add

        def recorded(self: OrderedCollector, items: list[dict[str, Any]], source: Source) -> int:
            normalised.append(turns)
            return add(self, items, source)

        monkeypatch.setattr(OrderedCollector, "add", recorded)
        handed: list[int] = []
        async with collection:
            await collection.digest(lambda _batch: handed.append(turns))
        stop.set()
        await counter

    # The ticker ran between every two pages; a page's entries are handed over in its turn
    # (all but the rest handed over at the end, once the page read ahead said there is no more).
    assert len(normalised) >= 5
    assert all(b > a for a, b in pairwise(normalised))
    assert set(handed[:-1]) <= set(normalised)


async def test_ips_paging_remembers_only_the_rows_at_its_boundary(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 40 IPS rows, ten rows per millisecond: the next page repeats the boundary."""
    monkeypatch.setattr(simulator_server, "IPS_CAP", 40)
    now = datetime.now(UTC)
    appended = {
        sim.append_ips_alert(at=now - timedelta(seconds=n // 10))["_id"] for n in range(130)
    }
    client = make_client(sim, http)
    await client.login()
    pages = client._ips_pages(now - timedelta(hours=1), now + timedelta(seconds=1))
    delivered: list[str] = []
    remembered: list[int] = []
    async with aclosing(pages):
        async for page in pages:
            delivered += [item["_id"] for item in page]
            frame = cast("AsyncGeneratorType[Page, None]", pages).ag_frame
            assert frame is not None
            remembered.append(len(frame.f_locals["seen"]))
    assert appended <= set(delivered)
    assert len(delivered) == len(set(delivered))
    assert len(remembered) >= 4
    assert max(remembered) <= 10  # the rows of the boundary millisecond, not all seen so far


async def test_ips_paging_stops_when_the_gateway_ignores_the_end(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator_server, "IPS_CAP", 40)
    now = datetime.now(UTC)
    for n in range(100):
        sim.append_ips_alert(at=now - timedelta(seconds=n))
    client = make_client(sim, http)
    await client.login()
    request = client.request
    first_end: list[Any] = []

    async def same_end(method: str, path: str, **kwargs: Any) -> Any:
        if path == "stat/ips/event":
            first_end[:] = first_end or [kwargs["json"]["end"]]
            kwargs["json"] = {**kwargs["json"], "end": first_end[0]}
        return await request(method, path, **kwargs)

    monkeypatch.setattr(client, "request", same_end)
    rows = await client.raw_ips_events(now - timedelta(hours=1), now + timedelta(seconds=1))
    assert len(rows) == len({row["_id"] for row in rows}) == 40
    assert sim.requests["/proxy/network/api/s/default/stat/ips/event"] == 2
