"""The live feed: the stream, its catch-up after a gap, and polling where the stream is refused.

A real ``UnifiClient`` talks to the gateway simulator over loopback HTTPS and websockets. Tests
wait on what the feed hands over and on counters, never on time: backoff, poll interval and
stream retry are milliseconds, and ``HANG_GUARD`` is only a safety net. What a user would notice
is asserted: each event arrives once, a gap is caught up, a refusal falls back to polling and the
stream is taken up again once it is offered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from custom_components.unifi_scanner.scanner.auth import ApiKey
from custom_components.unifi_scanner.scanner.live_feed import (
    FeedMode,
    FeedSettings,
    LiveFeed,
    PollCounters,
)
from custom_components.unifi_scanner.scanner.models import Source
from tests.scanner.live_support import ALL_MODES, make_client, modes, records
from tests.simulator import GatewaySimulator, Mode
from tests.waiting import running, until

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp

    from custom_components.unifi_scanner.scanner.client import UnifiClient
    from custom_components.unifi_scanner.scanner.models import LogEntry

pytestmark = pytest.mark.usefixtures("socket_enabled")

FEED_LOGGER = "custom_components.unifi_scanner.scanner.live_feed"
FAST = FeedSettings(
    backoff_first=0.001, backoff_longest=0.004, poll_interval=0.005, socket_retry=3600.0
)
"""Millisecond steps; the stream is not tried again while polling unless a test says so."""
ROGUE = "EVT_SW_DetectRogueDHCP"
LOST_CONTACT = "EVT_AP_Lost_Contact"
STREAM_PATH = "/proxy/network/wss/s/default/events"


def _clock_ms() -> int:
    """Read the wall clock, as Home Assistant does: the simulator stamps events with it too."""
    return int(datetime.now(UTC).timestamp() * 1000)


class Owner:
    """The feed's owner: every batch handed over, and every change it heard of."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self.batches: list[list[LogEntry]] = []
        self.changes = 0

    @property
    def entries(self) -> list[LogEntry]:
        """Every entry handed over, in order."""
        return [entry for batch in self.batches for entry in batch]

    def ids(self, source: Source | None = None) -> list[str]:
        """Ids handed over (of one source), in order."""
        return [entry.id for entry in self.entries if source in (None, entry.source)]

    async def on_entries(self, entries: list[LogEntry]) -> None:
        """Keep one batch."""
        self.batches.append(entries)

    def on_change(self) -> None:
        """Count a change of ``working`` or ``mode``."""
        self.changes += 1


def make_feed(client: UnifiClient, owner: Owner, settings: FeedSettings = FAST) -> LiveFeed:
    return LiveFeed(
        client,
        owner.on_entries,
        settings=settings,
        clock_ms=_clock_ms,
        on_change=owner.on_change,
    )


def streaming(feed: LiveFeed, opens: int = 1) -> Callable[[], bool]:
    """Whether the ``opens``-th stream is open and its catch-up read is done."""
    return lambda: (
        feed.stream.counters.connected
        and feed.stream.counters.connects == opens
        and feed.polls.reads + feed.polls.failures >= opens
    )


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return records(caplog, FEED_LOGGER, text)


def assert_once_each(owner: Owner) -> None:
    keys = [(entry.source, entry.id) for entry in owner.entries]
    assert len(keys) == len(set(keys)), "an entry was handed over twice"


# --- stream mode ---------------------------------------------------------------------------------


@ALL_MODES
async def test_stream_events_are_handed_over_once_as_live_entries(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    assert (feed.mode, feed.working) == (None, False)
    async with running(feed.run()):
        await until(streaming(feed))
        assert (feed.mode, feed.working) == (FeedMode.STREAM, True)
        rogue = sim.append_event(ROGUE)
        roams = sim.append_events("EVT_WU_Roam", "EVT_WU_Roam", live_only=True)
        await until(lambda: len(owner.entries) == 3)
    assert owner.ids(Source.LIVE) == [rogue["_id"], roams[0]["_id"], roams[1]["_id"]]
    assert [entry.key for entry in owner.entries] == [ROGUE, "EVT_WU_Roam", "EVT_WU_Roam"]
    assert feed.entries == 3
    assert feed.refused_status is None
    assert owner.changes >= 2  # the mode was set, the stream opened
    assert not feed.working  # cancelled: the stream is closed


@ALL_MODES
async def test_an_ips_alert_arrives_as_an_event_and_as_an_alert(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(streaming(feed))
        sim.append_ips_alert()
        await until(lambda: len(owner.entries) == 2)
    assert [entry.source for entry in owner.entries] == [Source.LIVE, Source.LIVE_ALERT]
    assert owner.ids(Source.LIVE_ALERT) == [sim.alarms[-1]["_id"]]
    assert all(entry.threat is not None for entry in owner.entries)


@pytest.mark.parametrize(
    ("sim", "source"),
    [
        ({"mode": Mode.UNIFI_OS}, Source.LIVE),
        ({"mode": Mode.CLASSIC}, Source.LIVE),
        ({"mode": Mode.NETWORK10}, Source.SYSTEM_LOG),  # no stat/event: the system log
    ],
    indirect=["sim"],
    ids=["unifi_os", "classic", "network10"],
)
async def test_what_happened_while_the_stream_was_gone_is_caught_up_once(
    sim: GatewaySimulator, http: aiohttp.ClientSession, source: Source
) -> None:
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(streaming(feed))
        before = sim.append_event(LOST_CONTACT)
        await until(lambda: len(owner.entries) == 1)

        reopening = sim.hold("/wss/")  # the console restarts: nothing is pushed meanwhile
        await sim.live.drop_all()
        await reopening.reached()
        assert not feed.working
        missed = sim.append_events(ROGUE, "EVT_WU_Roam")
        pushed = sim.live.sent_total
        reopening.release()
        await until(streaming(feed, opens=2))
        after = sim.append_event(LOST_CONTACT)  # read only once the catch-up was passed on
        await until(lambda: after["_id"] in owner.ids(Source.LIVE))
    assert pushed == 1  # the missed events were never pushed: only the log had them
    assert owner.entries[0].id == before["_id"]
    caught_up = owner.entries[1:-1]
    assert {entry.source for entry in caught_up} == {source}
    if source is Source.LIVE:  # stat/event rows: the very ids the stream pushes
        assert sorted(owner.ids()[1:-1]) == sorted(row["_id"] for row in missed)
    else:  # the system log has ids of its own: the overlap comes again, for the engine to pair
        assert sorted(entry.key for entry in caught_up) == [
            "CLIENT_ROAMED",
            "DEVICE_DISCONNECTED",  # `before`, re-read from the overlap before the mark
            "ROGUE_DHCP_SERVER_DETECTED",
        ]
    assert_once_each(owner)
    assert feed.mode is FeedMode.STREAM
    assert feed.polls.reads == 2  # one catch-up per open


@modes(Mode.UNIFI_OS, Mode.CLASSIC)
async def test_an_event_the_stream_pushed_and_the_catch_up_reads_again_arrives_once(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(streaming(feed))
        pushed = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
        await sim.live.drop_all()  # the catch-up re-reads its overlap, this event included
        await until(streaming(feed, opens=2))
        marker = sim.append_event(LOST_CONTACT)  # pushed only after the catch-up was passed on
        await until(lambda: len(owner.entries) >= 2)
    assert owner.ids() == [pushed["_id"], marker["_id"]]
    assert feed.entries == 2
    assert feed.polls.reads == 2


async def test_catch_up_reads_from_the_newest_entry_less_the_overlap(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    """A late log row inside the overlap is caught up; one older than it is not read again."""
    owner = Owner()
    feed = make_feed(
        make_client(sim, http),
        owner,
        FeedSettings(backoff_first=0.001, backoff_longest=0.004, overlap_ms=10_000),
    )
    async with running(feed.run()):
        await until(streaming(feed))
        newest = sim.append_event(LOST_CONTACT)
        await until(lambda: len(owner.entries) == 1)
        at = datetime.fromtimestamp(newest["time"] / 1000, UTC)
        reopening = sim.hold("/wss/")
        await sim.live.drop_all()
        await reopening.reached()
        late = sim.append_event(ROGUE, at=at - timedelta(seconds=5))
        too_old = sim.append_event(ROGUE, at=at - timedelta(seconds=15))
        reopening.release()
        await until(streaming(feed, opens=2))
        marker = sim.append_event(LOST_CONTACT)
        await until(lambda: marker["_id"] in owner.ids())
    assert owner.ids() == [newest["_id"], late["_id"], marker["_id"]]
    assert too_old["_id"] not in owner.ids()


async def test_a_failed_catch_up_does_not_stop_the_stream(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(sim, http)
    await client.probe()  # the log exists; reading it fails below
    sim.faults.status = 500
    sim.faults.paths = ("stat/event",)
    owner = Owner()
    feed = make_feed(client, owner)
    async with running(feed.run()):
        await until(lambda: feed.polls.failures == 1 and feed.stream.counters.connected)
        assert (feed.mode, feed.working) == (FeedMode.STREAM, True)
        event = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
    assert owner.ids() == [event["_id"]]
    assert not feed.polls.last_ok
    (warning,) = messages(caplog, "failed")
    assert "ScannerResponseError" in warning.getMessage()


async def test_a_gateway_without_a_readable_log_still_streams(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.faults.status = 404  # neither the system log nor stat/event exists here
    sim.faults.paths = ("system-log", "stat/event")
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(streaming(feed))
        event = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
    assert owner.ids() == [event["_id"]]
    assert (feed.polls.reads, feed.polls.failures, feed.polls.last_ok) == (1, 0, True)


# --- polling -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sim", "source"),
    [
        ({"mode": Mode.UNIFI_OS}, Source.SYSTEM_LOG),
        ({"mode": Mode.CLASSIC}, Source.LIVE),  # stat/event rows: the stream's own
        ({"mode": Mode.NETWORK10}, Source.SYSTEM_LOG),
    ],
    indirect=["sim"],
    ids=["unifi_os", "classic", "network10"],
)
async def test_a_refused_stream_falls_back_to_polling_the_log(
    sim: GatewaySimulator,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    source: Source,
) -> None:
    caplog.set_level(logging.INFO, logger=FEED_LOGGER)
    sim.live.refuse_status = 403  # a proxy in front of the console will not upgrade
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(lambda: feed.working)
        assert (feed.mode, feed.refused_status) == (FeedMode.POLLING, 403)
        first = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
        reads = feed.polls.reads
        await until(lambda: feed.polls.reads >= reads + 3)  # polls go on, finding nothing new
        second = sim.append_event(LOST_CONTACT)
        await until(lambda: len(owner.entries) == 2)
    assert [entry.source for entry in owner.entries] == [source, source]
    if source is Source.LIVE:
        assert owner.ids() == [first["_id"], second["_id"]]
    assert sim.live.refusals == 1  # no stream retry before `socket_retry`
    assert sim.live.connections == 0
    (told,) = messages(caplog, "does not open the event stream (HTTP 403)")
    assert told.levelno == logging.INFO


async def test_polling_tries_the_stream_again_after_socket_retry_and_goes_back_to_it(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=FEED_LOGGER)
    sim.live.refuse_status = 403
    owner = Owner()
    settings = FeedSettings(
        backoff_first=0.001, backoff_longest=0.004, poll_interval=0.005, socket_retry=0.02
    )
    feed = make_feed(make_client(sim, http), owner, settings)
    async with running(feed.run()):
        await until(lambda: sim.live.refusals >= 3)  # retried, refused again, polling on
        assert (feed.mode, feed.working) == (FeedMode.POLLING, True)
        polled = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)

        sim.live.refuse_status = None  # the proxy was fixed
        await until(lambda: feed.stream.counters.connected)
        streamed = sim.append_event(LOST_CONTACT)
        await until(lambda: streamed["_id"] in owner.ids(Source.LIVE))
    assert owner.entries[0].source is Source.SYSTEM_LOG
    assert owner.entries[0].time_ms == polled["time"]
    assert_once_each(owner)
    assert feed.mode is FeedMode.STREAM
    assert feed.refused_status == 403  # what the console last said, for diagnostics
    assert len(messages(caplog, "does not open the event stream")) == 1  # not once per retry
    (back,) = messages(caplog, "opens the event stream again; polling stops")
    assert back.levelno == logging.INFO


async def test_poll_failures_are_told_once_and_working_follows_them(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=FEED_LOGGER)
    sim.live.refuse_status = 403
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(lambda: feed.working)
        changes = owner.changes
        sim.faults.status = 500
        sim.faults.paths = ("system-log",)
        await until(lambda: feed.polls.failures >= 3)
        assert not feed.working
        assert owner.changes == changes + 1  # told when it stopped working, not per failure
        sim.faults.status = None
        await until(lambda: feed.working)
        event = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
    assert owner.entries[0].time_ms == event["time"]
    assert owner.changes == changes + 2
    (failed,) = messages(caplog, "for live alerts failed")
    assert failed.levelno == logging.WARNING
    assert "ScannerResponseError" in failed.getMessage()
    assert len(messages(caplog, "works again")) == 1


async def test_a_request_limit_while_polling_is_a_failure_that_passes(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    sim.live.refuse_status = 403
    owner = Owner()
    feed = make_feed(make_client(sim, http), owner)
    async with running(feed.run()):
        await until(lambda: feed.working)
        sim.faults.status = 429
        sim.faults.paths = ("system-log",)
        await until(lambda: feed.polls.failures >= 2)
        assert not feed.working
        sim.faults.status = None
        await until(lambda: feed.working)
    (failed,) = messages(caplog, "for live alerts failed")
    assert "login limit" in failed.getMessage()


@modes(Mode.UNIFI_OS, Mode.NETWORK10)
async def test_a_key_the_stream_refuses_polls_the_log_without_a_login(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    assert sim.api_key is not None
    owner = Owner()
    feed = make_feed(make_client(sim, http, credentials=ApiKey(sim.api_key)), owner)
    async with running(feed.run()):
        await until(lambda: feed.working)
        event = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
    assert (feed.mode, feed.refused_status) == (FeedMode.POLLING, 401)
    assert owner.entries[0].time_ms == event["time"]
    assert sim.login_attempts == 0
    assert sim.requests[STREAM_PATH] == 1


async def test_a_key_the_stream_takes_streams(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    assert sim.api_key is not None
    sim.websocket_accepts_api_key = True
    owner = Owner()
    feed = make_feed(make_client(sim, http, credentials=ApiKey(sim.api_key)), owner)
    async with running(feed.run()):
        await until(streaming(feed))
        event = sim.append_event(ROGUE)
        await until(lambda: len(owner.entries) == 1)
    assert feed.mode is FeedMode.STREAM
    assert owner.ids(Source.LIVE) == [event["_id"]]
    assert sim.login_attempts == 0


def test_poll_counters_start_empty_and_not_working() -> None:
    assert PollCounters() == PollCounters(reads=0, failures=0, last_ok=False)


# --- read_log_since ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sim", "default", "legacy_first"),
    [
        ({"mode": Mode.UNIFI_OS}, Source.SYSTEM_LOG, Source.EVENT),
        ({"mode": Mode.CLASSIC}, Source.EVENT, Source.EVENT),
        ({"mode": Mode.NETWORK10}, Source.SYSTEM_LOG, Source.SYSTEM_LOG),
    ],
    indirect=["sim"],
    ids=["unifi_os", "classic", "network10"],
)
async def test_reading_the_log_since_a_moment_takes_only_what_came_after_it(
    sim: GatewaySimulator, http: aiohttp.ClientSession, default: Source, legacy_first: Source
) -> None:
    now = datetime.now(UTC)
    sim.append_event(ROGUE, at=now - timedelta(seconds=30))
    recent = sim.append_event(LOST_CONTACT, at=now)
    client = make_client(sim, http)
    since_ms = recent["time"] - 10_000
    read = await client.read_log_since(since_ms)
    first = await client.read_log_since(since_ms, legacy_first=True)
    assert read is not None
    assert first is not None
    assert (read[0], first[0]) == (default, legacy_first)
    for source, rows in (read, first):
        times = [row["time"] if source is Source.EVENT else row["timestamp"] for row in rows]
        assert times == [recent["time"]]


async def test_reading_a_log_the_gateway_does_not_keep_gives_none(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.faults.status = 404
    sim.faults.paths = ("system-log", "stat/event")
    assert await make_client(sim, http).read_log_since(0) is None
