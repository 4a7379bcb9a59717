"""The simulator's event websocket shows every failure UNIFI_API.md 7 and 7.1 report of consoles.

Each test talks to a real simulator over loopback with a real aiohttp client socket, and waits on
frames and counters, never on time (timeouts are only a safety net).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.simulator import GatewaySimulator, Mode
from tests.simulator.faults import HANG_GUARD
from tests.simulator.live import (
    CLIENT_DEFAULT_LIMIT,
    HUGE_FRAME_BYTES,
    NOISE_CLIENT,
    NOISE_DEVICE,
    PADDING_FIELD,
    garbage_frames,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PASSWORD = "correct horse battery staple"  # noqa: S105 - the simulator default
RAISED_LIMIT = 16 * 1024 * 1024
EVERYTHING = {"timestampFrom": 0, "timestampTo": 2**41, "pageNumber": 0, "pageSize": 1000}


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """Let tests reach the simulator, a real server on 127.0.0.1."""


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    async with GatewaySimulator() as simulator:
        yield simulator


async def _login(http: aiohttp.ClientSession, sim: GatewaySimulator) -> str:
    """Log in; return the CSRF token that POSTs need."""
    path = "/api/login" if sim.mode is Mode.CLASSIC else "/api/auth/login"
    body = {"username": sim.username, "password": PASSWORD}
    async with http.post(sim.url + path, json=body) as response:
        assert response.status == 200
        return response.headers["X-CSRF-Token"]


def _stream_url(sim: GatewaySimulator, site: str = "default") -> str:
    prefix = "" if sim.mode is Mode.CLASSIC else "/proxy/network"
    return f"{sim.url}{prefix}/wss/s/{site}/events"


async def _receive(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    return await socket.receive(timeout=HANG_GUARD)


async def _receive_json(socket: aiohttp.ClientWebSocketResponse) -> Any:
    message = await _receive(socket)
    assert message.type is aiohttp.WSMsgType.TEXT
    return json.loads(message.data)


def _taken(messages: list[aiohttp.WSMessage]) -> list[dict[str, Any]]:
    """Take what a correct client takes: every object row of every well-formed `events` frame."""
    rows = []
    for message in messages:
        if message.type is not aiohttp.WSMsgType.TEXT:
            continue
        try:
            frame = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(frame, dict) or not isinstance(frame.get("meta"), dict):
            continue
        data = frame.get("data")
        if frame["meta"].get("message") != "events" or not isinstance(data, list):
            continue
        rows += [row for row in data if isinstance(row, dict)]
    return rows


async def test_the_socket_accepts_compression(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    async with http.ws_connect(_stream_url(sim), compress=12) as deflated:
        assert deflated.compress  # permessage-deflate agreed, as aiounifi asks for it
        async with http.ws_connect(_stream_url(sim)) as plain:
            assert plain.compress == 0  # aiohttp's default asks for none
            sim.append_event("EVT_AP_Lost_Contact")
            assert (await _receive_json(plain))["data"][0]["key"] == "EVT_AP_Lost_Contact"
        assert (await _receive_json(deflated))["data"][0]["key"] == "EVT_AP_Lost_Contact"


async def test_noise_frames_arrive_and_can_precede_every_event(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    async with http.ws_connect(_stream_url(sim)) as socket:
        sim.live.push_noise("default")
        clients = await _receive_json(socket)
        devices = await _receive_json(socket)
        empty = await _receive(socket)
        assert clients == {"meta": {"rc": "ok", "message": "sta:sync"}, "data": [NOISE_CLIENT]}
        assert devices == {"meta": {"rc": "ok", "message": "device:sync"}, "data": [NOISE_DEVICE]}
        assert (empty.type, empty.data) == (aiohttp.WSMsgType.TEXT, "")

        sim.live.noisy = True
        rows = [sim.append_event("EVT_AP_Lost_Contact") for _ in range(3)]
        received = [await _receive(socket) for _ in range(6)]
        async with asyncio.timeout(HANG_GUARD):
            await sim.live.wait_sent(9, site="default")
    assert [json.loads(m.data)["meta"]["message"] for m in received[:4:2]] == [
        "sta:sync",
        "device:sync",
    ]
    assert received[4].data == ""
    assert _taken(received) == rows  # the noise carried nothing to take
    assert [json.loads(m.data)["data"] for m in received[1::2]] == [[row] for row in rows]


async def test_an_ips_alert_also_arrives_as_an_alert_frame(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    async with http.ws_connect(_stream_url(sim)) as socket:
        ips = sim.append_ips_alert()
        events = await _receive_json(socket)
        alert = await _receive_json(socket)
        sim.live.push_alert("default", [{"key": "CLIENT_CONNECTED", "timestamp": 1}])
        raw = await _receive_json(socket)
    assert events["meta"]["message"] == "events"
    assert events["data"] == [sim.events[-1]]
    assert alert["meta"] == {"rc": "ok", "message": "alert"}
    (alarm,) = alert["data"]
    assert alarm == next(row for row in sim.alarms if row["_id"] == alarm["_id"])
    assert alarm["inner_alert_signature"] == ips["inner_alert_signature"]
    assert alarm["_id"] not in {events["data"][0]["_id"], ips["_id"]}  # each store has its id
    assert raw == {
        "meta": {"rc": "ok", "message": "alert"},
        "data": [{"key": "CLIENT_CONNECTED", "timestamp": 1}],
    }


async def test_several_rows_travel_in_one_frame(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    async with http.ws_connect(_stream_url(sim)) as socket:
        rows = sim.append_events(
            "EVT_AP_Lost_Contact",
            ("EVT_SW_DetectRogueDHCP", {"msg": "Rogue DHCP server detected"}),
            "EVT_WU_Roam",
        )
        frame = await _receive_json(socket)
        async with asyncio.timeout(HANG_GUARD):
            await sim.live.wait_sent(1)
    assert frame == {"meta": {"rc": "ok", "message": "events"}, "data": rows}
    assert [row["key"] for row in rows] == [
        "EVT_AP_Lost_Contact",
        "EVT_SW_DetectRogueDHCP",
        "EVT_WU_Roam",
    ]
    assert rows[1]["msg"] == "Rogue DHCP server detected"
    assert all(row in sim.events for row in rows)  # filed like single appends
    assert sim.live.sent_total == 1


async def _rest_answers(
    http: aiohttp.ClientSession, sim: GatewaySimulator, csrf: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fetch the whole `stat/event` and v2 system-log answers of the default site."""
    base = sim.url + "/proxy/network"
    async with http.get(f"{base}/api/s/default/stat/event") as response:
        events = (await response.json())["data"]
    async with http.post(
        f"{base}/v2/api/site/default/system-log/all",
        json=EVERYTHING,
        headers={"X-CSRF-Token": csrf},
    ) as response:
        system_log = (await response.json())["data"]
    return events, system_log


async def test_live_only_events_are_pushed_but_filed_nowhere(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    csrf = await _login(http, sim)
    before = await _rest_answers(http, sim, csrf)
    stores = (len(sim.events), len(sim.system_log), len(sim.alarms), len(sim.ips_events))
    async with http.ws_connect(_stream_url(sim)) as socket:
        connected = sim.append_event("EVT_WU_Connected", live_only=True)
        roams = sim.append_events("EVT_WU_Roam", "EVT_WU_Roam", live_only=True)
        first = await _receive_json(socket)
        second = await _receive_json(socket)
    assert first["data"] == [connected]
    assert second["data"] == roams
    assert connected["key"] == "EVT_WU_Connected"
    assert (len(sim.events), len(sim.system_log), len(sim.alarms), len(sim.ips_events)) == stores
    assert await _rest_answers(http, sim, csrf) == before

    filed = sim.append_event("EVT_WU_Connected")  # the same key, filed: REST shows it
    events, system_log = await _rest_answers(http, sim, csrf)
    assert events[0] == filed
    assert len(system_log) == len(before[1]) + 1


async def test_dropping_closes_every_socket_and_counts(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(scenario="multisite") as sim:
        await _login(http, sim)
        first, second = sim.site_names[:2]
        sockets = [
            await http.ws_connect(_stream_url(sim, first)),
            await http.ws_connect(_stream_url(sim, second)),
        ]
        try:
            dropped, *closes = await asyncio.gather(
                sim.live.drop_all(), *(_receive(socket) for socket in sockets)
            )
        finally:
            for socket in sockets:
                await socket.close()
        assert dropped == 2
        assert sim.live.drops == 2
        for close in closes:
            assert close.type is aiohttp.WSMsgType.CLOSE
            assert close.data == aiohttp.WSCloseCode.GOING_AWAY
        assert sim.live.open_count == 0

        async with http.ws_connect(_stream_url(sim, first)) as socket:  # the session survived
            row = sim.append_event("EVT_AP_Lost_Contact", site=first)
            assert (await _receive_json(socket))["data"] == [row]
        assert await sim.live.drop_all() == 0  # nothing open: nothing dropped
        assert (sim.live.drops, sim.live.connections) == (2, 3)


@pytest.mark.parametrize("status", [502, 503])
async def test_a_refused_upgrade_answers_the_status_and_upgrades_nothing(
    http: aiohttp.ClientSession, sim: GatewaySimulator, status: int
) -> None:
    await _login(http, sim)
    sim.live.refuse_status = status
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with http.get(_stream_url(sim), headers=headers) as response:
        assert response.status == status
        assert str(status) in await response.text()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(_stream_url(sim))
    assert refused.value.status == status
    assert (sim.live.refusals, sim.live.connections, sim.live.open_count) == (2, 0, 0)

    http.cookie_jar.clear()  # authentication still comes first
    with pytest.raises(aiohttp.WSServerHandshakeError) as unauthorised:
        await http.ws_connect(_stream_url(sim))
    assert unauthorised.value.status == 401
    assert sim.live.refusals == 2

    await _login(http, sim)
    sim.live.refuse_status = None  # booted
    async with http.ws_connect(_stream_url(sim)):
        assert sim.live.connections == 1


@pytest.mark.parametrize("compress", [12, 0])
async def test_a_huge_frame_breaks_the_default_limit_and_passes_a_raised_one(
    http: aiohttp.ClientSession, sim: GatewaySimulator, compress: int
) -> None:
    await _login(http, sim)
    url = _stream_url(sim)
    async with (
        http.ws_connect(url, compress=compress) as default,
        http.ws_connect(url, compress=compress, max_msg_size=RAISED_LIMIT) as raised,
    ):
        rows = sim.push_huge_frame()
        failed = await _receive(default)
        message = await _receive(raised)
        after = sim.append_event("EVT_AP_Lost_Contact")
        assert (await _receive_json(raised))["data"] == [after]  # the socket reads on
    assert HUGE_FRAME_BYTES > CLIENT_DEFAULT_LIMIT  # `default` kept aiohttp's default limit
    assert failed.type is aiohttp.WSMsgType.ERROR
    assert isinstance(failed.data, aiohttp.WebSocketError)
    assert failed.data.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert message.type is aiohttp.WSMsgType.TEXT
    assert RAISED_LIMIT > len(message.data.encode()) >= HUGE_FRAME_BYTES > 5 * 1024 * 1024
    assert json.loads(message.data) == {"meta": {"rc": "ok", "message": "events"}, "data": rows}
    assert [row["key"] for row in rows] == ["EVT_AP_Lost_Contact", "EVT_IPS_IpsAlert"]
    assert PADDING_FIELD in rows[-1]
    assert PADDING_FIELD not in rows[0]
    assert not any(row["_id"] == rows[0]["_id"] for row in sim.events)  # live only


async def test_garbage_frames_arrive_in_order_and_one_row_is_worth_taking(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    async with http.ws_connect(_stream_url(sim)) as socket:
        taken = sim.push_garbage()
        received = [await _receive(socket) for _ in range(9)]
        after = sim.append_event("EVT_AP_Lost_Contact")
        received.append(await _receive(socket))
    kinds = [message.type for message in received]
    assert kinds == [aiohttp.WSMsgType.TEXT] * 8 + [aiohttp.WSMsgType.BINARY] + [
        aiohttp.WSMsgType.TEXT
    ]
    texts = [message.data for message in received[:8]]
    assert texts[0] == ""
    for text in texts[1:3]:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    assert isinstance(json.loads(texts[3]), list)
    assert "meta" not in json.loads(texts[4])
    assert "data" not in json.loads(texts[5])
    assert isinstance(json.loads(texts[6])["data"], str)
    assert taken[0] in json.loads(texts[7])["data"]
    assert [row["key"] for row in taken] == ["EVT_AP_Lost_Contact"]
    assert _taken(received) == [*taken, after]


async def test_garbage_is_exactly_the_documented_sequence(
    http: aiohttp.ClientSession, sim: GatewaySimulator
) -> None:
    await _login(http, sim)
    valid = {"_id": "valid", "key": "EVT_AP_Lost_Contact"}
    decoy = {"_id": "decoy", "key": "EVT_IPS_IpsAlert"}
    frames = garbage_frames(valid, decoy)
    async with http.ws_connect(_stream_url(sim)) as socket:
        assert sim.live.push_garbage("default", valid, decoy) == [valid]
        received = [(await _receive(socket)).data for _ in frames]
        async with asyncio.timeout(HANG_GUARD):
            await sim.live.wait_sent(len(frames), site="default")
    assert received == frames
    assert sim.live.sent == {"default": len(frames)}


async def test_frames_count_per_site_and_each_socket(http: aiohttp.ClientSession) -> None:
    async with GatewaySimulator(scenario="multisite") as sim:
        await _login(http, sim)
        first, second = sim.site_names[:2]
        async with (
            http.ws_connect(_stream_url(sim, first)) as a,
            http.ws_connect(_stream_url(sim, first)) as b,
            http.ws_connect(_stream_url(sim, second)) as c,
        ):
            sim.append_event("EVT_AP_Lost_Contact", site=first)
            sim.append_event("EVT_AP_Lost_Contact", site=second)
            sim.live.push_noise(second)
            async with asyncio.timeout(HANG_GUARD):
                await sim.live.wait_sent(2, site=first)
                await sim.live.wait_sent(6)
            for socket in (a, b, c):
                assert (await _receive_json(socket))["meta"]["message"] == "events"
        assert sim.live.sent == {first: 2, second: 4}
        assert sim.live.sent_total == 6
