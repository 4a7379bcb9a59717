"""The gateway client against the simulator, over real HTTPS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import pytest
from yarl import URL

from custom_components.unifi_scanner.scanner import client as client_module
from custom_components.unifi_scanner.scanner import transport
from custom_components.unifi_scanner.scanner.auth import LocalAccount, _csrf_from_cookies
from custom_components.unifi_scanner.scanner.client import (
    IPS_PAGE_SIZE,
    LEGACY_PAGE_SIZE,
    NORMALIZE_CHUNK,
    SYSTEM_LOG_PAGE_SIZE,
    UnifiClient,
)
from custom_components.unifi_scanner.scanner.exceptions import (
    ScannerAuthenticationError,
    ScannerConnectionError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
    ScannerResponseError,
    ScannerTimeoutError,
    ScannerUnsupportedError,
)
from custom_components.unifi_scanner.scanner.models import Source
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from tests.loop_work import LoopWork, _rows_given, _rows_in_answer, _rows_returned
from tests.simulator import GatewaySimulator, Mode
from tests.simulator import server as simulator_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

pytestmark = pytest.mark.usefixtures("socket_enabled")

PASSWORD = "not-used-here"  # noqa: S105
OS_EVENT_PATH = "/proxy/network/api/s/default/stat/event"
OS_SYSLOG_PATH = "/proxy/network/v2/api/site/default/system-log/all"
OS_IPS_PATH = "/proxy/network/api/s/default/stat/ips/event"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Open a caller-owned session, as Home Assistant would hand it over."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    yield http
    await http.close()


def make_client(
    sim: GatewaySimulator, session: aiohttp.ClientSession, **overrides: Any
) -> UnifiClient:
    account = LocalAccount(
        overrides.pop("username", sim.username), overrides.pop("password", sim.password)
    )
    options: dict[str, Any] = {
        "session": session,
        "host": sim.host,
        "port": sim.port,
        "credentials": account,
    } | overrides
    return UnifiClient(**options)


def logins(sim: GatewaySimulator) -> int:
    return sim.login_attempts


ALL_MODES = pytest.mark.parametrize(
    "sim",
    [{"mode": Mode.UNIFI_OS}, {"mode": Mode.CLASSIC}, {"mode": Mode.NETWORK10}],
    indirect=True,
    ids=["unifi_os", "classic", "network10"],
)
CLASSIC = pytest.mark.parametrize("sim", [{"mode": Mode.CLASSIC}], indirect=True, ids=["classic"])
NETWORK10 = pytest.mark.parametrize(
    "sim", [{"mode": Mode.NETWORK10}], indirect=True, ids=["network10"]
)


# --- detection and login ---------------------------------------------------------------------


@ALL_MODES
async def test_detects_flavour_and_logs_in_once(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    before = client.unifi_os
    await client.login()
    assert before is None
    assert client.unifi_os is (sim.mode is not Mode.CLASSIC)
    login_path = "/api/login" if sim.mode is Mode.CLASSIC else "/api/auth/login"
    assert sim.requests[login_path] == 1
    assert sim.requests["/"] == 1

    sites = await client.sites()
    info = await client.gateway_info()
    assert [site.name for site in sites] == ["default"]
    assert (
        info.version
        == {"unifi_os": "9.0.114", "classic": "8.6.9", "network10": "10.0.162"}[sim.mode.value]
    )
    assert logins(sim) == 1


async def test_first_request_logs_in_by_itself(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session, host=f"{sim.host}:{sim.port}", port=None)
    devices = await client.devices()
    assert {device.mac for device in devices} == {item["mac"] for item in sim.devices}
    assert logins(sim) == 1


async def test_login_asks_to_be_remembered(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.login()
    token = session.cookie_jar.filter_cookies(URL(sim.url))["TOKEN"].value
    payload = token.split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["isRemembered"] is True


@pytest.mark.parametrize("sim", [{"cookie_name": "UOS_TOKEN"}], indirect=True)
async def test_unifi_os_4_cookie_name(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    result = await client.fetch_since(datetime.now(UTC) - timedelta(hours=2))
    assert result.entries
    assert logins(sim) == 1


@ALL_MODES
async def test_wrong_password(sim: GatewaySimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(sim, session, password="not the password")  # noqa: S106
    with pytest.raises(ScannerAuthenticationError) as caught:
        await client.devices()
    assert not isinstance(caught.value, ScannerMfaRequiredError)
    assert logins(sim) == 1


@pytest.mark.parametrize(
    "sim", [{"mode": Mode.UNIFI_OS}, {"mode": Mode.CLASSIC}], indirect=True, ids=["os", "classic"]
)
async def test_mfa_account_is_refused_with_advice(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    sim.mfa_required = True
    client = make_client(sim, session)
    with pytest.raises(ScannerMfaRequiredError, match="local account without MFA"):
        await client.login()
    assert logins(sim) == 1


@pytest.mark.parametrize("sim", [{"login_limit": 0}], indirect=True)
async def test_rate_limit_at_first_login(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    with pytest.raises(ScannerRateLimitError) as caught:
        await client.fetch_since(datetime.now(UTC) - timedelta(hours=1))
    assert caught.value.retry_after is None
    assert not isinstance(caught.value, ScannerAuthenticationError)
    assert logins(sim) == 1


@pytest.mark.parametrize("sim", [{"login_limit": 1}], indirect=True)
async def test_rate_limit_on_relogin_is_not_retried(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.devices()
    sim.expire_sessions()
    with pytest.raises(ScannerRateLimitError):
        await client.devices()
    assert logins(sim) == 2


# --- session upkeep --------------------------------------------------------------------------


@ALL_MODES
async def test_expired_session_gets_exactly_one_relogin(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.devices()
    sim.expire_sessions()
    result = await client.fetch_since(datetime.now(UTC) - timedelta(hours=1))
    assert result.entries
    assert logins(sim) == 2
    await client.health()
    assert logins(sim) == 2


async def test_concurrent_requests_share_one_relogin(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.login()
    sim.expire_sessions()
    await asyncio.gather(client.devices(), client.health(), client.sites(), client.gateway_info())
    assert logins(sim) == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_persistent_rejection_fails_after_one_relogin(
    sim: GatewaySimulator, session: aiohttp.ClientSession, status: int
) -> None:
    client = make_client(sim, session)
    await client.login()
    sim.faults.status = status
    sim.faults.paths = ("stat/device",)
    with pytest.raises(ScannerAuthenticationError):
        await client.devices()
    assert logins(sim) == 2


async def test_failure_right_after_login_does_not_log_in_twice(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.status = 401
    sim.faults.paths = ("stat/health",)
    client = make_client(sim, session)
    with pytest.raises(ScannerAuthenticationError):
        await client.health()
    assert logins(sim) == 1


@ALL_MODES
async def test_csrf_rotation_mid_scan(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=3)
    await client.fetch_since(since)
    sim.rotate_csrf()
    await client.devices()  # a GET carries the new token back
    result = await client.fetch_since(since)  # POSTs need the new token
    assert result.entries
    assert logins(sim) == 1


async def test_stale_csrf_token_is_healed_by_one_relogin(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.login()
    vars(client._auth)["_csrf"] = "00000000-0000-0000-0000-000000000000"  # the gateway forgot it
    rows = await client.raw_events(datetime.now(UTC) - timedelta(hours=1))
    assert rows
    assert logins(sim) == 2


async def test_csrf_falls_back_to_the_session_jwt(sim: GatewaySimulator) -> None:
    token = sim._jwt("3f2504e0-4f89-11d3-9a0c-0305e82c3301", remembered=True)
    assert _csrf_from_cookies({"UOS_TOKEN": token}) == ("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    assert _csrf_from_cookies({"csrf_token": "abc"}) == "abc"
    assert _csrf_from_cookies({"TOKEN": "not-a-jwt"}) is None


# --- collection ------------------------------------------------------------------------------


async def test_fetch_since_on_network_9_reads_both_feeds(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=6)
    result = await client.fetch_since(since)

    assert result.capabilities.unifi_os
    assert result.capabilities.system_log
    assert result.capabilities.legacy_events
    assert result.capabilities.ips
    assert result.unsupported == frozenset()
    sources = {entry.source for entry in result.entries}
    assert {Source.SYSTEM_LOG, Source.EVENT} <= sources
    keys = [(entry.time_ms, entry.source, entry.id) for entry in result.entries]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    since_ms = int(since.timestamp() * 1000)
    assert all(since_ms <= entry.time_ms <= int(result.until.timestamp() * 1000) for entry in
               result.entries)  # fmt: skip
    expected_events = {row["_id"] for row in sim.events if row["time"] >= since_ms}
    assert {e.id for e in result.entries if e.source is Source.EVENT} == expected_events
    assert result.devices
    assert {sub.subsystem for sub in result.health} >= {"wan", "www", "wlan", "lan"}
    assert result.since == since


@NETWORK10
async def test_network_10_falls_back_to_the_system_log(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=6)
    result = await client.fetch_since(since)

    assert not result.capabilities.legacy_events
    assert not result.capabilities.ips
    assert result.capabilities.system_log
    assert result.unsupported == {Source.EVENT, Source.IPS}
    since_ms = int(since.timestamp() * 1000)
    expected = {row["id"] for row in sim.system_log if row["timestamp"] >= since_ms}
    assert {e.id for e in result.entries if e.source is Source.SYSTEM_LOG} == expected
    assert client.capabilities is result.capabilities


@CLASSIC
async def test_classic_controller_has_no_system_log(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    result = await client.fetch_since(datetime.now(UTC) - timedelta(hours=6))
    assert Source.SYSTEM_LOG in result.unsupported
    assert not result.capabilities.unifi_os
    assert {entry.source for entry in result.entries} >= {Source.EVENT}


async def test_capabilities_are_probed_once(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=1)
    await client.fetch_since(since)
    probes = sim.requests[OS_SYSLOG_PATH]
    await client.fetch_since(since)
    assert sim.requests[OS_SYSLOG_PATH] == probes + 1  # the fetch, not another probe


async def test_legacy_events_are_paged_past_truncation(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    appended = {
        sim.append_event("EVT_LU_Connected", at=now - timedelta(seconds=0.3 * i))["_id"]
        for i in range(7000)
    }
    client = make_client(sim, session)
    await client.login()
    rows = await client.raw_events(now - timedelta(minutes=40))
    ids = [row["_id"] for row in rows]
    assert appended <= set(ids)
    assert len(ids) == len(set(ids))
    assert sim.requests[OS_EVENT_PATH] == math.ceil(len(rows) / 3000) == 3


async def test_system_log_is_paged_to_the_end(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    for i in range(2500):
        sim.append_event("EVT_WU_Connected", at=now - timedelta(seconds=i))
    client = make_client(sim, session)
    await client.login()
    start = now - timedelta(hours=1)
    rows = await client.raw_system_log(start, now + timedelta(seconds=1))
    start_ms = int(start.timestamp() * 1000)
    expected = {row["id"] for row in sim.system_log if row["timestamp"] >= start_ms}
    assert {row["id"] for row in rows} == expected
    assert len(expected) >= 2500
    assert sim.requests[OS_SYSLOG_PATH] == math.ceil(len(rows) / 1000)


async def test_ips_rows_are_paged_by_time_window(
    sim: GatewaySimulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator_server, "IPS_CAP", 40)
    now = datetime.now(UTC)
    for i in range(100):
        sim.append_ips_alert(at=now - timedelta(seconds=i))
    client = make_client(sim, session)
    await client.login()
    start = now - timedelta(hours=2)
    rows = await client.raw_ips_events(start, now + timedelta(seconds=1))
    start_ms = int(start.timestamp() * 1000)
    expected = {row["_id"] for row in sim.ips_events if row["time"] >= start_ms}
    assert {row["_id"] for row in rows} == expected
    assert len(rows) == len(expected) >= 100
    assert sim.requests[OS_IPS_PATH] >= 3


async def test_alarms_are_filtered_to_the_window(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=4)
    rows = await client.raw_alarms(since)
    since_ms = int(since.timestamp() * 1000)
    assert {row["_id"] for row in rows} == {
        row["_id"] for row in sim.alarms if row["time"] >= since_ms
    }


async def test_malformed_items_are_skipped(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    sim.events.extend(
        [
            {"_id": 1234, "key": "EVT_LU_Connected", "time": now_ms - 5},
            {"_id": "weird", "key": ["x"], "time": now_ms - 4, "msg": {"a": 1}, "ap": 5},
            {"key": "EVT_LU_Connected", "time": now_ms - 3},
        ]
    )
    good = sim.append_event("EVT_LU_Connected")
    client = make_client(sim, session)
    result = await client.fetch_since(datetime.now(UTC) - timedelta(hours=1))
    event_ids = {entry.id for entry in result.entries if entry.source is Source.EVENT}
    assert good["_id"] in event_ids
    assert "weird" in event_ids
    weird = next(entry for entry in result.entries if entry.id == "weird")
    assert (weird.key, weird.message, weird.device_mac) == ("", "", None)


@contextmanager
def serving_from_another_thread(sim: GatewaySimulator) -> Iterator[None]:
    """Run the simulator on its own thread and loop, so its work is not the client's lag."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="gateway-simulator")
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(sim.start(), loop).result(timeout=10)
        yield
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def test_large_backlog_never_blocks_the_event_loop(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 000 events and 1 500 IPS alerts: the loop takes one page per turn, never the backlog.

    Structure, not time: the milliseconds are measured by ``scripts/bench --ha``. The entries
    are handed over newest first as the pages arrive; only ``fetch_since``, which gathers the
    whole collection, sorts it back to oldest first, and does so on a worker thread.
    """
    sim = GatewaySimulator()
    now = datetime.now(UTC)
    keys = ("EVT_WU_Connected", "EVT_LU_Connected", "EVT_WU_Roam")
    appended = {
        sim.append_event(keys[i % 3], at=now - timedelta(seconds=2 * (20_000 - i)))["_id"]
        for i in range(20_000)
    }
    for i in range(1_500):
        sim.append_ips_alert(at=now - timedelta(seconds=7 * (1_500 - i)))
    work = LoopWork(asyncio.get_running_loop(), monkeypatch)
    work.watch(transport, "_decode", "decode", _rows_in_answer)
    work.watch(OrderedCollector, "add", "normalise", _rows_given)
    work.watch(OrderedCollector, "ready", "hand over", _rows_returned)  # remaining() too
    work.watch(client_module, "sort_entries", "sort", _rows_given_first)

    with serving_from_another_thread(sim):
        client = make_client(sim, session)
        await client.login()
        with work:
            result = await client.fetch_since(now - timedelta(hours=12), until=now)

    by_source = dict.fromkeys(Source, 0)
    for entry in result.entries:
        by_source[entry.source] += 1
    assert appended <= {entry.id for entry in result.entries if entry.source is Source.EVENT}
    assert by_source[Source.SYSTEM_LOG] >= 20_000
    assert by_source[Source.IPS] >= 1_500
    assert by_source[Source.ALARM] >= 1_500
    keys_in_order = [(entry.time_ms, entry.source, entry.id) for entry in result.entries]
    assert keys_in_order == sorted(keys_in_order)
    page = max(LEGACY_PAGE_SIZE, SYSTEM_LOG_PAGE_SIZE, IPS_PAGE_SIZE, NORMALIZE_CHUNK)
    assert work.rows("normalise") >= len(result.entries)
    assert work.rows("hand over") == len(result.entries)
    per_turn: Counter[int] = Counter()
    for call in work.calls:
        if call.on_loop and call.stage in {"decode", "normalise", "sort"}:
            per_turn[call.turn] += call.rows
    assert 0 < max(per_turn.values()) <= page
    # Each hand-over is what a page per source (and the one alarm answer) let go, never the
    # whole collection.
    held = LEGACY_PAGE_SIZE + SYSTEM_LOG_PAGE_SIZE + IPS_PAGE_SIZE + by_source[Source.ALARM]
    assert 0 < max(call.rows for call in work.calls if call.stage == "hand over") <= held
    # The one sort of the whole collection is fetch_since's, back to oldest first, and it ran
    # on a worker thread.
    sorts = [(call.rows, call.on_loop) for call in work.calls if call.stage == "sort"]
    assert sorts == [(len(result.entries), False)]


def _rows_given_first(args: tuple[Any, ...], _result: Any) -> int:
    return len(args[0])


# --- failures --------------------------------------------------------------------------------


async def test_timeout(sim: GatewaySimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(sim, session, request_timeout=0.2)
    await client.login()
    sim.faults.latency = 1.0
    with pytest.raises(ScannerTimeoutError):
        await client.devices()


@pytest.mark.parametrize(
    ("fault", "value", "error"),
    [
        ("status", 503, ScannerResponseError),
        ("status", 500, ScannerResponseError),
        ("malformed_json", True, ScannerResponseError),
        ("truncated_body", True, ScannerConnectionError),
        ("drop_connection", True, ScannerConnectionError),
    ],
)
async def test_broken_answers_map_to_one_exception(
    sim: GatewaySimulator,
    session: aiohttp.ClientSession,
    fault: str,
    value: object,
    error: type[ScannerError],
) -> None:
    client = make_client(sim, session)
    await client.login()
    setattr(sim.faults, fault, value)
    with pytest.raises(error) as caught:
        await client.fetch_since(datetime.now(UTC) - timedelta(hours=1))
    assert not isinstance(caught.value, ScannerUnsupportedError | ScannerAuthenticationError)
    if error is ScannerConnectionError:
        assert isinstance(caught.value.__cause__, aiohttp.ClientError)
    assert logins(sim) == 1


async def test_unreachable_gateway(session: aiohttp.ClientSession) -> None:
    simulator = GatewaySimulator()
    await simulator.start()
    port = simulator.port
    await simulator.stop()
    client = UnifiClient(
        session=session, host="127.0.0.1", port=port, credentials=LocalAccount("u", PASSWORD)
    )
    with pytest.raises(ScannerConnectionError):
        await client.login()
    await client.close()


@pytest.mark.parametrize(
    "sim", [{"mode": Mode.UNIFI_OS}, {"mode": Mode.CLASSIC}], indirect=True, ids=["os", "classic"]
)
async def test_unknown_endpoint_and_unknown_site(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    with pytest.raises(ScannerUnsupportedError):
        await client.request("GET", "stat/nothing-here")
    other_site = make_client(sim, session, site="nosuchsite")
    with pytest.raises(ScannerResponseError, match="site") as caught:
        await other_site.devices()
    assert not isinstance(caught.value, ScannerUnsupportedError)


async def test_v2_error_code_body(sim: GatewaySimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(sim, session)
    with pytest.raises(ScannerResponseError, match="error code 400"):
        await client.request("POST", "system-log/all", json={"pageSize": 0}, v2=True)


# --- secrets and shutdown --------------------------------------------------------------------


async def test_password_and_cookies_never_logged(
    sim: GatewaySimulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(sim, session)
    await client.fetch_since(datetime.now(UTC) - timedelta(hours=1))
    sim.expire_sessions()
    await client.devices()
    cookie = session.cookie_jar.filter_cookies(URL(sim.url))["TOKEN"].value
    wrong = make_client(sim, session, password="hunter2-wrong")  # noqa: S106
    with pytest.raises(ScannerAuthenticationError) as caught:
        await wrong.login()
    await client.close()

    assert caplog.records  # the client does log at DEBUG
    assert sim.password not in caplog.text
    assert "hunter2-wrong" not in caplog.text
    assert cookie not in caplog.text
    assert "hunter2-wrong" not in str(caught.value)
    assert sim.password not in repr(client)


async def test_close_logs_out_and_never_raises(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.devices()
    await client.close()
    assert sim.requests["/api/auth/logout"] == 1
    await client.close()  # already logged out: nothing to do
    assert sim.requests["/api/auth/logout"] == 1

    await client.devices()  # a closed client logs in again when used
    assert logins(sim) == 2
    await sim.stop()
    await client.close()  # gateway gone: still quiet


@CLASSIC
async def test_classic_logout(sim: GatewaySimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(sim, session)
    await client.devices()
    await client.close()
    assert sim.requests["/api/logout"] == 1


# --- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("192.168.1.1", None, "https://192.168.1.1"),
        ("192.168.1.1:8443", None, "https://192.168.1.1:8443"),
        ("192.168.1.1:8443", 11443, "https://192.168.1.1:11443"),
        ("unifi.local", None, "https://unifi.local"),
        ("[fd00::1]", None, "https://[fd00::1]"),
        ("[fd00::1]:8443", None, "https://[fd00::1]:8443"),
        ("fd00::1", None, "https://[fd00::1]"),
        ("https://10.0.0.1:8443/", None, "https://10.0.0.1:8443"),
        (" 10.0.0.1 ", None, "https://10.0.0.1"),
    ],
)
async def test_base_url(
    session: aiohttp.ClientSession, host: str, port: int | None, url: str
) -> None:
    client = UnifiClient(
        session=session, host=host, port=port, credentials=LocalAccount("u", PASSWORD)
    )
    assert str(client._base) == url


@pytest.mark.parametrize("host", ["", "[fd00::1", "[fd00::1]x", "host:port", "a/b", "https://"])
async def test_invalid_host(session: aiohttp.ClientSession, host: str) -> None:
    with pytest.raises(ValueError, match="Invalid gateway host"):
        UnifiClient(session=session, host=host, credentials=LocalAccount("u", PASSWORD))


def test_retry_after_parsing() -> None:
    assert client_module._retry_after(None) is None
    assert client_module._retry_after("120") == 120.0
    assert client_module._retry_after("soon") is None
    later = (datetime.now(UTC) + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    parsed = client_module._retry_after(later)
    assert parsed is not None
    assert 80 <= parsed <= 91


async def test_verify_ssl_refuses_a_self_signed_gateway(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session, verify_ssl=True)
    with pytest.raises(ScannerConnectionError):
        await client.login()
    assert logins(sim) == 0


@pytest.mark.parametrize("sim", [{"tls": False}], indirect=True, ids=["plain"])
async def test_plain_http_test_switch(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session, scheme="http")
    assert await client.health()


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"meta": {"rc": "error", "msg": "api.err.NoPermission"}, "data": []}, 200, "auth"),
        ({"meta": {"rc": "error", "msg": "api.err.Invalid"}, "data": []}, 400, "auth"),
        ({"meta": {"rc": "error", "msg": "api.err.Ubic2faTokenRequired"}}, 400, "mfa"),
        ({"meta": {"rc": "error", "msg": "api.err.NoSiteContext"}, "data": []}, 404, "response"),
        ({"meta": {"rc": "error", "msg": "api.err.Surprise"}, "data": []}, 200, "response"),
        ({"data": []}, 200, "response"),
        ([1, 2], 200, "response"),
        ({"meta": {"rc": "error", "msg": "api.err.LoginRequired"}}, 200, "expired"),
    ],
)
async def test_legacy_envelope_errors(
    session: aiohttp.ClientSession, body: Any, status: int, error: str
) -> None:
    client = UnifiClient(session=session, host="gw", credentials=LocalAccount("u", PASSWORD))
    expected: type[Exception] = {
        "auth": ScannerAuthenticationError,
        "mfa": ScannerMfaRequiredError,
        "response": ScannerResponseError,
        "expired": client_module._SessionExpiredError,
    }[error]
    with pytest.raises(expected) as caught:
        client._check_body(body, status, "/api/s/default/x", v2=False)
    if error == "response":
        assert not isinstance(caught.value, ScannerAuthenticationError | ScannerUnsupportedError)


async def test_envelope_rc_is_case_insensitive(session: aiohttp.ClientSession) -> None:
    client = UnifiClient(session=session, host="gw", credentials=LocalAccount("u", PASSWORD))
    body = {"meta": {"rc": "OK"}, "data": [{"a": 1}]}
    assert client._check_body(body, 200, "/api/s/default/x", v2=False) is body


async def test_legacy_404_mid_scan_is_unsupported_not_failure(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    since = datetime.now(UTC) - timedelta(hours=6)
    first = await client.fetch_since(since)
    assert first.unsupported == frozenset()
    sim.faults.status = 404
    sim.faults.paths = ("stat/event", "stat/ips/event", "stat/device")
    result = await client.fetch_since(since)
    assert result.unsupported == {Source.EVENT, Source.IPS}
    assert {entry.source for entry in result.entries} == {Source.SYSTEM_LOG, Source.ALARM}
    assert result.devices == ()
    assert result.health


@pytest.mark.parametrize(
    ("fault", "value", "error"),
    [
        ("status", 502, ScannerResponseError),
        ("malformed_json", True, ScannerResponseError),
        ("status", 429, ScannerRateLimitError),
        ("drop_connection", True, ScannerConnectionError),
    ],
)
async def test_broken_login_answers(
    sim: GatewaySimulator,
    session: aiohttp.ClientSession,
    fault: str,
    value: object,
    error: type[ScannerError],
) -> None:
    sim.faults.paths = ("/api/auth/login",)
    setattr(sim.faults, fault, value)
    client = make_client(sim, session)
    with pytest.raises(error) as caught:
        await client.health()
    assert not isinstance(caught.value, ScannerAuthenticationError)
    assert sim.requests["/api/auth/login"] == 1


async def test_gateway_that_fails_detection(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.status = 503
    sim.faults.paths = ("/",)
    client = make_client(sim, session)
    with pytest.raises(ScannerResponseError, match="503"):
        await client.login()
    assert client.unifi_os is None
    assert logins(sim) == 0


async def test_rate_limit_on_an_api_request(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(sim, session)
    await client.login()
    sim.faults.status = 429
    sim.faults.paths = ("stat/health",)
    with pytest.raises(ScannerRateLimitError):
        await client.health()
    assert logins(sim) == 1


def test_envelope_helpers_tolerate_loose_types() -> None:
    assert client_module._count({"meta": {"count": "4818"}}) == 4818
    assert client_module._count({"meta": {"count": True}}) is None
    assert client_module._count({"meta": {"count": "many"}}) is None
    assert client_module._data({"data": {"single": 1}}) == [{"single": 1}]
    assert client_module._data({"data": None}) == []
    assert client_module._item_ms({"time": "1587753456179"}) == 1587753456179
    assert client_module._item_ms({"time": True}) is None
    assert client_module._jwt_csrf("a.!!!.c") is None
    assert client_module._utc(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)  # noqa: DTZ001


async def test_unsupported_scheme(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="scheme"):
        UnifiClient(
            session=session, host="gw", credentials=LocalAccount("u", PASSWORD), scheme="ftp"
        )
