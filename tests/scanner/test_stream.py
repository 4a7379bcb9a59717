"""The event stream: frames parsed, rows handed over, and a socket kept open through failures.

``parse_frame`` and ``Backoff`` are pure and tested on constructed data. ``EventStream`` and the
transport's ``open_event_stream`` talk to the gateway simulator over real loopback HTTPS and
websockets. Tests wait on what the stream hands over and on the simulator's counters, never on
time; backoff steps are milliseconds, and ``HANG_GUARD`` is only a safety net.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.unifi_scanner.scanner import transport as transport_module
from custom_components.unifi_scanner.scanner.auth import ApiKey
from custom_components.unifi_scanner.scanner.exceptions import (
    ScannerConnectionError,
    ScannerRateLimitError,
    ScannerStreamRefusedError,
    ScannerTimeoutError,
)
from custom_components.unifi_scanner.scanner.models import Source
from custom_components.unifi_scanner.scanner.stream import (
    Backoff,
    EventStream,
    StreamCounters,
    parse_frame,
)
from tests.scanner.live_support import ALL_MODES, make_client, records
from tests.simulator import GatewaySimulator, Mode
from tests.simulator.faults import HANG_GUARD
from tests.simulator.live import NOISE_FRAMES, envelope, garbage_frames
from tests.waiting import running, until

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.client import UnifiClient

pytestmark = pytest.mark.usefixtures("socket_enabled")

STREAM_LOGGER = "custom_components.unifi_scanner.scanner.stream"
LOST = "was lost"
BACK = "is back"
ROW = {"_id": "a1", "key": "EVT_AP_Lost_Contact", "time": 1}


# --- parse_frame ---------------------------------------------------------------------------------


def test_an_events_frame_gives_its_rows_as_live_entries() -> None:
    other = {"_id": "a2", "key": "EVT_WU_Roam"}
    assert parse_frame(envelope("events", [ROW, other])) == (Source.LIVE, [ROW, other])


def test_an_alert_frame_gives_its_rows_as_live_alerts() -> None:
    assert parse_frame(envelope("alert", [ROW])) == (Source.LIVE_ALERT, [ROW])


def test_a_binary_frame_holding_an_events_frame_is_read_too() -> None:
    assert parse_frame(envelope("events", [ROW]).encode()) == (Source.LIVE, [ROW])


def test_only_object_rows_are_taken_from_a_frame() -> None:
    frame = envelope("events", [None, "EVT_AP_Lost_Contact", 7, [ROW], ROW, True])
    assert parse_frame(frame) == (Source.LIVE, [ROW])


def test_a_frame_without_rows_gives_an_empty_list() -> None:
    assert parse_frame(envelope("events", [])) == (Source.LIVE, [])
    assert parse_frame(envelope("alert", [None, 1])) == (Source.LIVE_ALERT, [])


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("", id="empty text"),
        pytest.param(b"", id="empty binary"),
        pytest.param("Service Unavailable", id="not json"),
        pytest.param(envelope("events", [ROW])[:30], id="cut short"),
        pytest.param(b"\x00\x01\x02\x03\xfe\xff", id="binary garbage"),
        pytest.param("\ud800", id="lone surrogate"),
        pytest.param("[" * 5000 + "]" * 5000, id="nested too deep"),
        pytest.param("null", id="null"),
        pytest.param("42", id="number"),
        pytest.param('"events"', id="string"),
        pytest.param(json.dumps([json.loads(envelope("events", [ROW]))]), id="array"),
        pytest.param(json.dumps({"data": [ROW]}), id="no meta"),
        pytest.param(json.dumps({"meta": "events", "data": [ROW]}), id="meta not an object"),
        pytest.param(json.dumps({"meta": {"rc": "ok"}, "data": [ROW]}), id="no message"),
        pytest.param(json.dumps({"meta": {"message": 5}, "data": [ROW]}), id="message a number"),
        pytest.param(
            json.dumps({"meta": {"message": ["events"]}, "data": [ROW]}), id="message a list"
        ),
        pytest.param(
            json.dumps({"meta": {"message": {"events": 1}}, "data": [ROW]}), id="message an object"
        ),
        pytest.param(envelope("EVENTS", [ROW]), id="message in capitals"),
        pytest.param(envelope("sta:sync", [ROW]), id="client sync"),
        pytest.param(envelope("device:sync", [ROW]), id="device sync"),
        pytest.param(json.dumps({"meta": {"rc": "ok", "message": "events"}}), id="no data"),
        pytest.param(envelope("events", None), id="data null"),
        pytest.param(envelope("events", "EVT_AP_Lost_Contact"), id="data a string"),
        pytest.param(envelope("events", ROW), id="data an object"),
    ],
)
def test_anything_else_is_skipped_without_an_error(frame: str | bytes) -> None:
    assert parse_frame(frame) is None


def test_of_the_console_s_noise_and_garbage_only_the_valid_row_is_taken() -> None:
    valid, decoy = {"_id": "valid", "key": "EVT_AP_Lost_Contact"}, {"_id": "decoy", "key": "X"}
    parsed = [parse_frame(frame) for frame in [*NOISE_FRAMES, *garbage_frames(valid, decoy)]]
    taken = [row for result in parsed if result is not None for row in result[1]]
    assert taken == [valid]


# --- Backoff -------------------------------------------------------------------------------------


def _steps(backoff: Backoff, count: int) -> list[float]:
    return [backoff.next_delay() for _ in range(count)]


def test_the_default_backoff_doubles_from_15_s_up_to_5_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.0)
    assert _steps(Backoff(), 8) == [15.0, 30.0, 60.0, 120.0, 240.0, 300.0, 300.0, 300.0]


def test_jitter_takes_at_most_a_quarter_off_each_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 1.0)
    assert _steps(Backoff(), 6) == [11.25, 22.5, 45.0, 90.0, 180.0, 225.0]
    monkeypatch.setattr(random, "random", lambda: 0.5)
    assert _steps(Backoff(first=8.0, longest=20.0), 3) == [7.0, 14.0, 17.5]


def test_real_jitter_stays_within_each_step_and_spreads_the_waits() -> None:
    backoff = Backoff()
    delays = _steps(backoff, 200)
    steps = [min(15.0 * 2.0**attempt, 300.0) for attempt in range(200)]
    assert all(0.75 * step <= delay <= step for delay, step in zip(delays, steps, strict=True))
    assert len(set(delays[10:])) > 1  # not every instance waits the same


def test_a_reset_starts_again_from_the_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.0)
    backoff = Backoff(first=1.0, longest=4.0)
    assert _steps(backoff, 4) == [1.0, 2.0, 4.0, 4.0]
    backoff.reset()
    assert _steps(backoff, 2) == [1.0, 2.0]


def test_counters_start_disconnected_and_empty() -> None:
    counters = StreamCounters()
    assert (counters.connected, counters.connects, counters.reconnects) == (False, 0, 0)
    assert (counters.frames, counters.rows, counters.last_frame_ms) == (0, 0, None)


# --- the stream against the simulator ------------------------------------------------------------


def key_client(sim: GatewaySimulator, http: aiohttp.ClientSession) -> UnifiClient:
    assert sim.api_key is not None
    return make_client(sim, http, credentials=ApiKey(sim.api_key))


class RecordingBackoff(Backoff):
    """A millisecond backoff that remembers the step of every wait it was asked for."""

    def __init__(self) -> None:
        """Wait 1 ms, 2 ms, then 4 ms at most: fast, yet a real sleep."""
        super().__init__(first=0.001, longest=0.004)
        self.attempts: list[int] = []

    def next_delay(self) -> float:
        """Record which step this wait is, then take it."""
        self.attempts.append(self.attempt)
        return super().next_delay()


class Handler:
    """What the stream handed over: every rows call, every open and every change."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self.calls: list[tuple[Source, list[dict[str, Any]]]] = []
        self.opens = 0
        self.changes = 0

    @property
    def rows(self) -> list[tuple[Source, dict[str, Any]]]:
        """Every row handed over, with its source, in order."""
        return [(source, row) for source, rows in self.calls for row in rows]

    @property
    def ids(self) -> list[str]:
        """The id of every row handed over, in order."""
        return [row["_id"] for _, row in self.rows]

    async def on_rows(self, source: Source, rows: list[dict[str, Any]]) -> None:
        """Keep one frame's rows."""
        self.calls.append((source, rows))

    async def on_open(self) -> None:
        """Count an open (where the feed would catch up)."""
        self.opens += 1

    def on_change(self) -> None:
        """Count a change of the connected state."""
        self.changes += 1


class Clock:
    """A clock that moves one millisecond each time it is read."""

    def __init__(self) -> None:
        """Start at an arbitrary fixed time."""
        self.now_ms = 1_700_000_000_000

    def __call__(self) -> int:
        """Read the time, then move on."""
        self.now_ms += 1
        return self.now_ms


def make_stream(client: UnifiClient, handler: Handler) -> EventStream:
    return EventStream(
        client,
        handler.on_rows,
        on_open=handler.on_open,
        on_change=handler.on_change,
        backoff=RecordingBackoff(),
        clock_ms=Clock(),
    )


def backoff_of(stream: EventStream) -> RecordingBackoff:
    assert isinstance(stream.backoff, RecordingBackoff)
    return stream.backoff


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return records(caplog, STREAM_LOGGER, text)


@ALL_MODES
async def test_events_and_alerts_reach_the_handler_with_their_source(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        assert stream.counters.connected
        event = sim.append_event("EVT_SW_DetectRogueDHCP")
        burst = sim.append_events("EVT_AP_Lost_Contact", "EVT_WU_Roam")
        ips = sim.append_ips_alert()
        await until(lambda: len(handler.rows) == 5)
    (ips_source, ips_event), (alert_source, alarm) = handler.rows[3:]
    assert handler.rows[:3] == [
        (Source.LIVE, event),
        (Source.LIVE, burst[0]),
        (Source.LIVE, burst[1]),
    ]
    assert (ips_source, ips_event["key"]) == (Source.LIVE, "EVT_IPS_IpsAlert")
    assert (alert_source, alarm) == (Source.LIVE_ALERT, sim.alarms[-1])
    assert alarm["inner_alert_signature"] == ips["inner_alert_signature"]
    counters = stream.counters
    assert (counters.connects, counters.reconnects) == (1, 0)
    assert (counters.frames, counters.rows) == (4, 5)
    assert counters.last_frame_ms is not None
    assert not counters.connected  # cancelled: the socket was closed
    assert handler.changes == 2  # opened, closed
    await until(lambda: sim.live.open_count == 0)


async def test_frames_without_rows_are_skipped_and_the_next_event_arrives(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        sim.live.noisy = True  # a sync or empty frame before every events frame
        taken = sim.push_garbage()
        sim.live.push_frame("default", envelope("events", []))
        sim.live.push_alert("default", [])
        after = sim.append_event("EVT_SW_DetectRogueDHCP")
        await until(lambda: len(handler.rows) == 2)
        frames = sim.live.sent_total
    assert handler.ids == [taken[0]["_id"], after["_id"]]
    assert all(rows for _, rows in handler.calls)  # no call for a frame without rows
    assert stream.counters.rows == 2
    assert stream.counters.frames == frames - 1  # every text frame, not the binary one
    assert not messages(caplog, LOST)  # nothing in them is worth dropping the socket for


async def test_a_frame_over_aiohttp_s_default_limit_is_read(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        rows = sim.push_huge_frame()  # over 5 MiB
        after = sim.append_event("EVT_AP_Lost_Contact")
        await until(lambda: len(handler.rows) == len(rows) + 1)
    assert handler.rows == [(Source.LIVE, row) for row in [*rows, after]]
    assert stream.counters.connects == 1


async def test_a_frame_over_the_stream_s_limit_loses_the_socket_and_it_comes_back(
    sim: GatewaySimulator,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport_module, "STREAM_MAX_MESSAGE", 64 * 1024)
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        sim.push_huge_frame(min_bytes=256 * 1024)
        await until(lambda: handler.opens == 2)
        after = sim.append_event("EVT_AP_Lost_Contact")
        await until(lambda: len(handler.rows) == 1)
    assert handler.rows == [(Source.LIVE, after)]  # the oversized frame was not half-read
    assert (stream.counters.connects, stream.counters.reconnects) == (2, 1)
    (lost,) = messages(caplog, LOST)
    assert lost.levelno == logging.WARNING
    assert "WebSocketError" in lost.getMessage()
    assert len(messages(caplog, BACK)) == 1


async def test_a_dropped_stream_reconnects_with_backoff_and_says_so_once(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A console that restarts drops the socket, then refuses the upgrade while it boots."""
    caplog.set_level(logging.INFO, logger=STREAM_LOGGER)
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    backoff = backoff_of(stream)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        sim.live.refuse_status = 503
        assert await sim.live.drop_all() == 1
        await until(lambda: sim.live.refusals >= 3)
        assert not stream.counters.connected
        sim.live.refuse_status = None
        await until(lambda: handler.opens == 2)
        after = sim.append_event("EVT_AP_Lost_Contact")
        await until(lambda: len(handler.rows) == 1)
        waits = list(backoff.attempts)

        assert await sim.live.drop_all() == 1  # once more, back at once this time
        await until(lambda: handler.opens == 3)

    assert handler.rows == [(Source.LIVE, after)]
    assert waits == list(range(len(waits)))  # each failure waited one step longer
    assert len(waits) >= 4  # the drop, then at least three refusals
    assert backoff.attempts[len(waits) :] == [0]  # the stream was back: first step again
    counters = stream.counters
    assert (counters.connects, counters.reconnects) == (3, 2)
    lost, back = messages(caplog, LOST), messages(caplog, BACK)
    assert len(lost) == len(back) == 2  # one log line each per outage, not one per attempt
    assert all(record.levelno == logging.WARNING for record in lost)
    assert all(record.levelno == logging.INFO for record in back)
    assert "closed by the console" in lost[0].getMessage()
    assert sim.host in lost[0].getMessage()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, "ScannerRateLimitError"),
        (500, "ScannerConnectionError"),
        (502, "ScannerConnectionError"),
        (503, "ScannerConnectionError"),
    ],
)
async def test_a_limited_or_booting_console_is_tried_again_until_it_streams(
    sim: GatewaySimulator,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    status: int,
    error: str,
) -> None:
    caplog.set_level(logging.INFO, logger=STREAM_LOGGER)
    sim.live.refuse_status = status
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: sim.live.refusals >= 3)
        assert handler.opens == 0
        sim.live.refuse_status = None
        await until(lambda: handler.opens == 1)
        event = sim.append_event("EVT_AP_Lost_Contact")
        await until(lambda: len(handler.rows) == 1)
    assert handler.rows == [(Source.LIVE, event)]
    (lost,) = messages(caplog, LOST)
    assert error in lost.getMessage()
    assert len(messages(caplog, BACK)) == 1
    assert sim.login_successes == 1  # no status here is a reason to log in again
    assert (stream.counters.connects, stream.counters.reconnects) == (1, 0)


async def test_a_console_that_cannot_be_reached_is_tried_again(
    sim: GatewaySimulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    sim.faults.drop_connection = True
    sim.faults.paths = ("/wss/",)
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: len(backoff_of(stream).attempts) >= 3)
        sim.faults.drop_connection = False
        await until(lambda: handler.opens == 1)
    (lost,) = messages(caplog, LOST)
    assert "ScannerConnectionError" in lost.getMessage()


@pytest.mark.parametrize("status", [400, 403, 404, 405])
async def test_a_console_that_refuses_the_stream_ends_the_run(
    sim: GatewaySimulator, http: aiohttp.ClientSession, status: int
) -> None:
    sim.live.refuse_status = status
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with asyncio.timeout(HANG_GUARD):
        with pytest.raises(ScannerStreamRefusedError) as refused:
            await stream.run()
    assert refused.value.status == status
    assert sim.live.refusals == 1  # asked once: retrying soon would not help
    assert handler.opens == 0
    assert stream.counters.connects == 0


async def test_cancelling_the_stream_closes_the_socket(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    handler = Handler()
    stream = make_stream(make_client(sim, http), handler)
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        assert sim.live.open_count == 1
    assert not stream.counters.connected
    await until(lambda: sim.live.open_count == 0)


async def test_the_frame_time_comes_from_the_injected_clock(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    handler = Handler()
    clock = Clock()
    stream = EventStream(
        make_client(sim, http), handler.on_rows, on_open=handler.on_open, clock_ms=clock
    )
    assert stream.backoff == Backoff()  # the production steps unless told otherwise
    async with running(stream.run()):
        await until(lambda: handler.opens == 1)
        sim.live.push_noise("default")
        await until(lambda: stream.counters.frames == 3)
    assert stream.counters.last_frame_ms == clock.now_ms
    assert handler.calls == []


# --- opening the stream (transport) ---------------------------------------------------------------


async def _first_rows(socket: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    message = await socket.receive(timeout=HANG_GUARD)
    assert message.type is aiohttp.WSMsgType.TEXT
    parsed = parse_frame(message.data)
    assert parsed is not None
    return parsed[1]


@ALL_MODES
async def test_opening_signs_in_first_when_there_is_no_session(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    client = make_client(sim, http)
    socket = await client.open_event_stream()
    try:
        event = sim.append_event("EVT_AP_Lost_Contact")
        assert await _first_rows(socket) == [event]
    finally:
        await socket.close()
    assert (sim.login_attempts, sim.login_successes) == (1, 1)


@ALL_MODES
async def test_a_lost_session_gets_exactly_one_new_login_then_the_stream(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    client = make_client(sim, http)
    await client.login()
    sim.expire_sessions()  # the console rebooted and forgot every session
    socket = await client.open_event_stream()
    try:
        event = sim.append_event("EVT_AP_Lost_Contact")
        assert await _first_rows(socket) == [event]
    finally:
        await socket.close()
    assert (sim.login_attempts, sim.login_successes) == (2, 2)
    assert sim.live.connections == 1


async def test_an_upgrade_refused_after_the_new_login_is_a_refusal_not_a_login_loop(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.faults.status = 401
    sim.faults.paths = ("/wss/",)
    client = make_client(sim, http)
    await client.login()
    with pytest.raises(ScannerStreamRefusedError) as refused:
        await client.open_event_stream()
    assert refused.value.status == 401
    assert sim.login_attempts == 2  # the first login and exactly one more

    fresh = make_client(sim, http)
    http.cookie_jar.clear()
    with pytest.raises(ScannerStreamRefusedError) as again:
        await fresh.open_event_stream()
    assert again.value.status == 401
    assert sim.login_attempts == 3  # a session made just now is not renewed again


async def test_a_request_limit_on_the_upgrade_is_a_rate_limit(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    client = make_client(sim, http)
    await client.login()
    sim.live.refuse_status = 429
    with pytest.raises(ScannerRateLimitError):
        await client.open_event_stream()
    assert sim.login_attempts == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_console_answering_5xx_is_a_connection_error_not_a_refusal(
    sim: GatewaySimulator, http: aiohttp.ClientSession, status: int
) -> None:
    sim.live.refuse_status = status
    with pytest.raises(ScannerConnectionError) as caught:
        await make_client(sim, http).open_event_stream()
    assert not isinstance(caught.value, ScannerStreamRefusedError)
    assert str(status) in str(caught.value)


@pytest.mark.parametrize("status", [400, 403, 404, 405, 426])
async def test_other_answers_to_the_upgrade_are_refusals_with_their_status(
    sim: GatewaySimulator, http: aiohttp.ClientSession, status: int
) -> None:
    sim.live.refuse_status = status
    with pytest.raises(ScannerStreamRefusedError) as refused:
        await make_client(sim, http).open_event_stream()
    assert refused.value.status == status
    assert sim.login_attempts == 1


async def test_a_site_the_console_does_not_know_is_refused(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(ScannerStreamRefusedError) as refused:
        await make_client(sim, http, site="nowhere").open_event_stream()
    assert refused.value.status == 404


async def test_a_connection_broken_during_the_upgrade_is_a_connection_error(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.faults.drop_connection = True
    sim.faults.paths = ("/wss/",)
    with pytest.raises(ScannerConnectionError):
        await make_client(sim, http).open_event_stream()


async def test_an_upgrade_that_never_answers_times_out(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    client = make_client(sim, http)
    await client.login()
    sim.hold("/wss/")  # held until the simulator stops: it cannot answer in time
    client.request_timeout = 0.01
    with pytest.raises(ScannerTimeoutError):
        await client.open_event_stream()
    assert sim.live.connections == 0


@pytest.mark.parametrize("sim", [{"mode": Mode.UNIFI_OS}, {"mode": Mode.NETWORK10}], indirect=True)
async def test_a_key_the_stream_does_not_take_is_refused_without_a_login(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(ScannerStreamRefusedError) as refused:
        await key_client(sim, http).open_event_stream()
    assert refused.value.status == 401
    assert sim.login_attempts == 0
    assert sim.requests["/proxy/network/wss/s/default/events"] == 1  # a key is not renewed


async def test_a_key_the_stream_takes_streams(
    sim: GatewaySimulator, http: aiohttp.ClientSession
) -> None:
    sim.websocket_accepts_api_key = True
    socket = await key_client(sim, http).open_event_stream()
    try:
        event = sim.append_event("EVT_AP_Lost_Contact")
        assert await _first_rows(socket) == [event]
    finally:
        await socket.close()
    assert sim.login_attempts == 0
    assert sim.api_key_requests == 1
