"""Answers larger than ``DECODE_ON_LOOP_BYTES`` are decoded on a worker thread, smaller on the loop.

Where a body was decoded is told by the thread ``_decode`` ran on, never by how long it took.
The outcome does not depend on the thread: the same value, or the same error through
``request()`` for whatever status an invalid body comes with.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from aiohttp import web

from custom_components.unifi_scanner.scanner import transport
from custom_components.unifi_scanner.scanner.auth import ApiKey
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.envelope import _decode
from custom_components.unifi_scanner.scanner.exceptions import (
    ScannerAuthenticationError,
    ScannerError,
    ScannerResponseError,
    ScannerUnsupportedError,
)
from custom_components.unifi_scanner.scanner.transport import DECODE_ON_LOOP_BYTES, _decoded
from tests.scanner.live_support import make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from tests.simulator import GatewaySimulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

OS_LOG_PATH = "/proxy/network/v2/api/site/default/system-log/all"

type Decoded = list[tuple[int, int]]


def watch_decoding(monkeypatch: pytest.MonkeyPatch) -> Decoded:
    """Record ``(body size, thread)`` of every body the transport decodes."""
    decoded: Decoded = []

    def recorded(body: bytes) -> Any:
        decoded.append((len(body), threading.get_ident()))
        return _decode(body)

    monkeypatch.setattr(transport, "_decode", recorded)
    return decoded


def sized(size: int) -> bytes:
    """Build a JSON document of exactly ``size`` bytes: a list of rows and one padding string."""
    rows = [{"_id": f"{n:024x}", "key": "EVT_WU_Connected", "time": n} for n in range(size // 80)]
    head = orjson.dumps({"data": rows, "pad": ""})
    assert len(head) <= size
    return head[:-2] + b"x" * (size - len(head)) + b'"}'


# --- _decoded on its own -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "on_loop"),
    [
        (2, True),
        (4_096, True),
        (DECODE_ON_LOOP_BYTES, True),
        (DECODE_ON_LOOP_BYTES + 1, False),
        (3 * DECODE_ON_LOOP_BYTES, False),
    ],
)
async def test_only_a_body_above_the_bound_is_decoded_on_a_worker(
    monkeypatch: pytest.MonkeyPatch, size: int, *, on_loop: bool
) -> None:
    loop_thread = threading.get_ident()
    decoded = watch_decoding(monkeypatch)
    body = b"{}" if size == 2 else sized(size)
    assert len(body) == size

    value = await _decoded(body)

    assert value == orjson.loads(body) == json.loads(body)
    ((length, thread),) = decoded
    assert length == size
    assert (thread == loop_thread) is on_loop


async def test_a_lone_surrogate_in_a_large_body_is_read_on_the_worker_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parser orjson refuses it; the standard one, its fallback, runs on the worker too."""
    loop_thread = threading.get_ident()
    decoded = watch_decoding(monkeypatch)
    body = sized(2 * DECODE_ON_LOOP_BYTES).replace(b'"pad":"', b'"pad":"\\ud800', 1)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)

    value = await _decoded(body)

    assert value == json.loads(body)
    assert value["pad"].startswith("\ud800")
    ((_length, thread),) = decoded
    assert thread != loop_thread


@pytest.mark.parametrize("size", [64, DECODE_ON_LOOP_BYTES + 1])
async def test_invalid_json_raises_the_same_on_either_thread(size: int) -> None:
    body = b"[" + b"1," * (size // 2)
    body = body[:size]
    with pytest.raises(orjson.JSONDecodeError, match=r"unexpected end") as caught:
        await _decoded(body)
    with pytest.raises(orjson.JSONDecodeError, match=r"unexpected end") as direct:
        _decode(body)
    assert type(caught.value) is type(direct.value)
    assert str(caught.value) == str(direct.value)


# --- through request() against the simulator -----------------------------------------------------


async def test_pages_of_a_backlog_are_decoded_on_a_worker_with_the_same_result(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    client = make_client(sim, http)
    await client.login()
    query = {"_limit": 3000, "within": 48, "_sort": "-time"}
    decoded = watch_decoding(monkeypatch)
    large = await client.request("POST", "stat/event", json=query)
    small = await client.request("POST", "stat/event", json={**query, "_limit": 5})
    log = await client.request(
        "POST",
        "system-log/all",
        json={"pageSize": 1000, "pageNumber": 0, "timestampFrom": 0, "timestampTo": 2**45},
        v2=True,
    )

    sizes = [length for length, _thread in decoded]
    assert len(decoded) == 3
    assert sizes[0] > DECODE_ON_LOOP_BYTES
    assert sizes[1] <= DECODE_ON_LOOP_BYTES
    assert sizes[2] > DECODE_ON_LOOP_BYTES
    for length, thread in decoded:
        assert (thread == loop_thread) is (length <= DECODE_ON_LOOP_BYTES)
    assert len(large["data"]) == len(sim.events)
    assert large["data"][:5] == small["data"]

    # Every answer decoded on the loop gives the same values.
    monkeypatch.setattr(transport, "DECODE_ON_LOOP_BYTES", 2**40)
    decoded.clear()
    assert await client.request("POST", "stat/event", json=query) == large
    assert (
        await client.request(
            "POST",
            "system-log/all",
            json={"pageSize": 1000, "pageNumber": 0, "timestampFrom": 0, "timestampTo": 2**45},
            v2=True,
        )
        == log
    )
    assert {thread for _length, thread in decoded} == {loop_thread}


async def test_a_large_malformed_answer_is_a_response_error(
    sim: GatewaySimulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator cuts the JSON in half: a large page is still invalid, on the worker."""
    loop_thread = threading.get_ident()
    client = make_client(sim, http)
    await client.login()
    decoded = watch_decoding(monkeypatch)
    sim.faults.malformed_json = True
    sim.faults.paths = ("system-log/all",)
    query = {"pageSize": 1000, "pageNumber": 0, "timestampFrom": 0, "timestampTo": 2**45}
    with pytest.raises(ScannerResponseError, match="not valid JSON") as large:
        await client.request("POST", "system-log/all", json=query, v2=True)
    with pytest.raises(ScannerResponseError, match="not valid JSON") as small:
        await client.request("POST", "system-log/all", json={**query, "pageSize": 2}, v2=True)
    assert str(large.value) == str(small.value)
    assert str(large.value) == f"The gateway's answer to {OS_LOG_PATH} was not valid JSON"
    (big_size, big_thread), (small_size, small_thread) = decoded
    assert big_size > DECODE_ON_LOOP_BYTES >= small_size
    assert big_thread != loop_thread
    assert small_thread == loop_thread
    assert sim.requests[OS_LOG_PATH] == 2  # an invalid body is not asked for again


# --- through request() against a gateway answering any status with any body ---------------------


class Answers:
    """A UniFi OS console whose every API answer is ``status`` with ``body``."""

    def __init__(self) -> None:
        """Answer 200 with an empty JSON object until told otherwise."""
        self.status = 200
        self.body = b"{}"
        self.port = 0

    async def detect(self, _request: web.Request) -> web.Response:
        """Answer ``GET /`` as a UniFi OS console does."""
        return web.Response(text="<html>UniFi OS</html>", content_type="text/html")

    async def answer(self, _request: web.Request) -> web.Response:
        """Answer an API request with the status and body set."""
        return web.Response(status=self.status, body=self.body, content_type="application/json")


@pytest.fixture
async def answers() -> AsyncIterator[Answers]:
    gateway = Answers()
    app = web.Application()
    app.router.add_get("/", gateway.detect)
    app.router.add_route("*", "/proxy/network/{tail:.*}", gateway.answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    gateway.port = int(runner.addresses[0][1])
    try:
        yield gateway
    finally:
        await runner.cleanup()


def causes(err: BaseException) -> list[BaseException]:
    """Return the chain of exceptions ``err`` was raised from."""
    chain: list[BaseException] = []
    while err.__cause__ is not None:
        err = err.__cause__
        chain.append(err)
    return chain


def invalid(size: int) -> bytes:
    """Return ``size`` bytes that start like an envelope and never end."""
    head = b'{"meta": {"rc": "ok"}, "data": ['
    return (head + b'{"key": "EVT_WU_Connected"},' * (size // 28 + 1))[:size]


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (200, ScannerResponseError, "was not valid JSON"),
        (404, ScannerUnsupportedError, "does not offer"),
        (500, ScannerResponseError, "answered HTTP 500"),
        (502, ScannerResponseError, "answered HTTP 502"),
        (401, ScannerAuthenticationError, "rejected the API key"),
        (403, ScannerAuthenticationError, "rejected the API key"),
    ],
)
async def test_invalid_bodies_map_to_the_same_error_large_or_small(
    answers: Answers,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    error: type[ScannerError],
    message: str,
) -> None:
    loop_thread = threading.get_ident()
    client = UnifiClient(
        session=http,
        host="127.0.0.1",
        port=answers.port,
        scheme="http",
        credentials=ApiKey("k-0123456789"),
    )
    decoded = watch_decoding(monkeypatch)
    answers.status = status
    raised: list[ScannerError] = []
    for size in (DECODE_ON_LOOP_BYTES * 2, 100):
        answers.body = invalid(size)
        with pytest.raises(error, match=message) as caught:
            await client.request("GET", "stat/event")
        raised.append(caught.value)

    large, small = raised
    assert type(large) is type(small) is error
    assert str(large) == str(small)
    assert any(isinstance(cause, ValueError) for cause in causes(large))  # the decoding failed
    assert any(isinstance(cause, ValueError) for cause in causes(small))
    assert [size for size, _thread in decoded] == [DECODE_ON_LOOP_BYTES * 2, 100]
    assert [thread == loop_thread for _size, thread in decoded] == [False, True]
