"""The simulator's API keys and event websocket behave as UNIFI_API.md describes consoles."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import GatewaySimulator, Mode
from tests.simulator.faults import HANG_GUARD

SYSINFO = "/api/s/default/stat/sysinfo"
SYSLOG = "/v2/api/site/default/system-log/all"
PASSWORD = "correct horse battery staple"  # noqa: S105 - the simulator default


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """Let tests reach the simulator, a real server on 127.0.0.1."""


def _prefix(sim: GatewaySimulator) -> str:
    return "" if sim.mode is Mode.CLASSIC else "/proxy/network"


async def _with_key(
    http: aiohttp.ClientSession, sim: GatewaySimulator, path: str, key: str | None
) -> tuple[int, Any]:
    headers = {"x-api-key": key} if key is not None else {}  # header names are case-blind
    body = {"timestampFrom": 0, "timestampTo": 2**41, "pageNumber": 0, "pageSize": 5}
    method = "POST" if path.startswith("/v2/") else "GET"
    url = sim.url + _prefix(sim) + path
    async with http.request(method, url, json=body, headers=headers) as response:
        return response.status, json.loads(await response.text())


async def _login(http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
    path = "/api/login" if sim.mode is Mode.CLASSIC else "/api/auth/login"
    body = {"username": sim.username, "password": PASSWORD}
    async with http.post(sim.url + path, json=body) as response:
        assert response.status == 200


@pytest.mark.parametrize("mode", [Mode.UNIFI_OS, Mode.NETWORK10])
async def test_a_key_opens_every_network_path_without_cookie_or_csrf(
    http: aiohttp.ClientSession, mode: Mode
) -> None:
    async with GatewaySimulator(mode=mode) as sim:
        status, sysinfo = await _with_key(http, sim, SYSINFO, sim.api_key)
        assert status == 200
        assert sysinfo["data"][0]["version"]
        status, syslog = await _with_key(http, sim, SYSLOG, sim.api_key)  # a POST, no CSRF
        assert status == 200
        assert syslog["data"]
        assert sim.api_key_requests == 2
        assert sim.login_attempts == 0
        assert not list(http.cookie_jar)


async def test_a_wrong_or_missing_key_is_refused_even_beside_a_session(
    http: aiohttp.ClientSession,
) -> None:
    async with GatewaySimulator() as sim:
        await _login(http, sim)
        status, body = await _with_key(http, sim, SYSINFO, "not-the-key")
        assert (status, body["error"]["code"]) == (401, 401)
        status, _ = await _with_key(http, sim, SYSINFO, "caf\u00e9")  # not even ASCII
        assert status == 401
        sim.api_key = None  # the console has no key at all
        status, _ = await _with_key(http, sim, SYSINFO, "anything")
        assert status == 401
        status, _ = await _with_key(http, sim, SYSINFO, None)  # the cookie alone still works
        assert status == 200
        assert sim.api_key_requests == 0


async def test_keys_work_only_behind_the_network_prefix(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator() as sim:
        headers = {"X-API-KEY": str(sim.api_key)}
        async with http.get(sim.url + "/api/users/self", headers=headers) as response:
            assert response.status == 401
        assert sim.api_key_requests == 0


async def test_a_self_hosted_application_refuses_any_key(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(mode=Mode.CLASSIC) as sim:
        status, body = await _with_key(http, sim, SYSINFO, sim.api_key)
        assert status == 401
        assert body["meta"]["msg"] == "api.err.LoginRequired"
        assert sim.api_key_requests == 0


def _stream_url(sim: GatewaySimulator, site: str = "default") -> str:
    return f"{sim.url}{_prefix(sim)}/wss/s/{site}/events"


async def _refused(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, headers=headers)
    return refused.value.status


@pytest.mark.parametrize("mode", [Mode.UNIFI_OS, Mode.CLASSIC])
async def test_the_event_stream_pushes_appended_events(
    http: aiohttp.ClientSession, mode: Mode
) -> None:
    async with GatewaySimulator(mode=mode) as sim:
        await _login(http, sim)
        async with http.ws_connect(_stream_url(sim)) as socket:
            row = sim.append_event("EVT_SW_DetectRogueDHCP")
            alert = sim.append_ips_alert()
            first = await socket.receive_json(timeout=HANG_GUARD)
            second = await socket.receive_json(timeout=HANG_GUARD)
        assert first == {"meta": {"rc": "ok", "message": "events"}, "data": [row]}
        assert second["data"][0]["key"] == "EVT_IPS_IpsAlert"
        assert second["data"][0]["inner_alert_signature"] == alert["inner_alert_signature"]
        assert sim.live.connections == 1


async def test_the_event_stream_refuses_keys_unless_told(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator() as sim:
        headers = {"X-API-KEY": str(sim.api_key)}
        assert await _refused(http, _stream_url(sim), headers) == 401
        assert await _refused(http, _stream_url(sim), {}) == 401  # no session either
        assert sim.live.connections == 0

        sim.websocket_accepts_api_key = True
        async with http.ws_connect(_stream_url(sim), headers=headers) as socket:
            sim.append_event("EVT_AP_Lost_Contact")
            frame = await socket.receive_json(timeout=HANG_GUARD)
        assert frame["data"][0]["key"] == "EVT_AP_Lost_Contact"
        assert sim.api_key_requests == 1
        assert not list(http.cookie_jar)


async def test_the_event_stream_knows_its_sites(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator() as sim:
        await _login(http, sim)
        assert await _refused(http, _stream_url(sim, "nowhere"), {}) == 404


async def test_stopping_closes_open_streams(http: aiohttp.ClientSession) -> None:
    sim = GatewaySimulator()
    await sim.start()
    try:
        await _login(http, sim)
        socket = await http.ws_connect(_stream_url(sim))
        assert sim.live.open_count == 1
    finally:
        await sim.stop()
    message = await socket.receive(timeout=HANG_GUARD)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.GOING_AWAY  # as a console does when it restarts
    await socket.close()
    assert sim.live.open_count == 0
