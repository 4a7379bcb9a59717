"""Fuzz the client's answer handling and the analysis behind it with arbitrary gateway replies.

A fake transport (standing in for the aiohttp session, the client's only dependency) answers
every request with a status and body drawn by hypothesis: arbitrary JSON, envelopes shaped like
the real ones but filled with anything, and bytes that are not JSON at all. Whatever comes back,
the client either returns a result that the engine, the report and the renderers accept, or
raises one of its own ``ScannerError`` subclasses; nothing else ever escapes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Self, cast

import orjson
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from custom_components.unifi_scanner.scanner.auth import LocalAccount
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.exceptions import ScannerError
from custom_components.unifi_scanner.scanner.render import render_markdown, report_to_dict
from custom_components.unifi_scanner.scanner.report import build_report

if TYPE_CHECKING:
    import aiohttp

_CATALOGUE = load_catalogue()
_NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
_STATUSES = (
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    400,
    401,
    403,
    404,
    429,
    499,
    500,
    502,
)

# Any JSON value, with the names and numbers real items use showing up often.
_keys = st.sampled_from(
    ["_id", "id", "key", "time", "timestamp", "datetime", "msg", "message", "data", "meta",
     "rc", "count", "code", "hostname", "ap", "ap_name", "mac", "name", "ip", "src_ip",
     "inner_alert_signature", "inner_alert_action", "parameters", "severity", "category",
     "state", "temperatures", "system-stats", "total_page_count", "errorCode", "subsystem"]
) | st.text(max_size=12)  # fmt: skip
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["EVT_IPS_IpsAlert", "EVT_AP_Lost_Contact", "ok", "error", "HIGH", ""])
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=25,
)
_window_ms = st.integers(
    min_value=int((_NOW - timedelta(hours=1)).timestamp() * 1000),
    max_value=int(_NOW.timestamp() * 1000),
)
_text = st.text(max_size=30) | st.sampled_from(["<script>", "{{ x }}", "\x1b[2J", "a" * 300])
# Items shaped like real ones (so the normaliser and the rules get to work), fields fuzzed.
_plausible_items = st.lists(
    st.fixed_dictionaries(
        {
            "_id": st.text(min_size=1, max_size=24),
            "id": st.text(min_size=1, max_size=24),
            "time": _window_ms,
            "timestamp": _window_ms,
            "key": st.sampled_from(
                [
                    "EVT_IPS_IpsAlert",
                    "EVT_AP_Lost_Contact",
                    "EVT_AD_LoginFailed",
                    "EVT_SW_DetectRogueDHCP",
                    "EVT_WU_Roam",
                    "EVT_GW_WANTransition",
                    "CLIENT_CONNECTED",
                    "THREAT_DETECTED",
                    "DEVICE_OFFLINE",
                ]
            )
            | _text,
        },
        optional={
            "msg": _text,
            "message": _text,
            "hostname": _text,
            "ap": _text,
            "ap_name": _text,
            "sw": _text,
            "admin": _text,
            "ip": _text,
            "src_ip": _text,
            "inner_alert_signature": _text,
            "inner_alert_action": st.sampled_from(["blocked", "allowed"]) | _json,
            "inner_alert_severity": _json,
            "parameters": _json,
            "severity": _json,
            "mac": _text,
            "name": _text,
            "state": _json,
            "temperatures": _json,
            "system-stats": _json,
            "subsystem": _json,
            "status": _json,
        },
    ),
    max_size=8,
)
_items = st.lists(st.dictionaries(_keys, _json, max_size=8), max_size=6)
_plausible = st.fixed_dictionaries(
    {
        "meta": st.fixed_dictionaries({"rc": st.just("ok")}, optional={"count": _json}),
        "data": _plausible_items,
    },
    optional={"total_page_count": st.integers(0, 3) | _json},
)
_legacy = st.fixed_dictionaries(
    {"meta": st.fixed_dictionaries({"rc": st.sampled_from(["ok", "OK", "error", 1])})},
    optional={"data": _items | _json, "count": _json},
)
_v2 = st.fixed_dictionaries(
    {"data": _items | _json},
    optional={"total_page_count": _json, "errorCode": _json, "page_number": _json},
)


def _encode(value: Any) -> bytes:
    """Serialise as a gateway might: big integers and escaped lone surrogates included."""
    return json.dumps(value).encode()


_bodies = (
    _plausible.map(_encode)
    | _plausible.map(_encode)
    | _plausible.map(_encode)
    | _legacy.map(_encode)
    | _v2.map(_encode)
    | _json.map(_encode)
    | st.binary(max_size=60)
    | st.sampled_from([b"", b"{", b"[1,", b'{"meta":', b"<html>502</html>", b'"\\ud800"'])
)
_answers = st.lists(st.tuples(st.sampled_from(_STATUSES), _bodies), min_size=1, max_size=12)


@dataclass
class _Response:
    status: int
    body: bytes
    headers: CIMultiDictProxy[str] = field(
        default_factory=lambda: CIMultiDictProxy(CIMultiDict({"X-CSRF-Token": "csrf"}))
    )
    cookies: SimpleCookie = field(default_factory=SimpleCookie)

    async def read(self) -> bytes:
        return self.body

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


@dataclass
class _Transport:
    """A well-behaved console for detection and login; drawn answers for everything else."""

    answers: list[tuple[int, bytes]]
    login: tuple[int, bytes] = (200, b'{"username": "admin"}')
    served: int = 0

    def request(self, method: str, url: Any, **_kwargs: Any) -> _Response:
        path = url.path
        if path == "/" and method == "GET":
            return _Response(200, b"<!doctype html><title>UniFi OS</title>")
        if path == "/api/auth/login":
            return _Response(*self.login)
        status, body = self.answers[self.served % len(self.answers)]
        self.served += 1
        return _Response(status, body)


def _client(transport: _Transport) -> UnifiClient:
    return UnifiClient(
        session=cast("aiohttp.ClientSession", transport),
        host="192.0.2.1",
        credentials=LocalAccount("admin", "fuzz-secret"),
    )


async def _scan(transport: _Transport) -> int:
    """Collect, analyse, report and render, as one scan of the integration does."""
    fetched = await _client(transport).fetch_since(_NOW - timedelta(hours=1), until=_NOW)
    analysis = analyze(
        fetched.entries,
        catalogue=_CATALOGUE,
        devices=fetched.devices,
        health=fetched.health,
        now=_NOW,
    )
    report = build_report(
        analysis,
        gateway="gw",
        site="site",
        period_start=fetched.since,
        period_end=fetched.until,
        generated_at=_NOW,
    )
    render_markdown(report, max_chars=4000)
    orjson.dumps(report_to_dict(report))
    return len(fetched.entries)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(answers=_answers)
# Found by this test: an IPS row whose ``_id`` is a list once crashed the IPS paging.
@example(
    answers=[
        (200, b'{"meta": {"rc": "ok"}, "data": []}'),
        (200, b'{"meta":{"rc":"ok"},"data":[{"_id":[]}]}'),
    ]
)
def test_any_answer_gives_a_result_or_a_scanner_error(answers: list[tuple[int, bytes]]) -> None:
    transport = _Transport(answers)
    try:
        entries = asyncio.run(_scan(transport))
    except ScannerError as err:
        event(f"raised {type(err).__name__}")
    else:
        event("scanned, entries found" if entries else "scanned, no entries")


@settings(max_examples=150, deadline=None, database=None)
@given(status=st.sampled_from((*_STATUSES, 302)), body=_bodies)
def test_any_login_answer_gives_a_session_or_a_scanner_error(status: int, body: bytes) -> None:
    transport = _Transport([(200, b'{"meta": {"rc": "ok"}, "data": []}')], login=(status, body))
    message = ""
    try:
        asyncio.run(_client(transport).login())
    except ScannerError as err:
        event(f"raised {type(err).__name__}")
        message = repr(err)
    else:
        event("logged in")
    assert "fuzz-secret" not in message


def test_lone_surrogates_are_read_and_deep_nesting_is_refused() -> None:
    item = {"_id": "a1", "key": "EVT_AD_LoginFailed", "time": 1_777_636_800_000, "admin": "\ud800"}
    readable = (200, json.dumps({"meta": {"rc": "ok"}, "data": [item]}).encode())
    assert asyncio.run(_scan(_Transport([readable]))) > 0  # one hostile name stops nothing
    deep = (200, b'{"meta": {"rc": "ok"}, "data": ["\\ud800", ' + b"[" * 100_000 + b"]")
    with pytest.raises(ScannerError):
        asyncio.run(_scan(_Transport([deep])))
