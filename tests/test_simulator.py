"""The gateway simulator behaves like the consoles described in UNIFI_API.md."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.simulator import (
    Faults,
    GatewaySimulator,
    Mode,
    generate_events,
    generate_ips_events,
    generate_system_log,
)
from tests.simulator.faults import HANG_GUARD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PASSWORD = "correct horse battery staple"  # noqa: S105 - the simulator default
EVENT = "/proxy/network/api/s/default/stat/event"
DEVICE = "/proxy/network/api/s/default/stat/device"
SYSLOG = "/proxy/network/v2/api/site/default/system-log/all"
END = dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """Let tests reach the simulator, a real server on 127.0.0.1."""


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    async with GatewaySimulator() as simulator:
        yield simulator


async def login(
    http: aiohttp.ClientSession, sim: GatewaySimulator, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    path = "/api/login" if sim.mode is Mode.CLASSIC else "/api/auth/login"
    body = {"username": "admin", "password": password, "token": "", "rememberMe": False}
    async with http.post(sim.url + path, json=body) as response:
        await response.read()
        return response


async def call(
    http: aiohttp.ClientSession,
    sim: GatewaySimulator,
    path: str,
    body: dict[str, Any] | None = None,
    csrf: str | None = None,
) -> tuple[int, Any]:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    method = "GET" if body is None else "POST"
    async with http.request(method, sim.url + path, json=body, headers=headers) as r:
        text = await r.text()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


@pytest.mark.parametrize(
    ("mode", "status", "has_version"),
    [(Mode.UNIFI_OS, 200, True), (Mode.CLASSIC, 302, True), (Mode.NETWORK10, 200, False)],
)
async def test_detection_per_mode(
    http: aiohttp.ClientSession, mode: Mode, status: int, has_version: bool
) -> None:
    async with GatewaySimulator(mode=mode) as sim:
        async with http.get(sim.url + "/", allow_redirects=False) as response:
            assert response.status == status
            if status == 302:
                assert response.headers["Location"] == "/manage"
            else:
                assert "<title>UniFi OS</title>" in await response.text()
        prefix = "" if mode is Mode.CLASSIC else "/proxy/network"
        _, body = await call(http, sim, prefix + "/status")
        assert ("server_version" in body["meta"]) is has_version


async def test_unifi_os_login(http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
    response = await login(http, sim)
    assert response.status == 200
    csrf = response.headers["X-CSRF-Token"]
    assert response.headers["X-Updated-CSRF-Token"] == csrf
    jwt = response.cookies["TOKEN"].value
    payload = jwt.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["csrfToken"] == csrf
    status, body = await call(http, sim, EVENT, {"_limit": 1}, csrf=csrf)
    assert status == 200
    assert body["meta"]["rc"] == "ok"
    assert len(body["data"]) == 1
    assert (sim.login_attempts, sim.login_successes) == (1, 1)


async def test_wrong_password_and_rate_limit(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(login_limit=3) as sim:
        response = await login(http, sim, "wrong")
        assert response.status == 403
        assert (await response.json())["code"] == "AUTHENTICATION_FAILED_INVALID_CREDENTIALS"
        assert (await login(http, sim)).status == 200
        assert (await login(http, sim)).status == 200
        limited = await login(http, sim)
        assert limited.status == 429
        assert "Retry-After" not in limited.headers
        assert await limited.json() == {
            "code": "AUTHENTICATION_FAILED_LIMIT_REACHED",
            "message": "You've reached the login attempt limit",
            "level": "debug",
        }
        assert (sim.login_attempts, sim.login_successes) == (4, 2)
        sim.reset_login_limit()
        assert (await login(http, sim)).status == 200


async def test_mfa_required(http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
    sim.mfa_required = True
    response = await login(http, sim)
    assert response.status == 499
    assert (await response.json())["data"]["mfaCookie"].startswith("UBIC_2FA=")
    body = {"username": "admin", "password": PASSWORD, "token": sim.mfa_code}
    async with http.post(sim.url + "/api/auth/login", json=body) as ok:
        assert ok.status == 200


async def test_classic_login(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(mode=Mode.CLASSIC) as sim:
        bad = await login(http, sim, "wrong")
        assert bad.status == 400
        assert (await bad.json())["meta"]["msg"] == "api.err.Invalid"
        good = await login(http, sim)
        assert await good.json() == {"meta": {"rc": "ok"}, "data": []}
        assert {"unifises", "csrf_token"} <= set(good.cookies)
        csrf = good.cookies["csrf_token"].value
        status, body = await call(http, sim, "/api/s/default/stat/event", {}, csrf)
        assert status == 200
        assert body["data"]
        status, _ = await call(http, sim, "/v2/api/site/default/system-log/all", {}, csrf)
        assert status == 404
        sim.mfa_required = True
        mfa = await login(http, sim)
        assert (await mfa.json())["meta"]["msg"] == "api.err.Ubic2faTokenRequired"
        sim.expire_sessions()
        status, body = await call(http, sim, "/api/s/default/stat/device")
        assert status == 401
        assert body["meta"]["msg"] == "api.err.LoginRequired"


async def test_csrf_rotation_and_expiry(http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
    csrf = (await login(http, sim)).headers["X-CSRF-Token"]
    assert (await call(http, sim, EVENT, {}))[0] == 403
    assert (await call(http, sim, DEVICE))[0] == 200  # GETs need no token
    sim.rotate_csrf()
    async with http.get(sim.url + DEVICE) as response:
        fresh = response.headers["X-Updated-CSRF-Token"]
    assert fresh != csrf
    assert (await call(http, sim, EVENT, {}, csrf))[0] == 403
    assert (await call(http, sim, EVENT, {}, fresh))[0] == 200
    sim.expire_sessions()
    assert await call(http, sim, DEVICE) == (
        401,
        {"error": {"code": 401, "message": "Unauthorized"}},
    )


async def test_uos_token_cookie(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(cookie_name="UOS_TOKEN") as sim:
        response = await login(http, sim)
        assert "UOS_TOKEN" in response.cookies
        assert (await call(http, sim, DEVICE))[0] == 200


async def test_event_paging_is_truncated_with_count(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(scenario="busy") as sim:
        csrf = (await login(http, sim)).headers["X-CSRF-Token"]
        total = len(sim.events)
        assert total > 6000
        seen: list[dict[str, Any]] = []
        while True:
            body = {"_sort": "-time", "within": 720, "_start": len(seen), "_limit": 50000}
            _, page = await call(http, sim, EVENT, body, csrf)
            assert len(page["data"]) <= 3000
            assert page["meta"]["count"] == total
            seen += page["data"]
            if len(seen) >= page["meta"]["count"]:
                break
        assert sim.requests[EVENT] == 3
        assert len({row["_id"] for row in seen}) == total
        times = [row["time"] for row in seen]
        assert times == sorted(times, reverse=True)
        _, recent = await call(http, sim, EVENT, {"within": 1}, csrf)
        assert "count" not in recent["meta"]
        assert 0 < len(recent["data"]) < 1000


async def test_network10_removed_endpoints_and_strict_categories(
    http: aiohttp.ClientSession,
) -> None:
    async with GatewaySimulator(mode=Mode.NETWORK10) as sim:
        csrf = (await login(http, sim)).headers["X-CSRF-Token"]
        assert (await call(http, sim, EVENT, {}, csrf))[0] == 404
        ips = "/proxy/network/api/s/default/stat/ips/event"
        assert (await call(http, sim, ips, {}, csrf))[0] == 404
        status, body = await call(http, sim, SYSLOG, {"categories": ["MONITORING"]}, csrf)
        assert status == 400
        assert body["errorCode"] == 400
        assert body["message"].startswith("JSON parse error")
        window = {"timestampFrom": 0, "timestampTo": 2**42, "pageSize": 5000}
        status, body = await call(http, sim, SYSLOG, {**window, "categories": ["SECURITY"]}, csrf)
        assert status == 200
        assert len(body["data"]) == body["total_element_count"] <= 1000
        assert {row["category"] for row in body["data"]} == {"SECURITY"}
        stamps = [row["timestamp"] for row in body["data"]]
        assert stamps == sorted(stamps, reverse=True)


async def test_sites_and_unknown_site(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(scenario="multisite") as sim:
        await login(http, sim)
        _, sites = await call(http, sim, "/proxy/network/api/self/sites")
        assert [site["name"] for site in sites["data"]] == ["default", "jl3z2shm"]
        _, devices = await call(http, sim, "/proxy/network/api/s/jl3z2shm/stat/device")
        assert {device["state"] for device in devices["data"]} == {0, 1, 6}
        status, body = await call(http, sim, "/proxy/network/api/s/nope/stat/device")
        assert status == 400
        assert body["meta"] == {"rc": "error", "msg": "api.err.NoSiteContext"}


async def test_one_ips_alert_lands_in_every_store(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    row = sim.append_ips_alert(inner_alert_signature="ET SCAN Test Probe")
    assert row["timestamp"] == row["time"] // 1000
    assert sim.events[-1]["key"] == "EVT_IPS_IpsAlert"
    assert sim.alarms[-1]["inner_alert_signature"] == "ET SCAN Test Probe"
    assert sim.system_log[-1]["key"] == "THREAT_DETECTED"
    assert sim.system_log[-1]["parameters"]["SIGNATURE"]["name"] == "ET SCAN Test Probe"
    csrf = (await login(http, sim)).headers["X-CSRF-Token"]
    ips = "/proxy/network/api/s/default/stat/ips/event"
    _, body = await call(http, sim, ips, {"_sort": "-time"}, csrf)
    assert body["data"][0]["_id"] == row["_id"]


@pytest.mark.parametrize(
    "faults",
    [
        Faults(status=502),
        Faults(malformed_json=True),
        Faults(truncated_body=True),
        Faults(drop_connection=True),
        Faults(latency=2.0),
    ],
)
async def test_each_fault_breaks_api_but_not_login(
    http: aiohttp.ClientSession, sim: GatewaySimulator, faults: Faults
) -> None:
    async def usable(patience: float) -> bool:
        try:
            async with asyncio.timeout(patience), http.get(sim.url + DEVICE) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError, TimeoutError):
            return False
        return response.status == 200 and body["meta"]["rc"] == "ok"

    sim.faults = faults
    assert (await login(http, sim)).status == 200
    assert not await usable(patience=0.5)  # the slow answer takes 2 s: a busy machine adds to it
    sim.faults = Faults()
    assert await usable(patience=HANG_GUARD)


async def test_fault_after_and_paths_break_a_scan_mid_page(
    http: aiohttp.ClientSession,
) -> None:
    async with GatewaySimulator(scenario="busy") as sim:
        csrf = (await login(http, sim)).headers["X-CSRF-Token"]
        sim.faults = Faults(status=503, fail_after=1, paths=("stat/event",))
        assert (await call(http, sim, DEVICE))[0] == 200
        assert (await call(http, sim, EVENT, {}, csrf))[0] == 200
        assert (await call(http, sim, EVENT, {"_start": 3000}, csrf))[0] == 503


def test_generators_are_deterministic_and_realistic() -> None:
    events = generate_events(500, seed=7, end=END)
    assert events == generate_events(500, seed=7, end=END)
    assert events != generate_events(500, seed=8, end=END)
    assert generate_system_log(50, seed=7, end=END) == generate_system_log(50, seed=7, end=END)
    assert generate_ips_events(50, seed=7, end=END) == generate_ips_events(50, seed=7, end=END)
    end_ms = int(END.timestamp() * 1000)
    for row in events:
        seconds = row["time"] // 1000
        assert end_ms - 86_400_000 <= row["time"] < end_ms
        assert 0 <= int(row["_id"][:8], 16) - seconds <= 25
        assert row["datetime"] == dt.datetime.fromtimestamp(seconds, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        if row["key"].endswith("_Disconnected"):
            assert row["time"] % 1000 == 0
    keys = {row["key"] for row in events}
    assert {"EVT_WU_Connected", "EVT_LU_Disconnected", "EVT_IPS_IpsAlert"} <= keys
    assert any(isinstance(row.get("channel"), str) for row in events)
    ips = generate_ips_events(200, seed=3, end=END)
    assert all(row["time"] // 1000 == row["timestamp"] for row in ips)
    assert {type(row["catname"]) for row in ips} == {str, list}
    assert {row["inner_alert_action"] for row in ips} == {"allowed", "blocked"}
    assert any(row["srcipGeo"] is False or row["srcipGeo"] == [] for row in ips)
    assert any(2800000 <= row["inner_alert_signature_id"] <= 2899999 for row in ips)


async def test_a_gate_holds_requests_until_released(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    assert (await login(http, sim)).status == 200
    gate = sim.hold("stat/device")
    held = asyncio.ensure_future(http.get(sim.url + DEVICE))
    other = await http.get(sim.url + "/proxy/network/api/s/default/stat/health")
    assert other.status == 200  # only the named paths wait
    await gate.reached()
    assert not held.done()
    gate.release()
    response = await held
    assert response.status == 200
    assert (await http.get(sim.url + DEVICE)).status == 200  # a released gate holds no more


async def test_stopping_releases_held_requests(http: aiohttp.ClientSession) -> None:
    sim = GatewaySimulator()
    await sim.start()
    assert (await login(http, sim)).status == 200
    gate = sim.hold("stat/device")
    held = asyncio.ensure_future(http.get(sim.url + DEVICE))
    await gate.reached()
    await sim.stop()
    assert gate.released.is_set()
    with contextlib.suppress(aiohttp.ClientError):
        (await held).release()


async def test_network10_streams_events_to_a_session(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(mode=Mode.NETWORK10) as sim:
        assert (await login(http, sim)).status == 200
        url = sim.url + "/proxy/network/wss/s/default/events"
        async with http.ws_connect(url) as socket:
            row = sim.append_event("EVT_AP_Lost_Contact")
            frame = await socket.receive_json(timeout=HANG_GUARD)
        assert frame == {"meta": {"rc": "ok", "message": "events"}, "data": [row]}
        assert sim.websocket_connections == 1
        assert (sim.api_key_requests, sim.login_attempts) == (0, 1)


async def test_a_key_beside_a_session_still_needs_the_websocket_switch(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    assert (await login(http, sim)).status == 200
    url = sim.url + "/proxy/network/wss/s/default/events"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, headers={"X-API-KEY": str(sim.api_key)})
    assert refused.value.status == 401  # the key decides, not the cookie beside it
    assert (sim.websocket_connections, sim.api_key_requests) == (0, 0)
