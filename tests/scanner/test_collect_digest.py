"""``Collection.digest``: a whole collection read page by page into one synchronous consumer.

Every test reads the simulator over loopback through ``UnifiClient.collect``. Pages are kept
small (a few hundred rows) so that every source is paged several times in a short test.
Whatever is asserted is a sequence of entries, a thread, the collector's state or a count of
requests and generators, never a time.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner import envelope, paging
from custom_components.unifi_scanner.scanner import transport as transport_module
from custom_components.unifi_scanner.scanner.client import NORMALIZE_CHUNK
from custom_components.unifi_scanner.scanner.collection import _ReadAhead
from custom_components.unifi_scanner.scanner.exceptions import ScannerResponseError
from custom_components.unifi_scanner.scanner.models import LogEntry, SkippedRows, Source
from custom_components.unifi_scanner.scanner.normalize import sort_newest_first
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from tests.scanner.live_support import make_client, modes, watch_pages, with_rows
from tests.simulator import GatewaySimulator, Mode
from tests.simulator import server as simulator_server

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping

    import aiohttp

    from custom_components.unifi_scanner.scanner.client import Collection, UnifiClient

pytestmark = pytest.mark.usefixtures("socket_enabled")

LOGGED = frozenset({Source.SYSTEM_LOG, Source.EVENT, Source.ALARM, Source.IPS})
# Rows per page in these tests: events and the system log above OFFLOAD_ABOVE, IPS below it.
EVENT_PAGE = 200
SYSTEM_LOG_PAGE = 150
IPS_PAGE = 20
OFFLOAD_ABOVE = 100

type Key = tuple[int, Source, str]
type Offload = Callable[[Callable[[], None]], Awaitable[None]]


def keys(entries: Iterable[LogEntry]) -> list[Key]:
    return [(entry.time_ms, entry.source, entry.id) for entry in entries]


def newest_first(entries: Iterable[LogEntry]) -> list[LogEntry]:
    ordered = list(entries)
    sort_newest_first(ordered)
    return ordered


def to_worker(step: Callable[[], None]) -> Awaitable[None]:
    """Offload a step as a caller without Home Assistant does: to the default executor."""
    return asyncio.get_running_loop().run_in_executor(None, step)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page every paged source several times over the simulator's day of data."""
    monkeypatch.setattr(paging, "LEGACY_PAGE_SIZE", EVENT_PAGE)
    monkeypatch.setattr(paging, "SYSTEM_LOG_PAGE_SIZE", SYSTEM_LOG_PAGE)
    monkeypatch.setattr(simulator_server, "IPS_CAP", IPS_PAGE)


def window() -> tuple[datetime, datetime]:
    """Since and until around every row of the simulator's scenario (a day back from now)."""
    now = datetime.now(UTC)
    return now - timedelta(days=2), now


async def in_order(client: UnifiClient, since: datetime, until: datetime) -> list[LogEntry]:
    """Return what a collection should hand over: ``fetch_since``'s entries, newest first.

    ``fetch_since`` sorts the entries itself (oldest first by time, source and id), so the order
    a digest hands over is checked against an explicit sort, not against itself.
    """
    return newest_first((await client.fetch_since(since, until=until)).entries)


async def digested(
    collection: Collection, *, offload: Offload | None = None, offload_above: int = OFFLOAD_ABOVE
) -> list[list[LogEntry]]:
    """Every batch ``digest`` feeds its consumer, each copied as it was handed over."""
    batches: list[list[LogEntry]] = []
    await collection.digest(
        lambda batch: batches.append(list(batch)), offload=offload, offload_above=offload_above
    )
    return batches


def flat(batches: Iterable[list[LogEntry]]) -> list[LogEntry]:
    return [entry for batch in batches for entry in batch]


def log_requests(client: UnifiClient, monkeypatch: pytest.MonkeyPatch, log: list[str]) -> None:
    """Append ``request <path>`` to ``log`` for every request, ``failed <path>`` when it fails."""
    request = client.request

    async def logged(method: str, path: str, **kwargs: Any) -> Any:
        log.append(f"request {path}")
        try:
            return await request(method, path, **kwargs)
        except Exception:
            log.append(f"failed {path}")
            raise

    monkeypatch.setattr(client, "request", logged)


@dataclass
class Step:
    """One page as ``OrderedCollector.add_page`` received it inside a digest step."""

    source: Source
    rows: int
    thread: int
    collecting: bool
    """Whether the cyclic garbage collector was running when the step reached the page."""
    page: list[dict[str, Any]]
    earlier_pages_emptied: bool


def watch_steps(monkeypatch: pytest.MonkeyPatch) -> list[Step]:
    """Record every page normalised through ``add_page``, keeping the page list itself."""
    steps: list[Step] = []
    add_page = OrderedCollector.add_page

    def recorded(self: OrderedCollector, items: list[dict[str, Any]], source: Source) -> int:
        steps.append(
            Step(
                source=source,
                rows=len(items),
                thread=threading.get_ident(),
                collecting=gc.isenabled(),
                page=items,
                earlier_pages_emptied=all(not step.page for step in steps),
            )
        )
        return add_page(self, items, source)

    monkeypatch.setattr(OrderedCollector, "add_page", recorded)
    return steps


# --- what is handed over --------------------------------------------------------------------


@modes(Mode.UNIFI_OS, Mode.CLASSIC, Mode.NETWORK10)
@pytest.mark.parametrize("offload", [None, to_worker], ids=["on_loop", "offloaded"])
@pytest.mark.usefixtures("small_pages")
async def test_digest_hands_over_every_entry_newest_first(
    sim: GatewaySimulator, http: aiohttp.ClientSession, offload: Offload | None
) -> None:
    since, until = window()
    client = make_client(sim, http)
    expected = await in_order(client, since, until)
    collection = client.collect(since, until=until)
    batches = await digested(collection, offload=offload)

    assert flat(batches) == expected
    assert keys(flat(batches)) == keys(expected)  # ``raw`` is left out of entry equality
    assert len(expected) > 500
    assert all(batches)  # the consumer never gets an empty batch
    assert all(keys(batch) == keys(newest_first(batch)) for batch in batches)
    assert collection.out_of_order == 0
    sources = {entry.source for entry in expected}
    if sim.mode is Mode.NETWORK10:
        assert sources == {Source.SYSTEM_LOG, Source.ALARM}
    elif sim.mode is Mode.CLASSIC:
        assert sources == {Source.EVENT, Source.ALARM, Source.IPS}
    else:
        assert sources == LOGGED
    # Once read, the collector holds nothing and remembers no id.
    assert collection.collector.held == collection.collector.remembered == 0
    assert collection.collector.emitted == len(expected)


async def test_extra_rows_reach_the_consumer(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    since, until = window()
    until_ms = int(until.timestamp() * 1000)
    extra: list[tuple[Source, Mapping[str, Any]]] = [
        (
            Source.LIVE,
            {
                "_id": f"live-{n}",
                "key": "EVT_WU_Connected",
                "time": until_ms - 7 * n,
                "msg": "stream-only",
            },
        )
        for n in range(NORMALIZE_CHUNK + 500)  # more than one chunk of extra rows
    ]
    extra.append((Source.LIVE, {"_id": "unusable"}))  # dropped, as with_rows drops it
    client = make_client(sim, http)
    fetched = await client.fetch_since(since, until=until)
    expected = newest_first(with_rows(fetched.entries, extra))
    collection = client.collect(since, until=until, rows=extra)
    batches = await digested(collection, offload=to_worker)

    assert flat(batches) == expected
    live = [entry for entry in flat(batches) if entry.source is Source.LIVE]
    assert len(live) == NORMALIZE_CHUNK + 500


@modes(Mode.NETWORK10)
async def test_unsupported_skipped_and_until_are_known_after_digest(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.append_row("alarm", {"_id": "no-time", "key": "EVT_GW_WANTransition"})
    since, until = window()
    client = make_client(sim, http)
    collection = client.collect(since, until=until)
    batches = await digested(collection)

    assert flat(batches)
    assert collection.unsupported == {Source.EVENT, Source.IPS}
    assert collection.skipped == {Source.ALARM: SkippedRows(unreadable=1)}
    assert (collection.since, collection.until) == (since, until)
    assert collection.withdrawn == frozenset()
    assert collection.capabilities.system_log
    fetched = await client.fetch_since(since, until=until)
    assert collection.skipped == fetched.skipped
    assert collection.unsupported == fetched.unsupported

    # Without an end, the collection ends when it was made.
    before = datetime.now(UTC)
    open_ended = client.collect(since)
    after = datetime.now(UTC)
    await digested(open_ended)
    assert before <= open_ended.until <= after
    assert open_ended.unsupported == {Source.EVENT, Source.IPS}


# --- where and how each page is processed ---------------------------------------------------


@pytest.mark.usefixtures("small_pages")
async def test_large_pages_are_processed_on_a_worker_thread_small_ones_on_the_loop(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    steps = watch_steps(monkeypatch)
    consumed: list[tuple[int, bool, int]] = []

    def consume(batch: list[LogEntry]) -> None:
        consumed.append((threading.get_ident(), gc.isenabled(), len(batch)))

    since, until = window()
    client = make_client(sim, http)
    collection = client.collect(since, until=until)
    assert gc.isenabled()
    await collection.digest(consume, offload=to_worker, offload_above=OFFLOAD_ABOVE)
    assert gc.isenabled()

    large = [step for step in steps if step.rows > OFFLOAD_ABOVE]
    small = [step for step in steps if step.rows <= OFFLOAD_ABOVE]
    assert {step.source for step in large} >= {Source.EVENT, Source.SYSTEM_LOG}
    assert {step.source for step in small} >= {Source.IPS, Source.ALARM}
    assert all(step.thread != loop_thread for step in large)
    assert all(step.thread == loop_thread for step in small)
    # The consumer runs in the step of its page: on a worker thread for a large page.
    threads = {thread for thread, _collecting, _rows in consumed}
    assert loop_thread in threads
    assert threads - {loop_thread}
    assert threads - {loop_thread} <= {step.thread for step in large}
    # The collector is paused through every step, and running again after it.
    assert not any(step.collecting for step in steps)
    assert not any(collecting for _thread, collecting, _rows in consumed)
    # Every page list was emptied by its own step, before the next page was read.
    assert len(steps) >= 15
    assert all(step.earlier_pages_emptied for step in steps)
    assert all(not step.page for step in steps)
    assert sum(rows for _thread, _collecting, rows in consumed) == collection.collector.emitted


@pytest.mark.usefixtures("small_pages")
async def test_without_offload_every_page_is_processed_on_the_loop(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    steps = watch_steps(monkeypatch)
    threads: set[int] = set()
    paused: set[bool] = set()

    def consume(_batch: list[LogEntry]) -> None:
        threads.add(threading.get_ident())
        paused.add(not gc.isenabled())

    since, until = window()
    await make_client(sim, http).collect(since, until=until).digest(consume, offload_above=0)

    assert any(step.rows > OFFLOAD_ABOVE for step in steps)
    assert {step.thread for step in steps} == threads == {loop_thread}
    assert paused == {True}
    assert gc.isenabled()
    assert all(not step.page for step in steps)


async def test_a_collector_already_disabled_stays_disabled(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    since, until = window()
    collection = make_client(sim, http).collect(since, until=until)
    gc.disable()
    try:
        await digested(collection, offload=to_worker, offload_above=10)
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- read once ------------------------------------------------------------------------------


async def test_a_collection_is_read_once(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    since, until = window()
    client = make_client(sim, http)

    collection = client.collect(since, until=until)
    assert await digested(collection)
    requests = sim.requests.total()
    with pytest.raises(RuntimeError, match="only once"):
        await digested(collection)
    assert sim.requests.total() == requests  # what was refused asked the gateway for nothing


# --- reading ahead ---------------------------------------------------------------------------


@pytest.mark.usefixtures("small_pages")
async def test_the_next_page_is_on_its_way_while_a_page_is_digested(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each source's next page is asked for as soon as the last one came, never two at once."""
    since, until = window()
    client = make_client(sim, http)
    expected = await in_order(client, since, until)
    collection = await client.collect(since, until=until)
    log: list[str] = []
    log_requests(client, monkeypatch, log)
    in_flight = most_in_flight = 0
    logged_request = client.request

    async def counted(method: str, path: str, **kwargs: Any) -> Any:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        try:
            return await logged_request(method, path, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(client, "request", counted)
    add_page = OrderedCollector.add_page

    def stepped(self: OrderedCollector, items: list[dict[str, Any]], source: Source) -> int:
        log.append(f"step {source}")
        return add_page(self, items, source)

    monkeypatch.setattr(OrderedCollector, "add_page", stepped)
    batches = await digested(collection, offload=to_worker)

    assert flat(batches) == expected  # the same entries, in the same order
    assert most_in_flight == 1
    paths = {Source.EVENT: "stat/event", Source.SYSTEM_LOG: "system-log/all"}
    for source, path in paths.items():
        requests = [n for n, item in enumerate(log) if item == f"request {path}"]
        steps = [n for n, item in enumerate(log) if item == f"step {source}"]
        assert len(steps) > 3
        # When a page is digested, the page after it has been asked for already (the last
        # page's answer said it was the last, so nothing is asked after it).
        assert all(
            sum(request < step for request in requests) == number + 2
            for number, step in enumerate(steps[:-1])
        )
        assert len(requests) == len(steps)


@pytest.mark.usefixtures("small_pages")
async def test_decoding_a_page_read_ahead_waits_for_the_digest_step(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On worker threads, decoding and digesting take turns: never two pages at once."""
    monkeypatch.setattr(transport_module, "DECODE_ON_LOOP_BYTES", 1024)  # every page off the loop
    since, until = window()
    client = make_client(sim, http)
    expected = await in_order(client, since, until)
    collection = await client.collect(since, until=until)
    busy = 0
    overlaps: list[str] = []
    kinds: list[str] = []
    lock = threading.Lock()

    def watched[**P, R](kind: str, work: Callable[P, R]) -> Callable[P, R]:
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            nonlocal busy
            with lock:
                busy += 1
                kinds.append(kind)
                if busy > 1:
                    overlaps.append(kind)
            try:
                threading.Event().wait(0.002)  # long enough for another worker to come in
                return work(*args, **kwargs)
            finally:
                with lock:
                    busy -= 1

        return run

    monkeypatch.setattr(transport_module, "_decode", watched("decode", envelope._decode))
    monkeypatch.setattr(OrderedCollector, "add_page", watched("step", OrderedCollector.add_page))
    batches = await digested(collection, offload=to_worker)

    assert flat(batches) == expected
    assert kinds.count("decode") > 10
    assert kinds.count("step") > 10
    assert overlaps == []


@pytest.mark.parametrize("offload", [None, to_worker], ids=["on_loop", "offloaded"])
@pytest.mark.usefixtures("small_pages")
async def test_a_cancelled_digest_drops_the_page_read_ahead(
    sim: GatewaySimulator,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    offload: Offload | None,
) -> None:
    """Cancelled part-way: every pager is closed and nothing is left running."""
    since, until = window()
    client = make_client(sim, http)
    collection = await client.collect(since, until=until)
    started, closed = watch_pages(client, monkeypatch)
    batches = 0
    third = asyncio.Event()
    loop = asyncio.get_running_loop()

    def consume(_batch: list[LogEntry]) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:  # the consumer may run on a worker thread
            loop.call_soon_threadsafe(third.set)

    digest = asyncio.create_task(
        collection.digest(consume, offload=offload, offload_above=OFFLOAD_ABOVE)
    )
    await third.wait()
    digest.cancel()
    with pytest.raises(asyncio.CancelledError):
        await digest

    assert started
    assert closed == started
    reading = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "_ReadAhead._read"
    ]
    assert reading == []
    assert gc.isenabled()


async def test_a_close_cancelled_while_the_read_ahead_stops_still_closes_the_pager() -> None:
    """Unloading may cancel a scan twice: the second cancel must not leave a pager open."""
    stopping = asyncio.Event()
    closed: list[str] = []

    async def pages() -> AsyncGenerator[list[dict[str, Any]]]:
        try:
            yield [{"_id": "first"}]
            try:
                await asyncio.Event().wait()  # the gateway has not answered yet
            except asyncio.CancelledError:
                stopping.set()
                await asyncio.sleep(0)  # the answer was already on its way
            yield [{"_id": "late"}]
        finally:
            closed.append("pager")

    read = _ReadAhead(pages())
    assert await read.next() == [{"_id": "first"}]
    closing = asyncio.create_task(read.aclose())
    await stopping.wait()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing

    assert closed == ["pager"]


# --- failures part-way ----------------------------------------------------------------------


@pytest.mark.parametrize("offload", [None, to_worker], ids=["on_loop", "offloaded"])
@pytest.mark.usefixtures("small_pages")
async def test_a_gateway_error_closes_every_page_generator_and_propagates(
    sim: GatewaySimulator,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    offload: Offload | None,
) -> None:
    since, until = window()
    client = make_client(sim, http)
    complete = flat(await digested(client.collect(since, until=until)))
    collection = await client.collect(since, until=until)
    started, closed = watch_pages(client, monkeypatch)
    log: list[str] = []
    log_requests(client, monkeypatch, log)
    consumed: list[LogEntry] = []

    def consume(batch: list[LogEntry]) -> None:
        log.append("consume")
        consumed.extend(batch)

    sim.faults.status = 500
    sim.faults.paths = ("stat/event",)
    sim.faults.fail_after = 2  # the third page of events fails
    with pytest.raises(ScannerResponseError, match="HTTP 500"):
        await collection.digest(consume, offload=offload, offload_above=OFFLOAD_ABOVE)

    failed = log.index("failed stat/event")
    # Nothing was asked after the error; the page before it (the failing one was read ahead
    # while it was digested) is the only one digested after it.
    assert log[failed + 1 :] in ([], ["consume"])
    assert "consume" in log[:failed]
    assert consumed == complete[: len(consumed)]  # what came before was the stream's start
    assert len(consumed) < len(complete)
    assert closed == started == LOGGED
    assert gc.isenabled()
    assert collection.collector.emitted == len(consumed)


@pytest.mark.usefixtures("small_pages")
async def test_a_consumer_error_closes_every_page_generator_and_propagates(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    since, until = window()
    client = make_client(sim, http)
    collection = await client.collect(since, until=until)
    started, closed = watch_pages(client, monkeypatch)
    log: list[str] = []
    log_requests(client, monkeypatch, log)
    calls = 0

    def consume(_batch: list[LogEntry]) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            msg = "the consumer gave up"
            raise LookupError(msg)

    with pytest.raises(LookupError, match="gave up"):
        await collection.digest(consume, offload=to_worker, offload_above=OFFLOAD_ABOVE)

    assert calls == 3
    assert closed == started
    assert started
    requests = len(log)
    await collection.aclose()  # already closed: nothing more is asked
    assert len(log) == requests
    assert gc.isenabled()


@pytest.mark.usefixtures("small_pages")
async def test_a_source_unsupported_part_way_is_dropped_and_the_rest_digested(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    since, until = window()
    client = make_client(sim, http)
    complete = flat(await digested(client.collect(since, until=until)))
    ips_rows = sum(1 for entry in complete if entry.source is Source.IPS)
    assert ips_rows > 2 * IPS_PAGE  # IPS comes in several pages

    collection = await client.collect(since, until=until)
    started, closed = watch_pages(client, monkeypatch)
    log: list[str] = []
    log_requests(client, monkeypatch, log)
    consumed: list[LogEntry] = []

    def consume(batch: list[LogEntry]) -> None:
        log.extend(f"consume {entry.source}" for entry in batch)
        consumed.extend(batch)

    sim.faults.status = 404
    sim.faults.paths = ("stat/ips/event",)
    sim.faults.fail_after = 1  # the first page comes, the next request finds nothing there
    await collection.digest(consume, offload=to_worker, offload_above=OFFLOAD_ABOVE)

    assert collection.unsupported == {Source.IPS}
    assert Source.IPS not in collection.skipped
    assert closed == started == LOGGED
    failed = log.index("failed stat/ips/event")
    assert "request stat/ips/event" not in log[failed:]  # IPS was not asked again after the 404
    ips = [entry for entry in consumed if entry.source is Source.IPS]
    assert len(ips) <= IPS_PAGE  # the one page that came before it
    assert len(ips) < ips_rows
    assert collection.withdrawn == ({Source.IPS} if ips else frozenset())
    # Every other source came whole, in the same order as without the failure.
    assert [entry for entry in consumed if entry.source is not Source.IPS] == [
        entry for entry in complete if entry.source is not Source.IPS
    ]
    assert gc.isenabled()
