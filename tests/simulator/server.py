"""The simulated gateway: an aiohttp server on 127.0.0.1 that answers like a UniFi console.

Everything a request goes through is in `_chokepoint` (request counting and faults)
and `_dispatch` (flavour, authentication, CSRF, routing) so the behaviour per mode
can be read top to bottom in one place.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import collections
import copy
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, cast

import orjson
from aiohttp import web

from .captured import render_captured, row_time, sort_key
from .catalog import V2_CATEGORIES
from .events import EventFactory, Occurrence, to_ms
from .faults import Faults, Gate, Mode
from .live import HUGE_FRAME_BYTES, LiveStreams
from .scenario import Scenario, SiteSpec, load_scenario
from .tls import server_ssl_context

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Route = Callable[[web.Request, "_SiteState", dict[str, Any]], web.Response]

EVENT_CAP = 3000
"""Rows a `stat/event` answer holds at most, whatever `_limit` asks for."""
IPS_CAP = 10000
SYSLOG_PAGE_CAP = 1000
PREFIX = "/proxy/network"
LOGIN_PATHS = frozenset({"/api/auth/login", "/api/login"})
_AUTH_PATHS = LOGIN_PATHS | {"/api/auth/logout", "/api/logout", "/logout"}
_EXEMPT_PATHS = _AUTH_PATHS | {"/", "/manage"}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LIMIT_BODY = {
    "code": "AUTHENTICATION_FAILED_LIMIT_REACHED",
    "message": "You've reached the login attempt limit",
    "level": "debug",
}
_INVALID_CREDENTIALS = {
    "code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS",
    "message": "Invalid username or password",
    "level": "debug",
}
_UNAUTHORIZED = {"error": {"code": 401, "message": "Unauthorized"}}
API_KEY_HEADER = "X-API-KEY"
DEFAULT_API_KEY = "sImK3y7Qx2Lm9Vb1Nc8Rt5Wz0Yh6pE4u"
"""A made-up key shaped like a console's: 32 URL-safe characters."""
_STREAM_ROUTE = re.compile(r"^/wss/s/(?P<site>[^/]+)/events$")
_HUGE_FRAME_KEYS = ("EVT_AP_Lost_Contact", "EVT_IPS_IpsAlert")
_NOT_FOUND_HTML = (
    "<!doctype html><html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1></body></html>"
)
_UNIFI_OS_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>UniFi OS</title><script>window.UNIFI_OS_MANIFEST = "
    '{"id":"UDMPRO","name":"UniFi Dream Machine Pro","version":"4.1.13"};'
    '</script></head><body><div id="root"></div></body></html>'
)
_CLASSIC_HTML = (
    "<!doctype html><html><head><title>UniFi Network</title></head>"
    '<body><div id="login"></div></body></html>'
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(slots=True)
class _Session:
    csrf: str


@dataclass
class _SiteState:
    """The stores of one site, each kept oldest first."""

    spec: SiteSpec
    factory: EventFactory
    devices: list[dict[str, Any]]
    health: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    system_log: list[dict[str, Any]] = field(default_factory=list)
    ips_events: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)

    def add(self, occ: Occurrence, *, in_order: bool = False) -> None:
        """File one occurrence in every store that keeps it."""
        for source, item in (
            ("event", occ.legacy),
            ("system_log", occ.v2),
            ("ips", occ.ips),
            ("alarm", occ.alarm),
        ):
            if item is None:
                continue
            if in_order:
                self.store(source).append(item)
            else:
                self.file(source, item)

    def store(self, source: str) -> list[dict[str, Any]]:
        """Return the store of `source`: system_log, event, alarm or ips."""
        stores = {
            "system_log": self.system_log,
            "event": self.events,
            "alarm": self.alarms,
            "ips": self.ips_events,
        }
        return stores[source]

    def file(self, source: str, row: dict[str, Any]) -> None:
        """Insert one raw row in time order; a row without a time goes before all others."""
        bisect.insort(self.store(source), row, key=sort_key(source))


class _RequestError(Exception):
    """A request field the real controller would refuse."""


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if value is None:
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError) as err:
        msg = f"{name} must be a number"
        raise _RequestError(msg) from err


def _envelope(data: list[Any], **meta: Any) -> web.Response:
    return _json({"meta": {"rc": "ok", **meta}, "data": data})


def _json(payload: object) -> web.Response:
    """Answer JSON encoded as fast as a console would (pages of a backlog are megabytes).

    Anything orjson will not encode (a test's deliberately odd value) goes through the standard
    encoder instead, as before.
    """
    try:
        body = orjson.dumps(payload)
    except TypeError:
        return web.json_response(payload)
    return web.Response(body=body, content_type="application/json")


def _legacy_error(msg: str, status: int = 400) -> web.Response:
    return web.json_response({"meta": {"rc": "error", "msg": msg}, "data": []}, status=status)


def _not_found() -> web.Response:
    return web.Response(status=404, text=_NOT_FOUND_HTML, content_type="text/html")


class GatewaySimulator:
    """A realistic UniFi gateway for tests and local development."""

    def __init__(
        self,
        *,
        mode: Mode = Mode.UNIFI_OS,
        scenario: str | Scenario = "home",
        seed: int = 1,
        username: str = "admin",
        password: str = "correct horse battery staple",  # noqa: S107
        tls: bool = True,
        login_limit: int = 10,
        now: Callable[[], dt.datetime] | None = None,
        port: int = 0,
        cookie_name: str = "TOKEN",
        api_key: str | None = DEFAULT_API_KEY,
    ) -> None:
        """Build the data for `scenario` (deterministic for `seed`) relative to now().

        `scenario` is a shipped scenario's name, or a `Scenario` made by `build_scenario`.
        """
        self.mode = mode
        self.username = username
        self.password = password
        self.tls = tls
        self.login_limit = login_limit
        self.host = "127.0.0.1"
        self.port = port
        self.cookie_name = cookie_name
        """UniFi OS session cookie name: `TOKEN`, or `UOS_TOKEN` on UniFi OS 4.x."""
        self.api_key = api_key
        """The key made on the console (UniFi OS modes only); None when there is none."""
        self.api_key_requests = 0
        """Requests accepted on the strength of `X-API-KEY` alone."""
        self.websocket_accepts_api_key = False
        """Whether the event websocket takes a key (unverified on real consoles: off)."""
        self.live = LiveStreams()
        self.faults = Faults()
        self._gates: list[Gate] = []
        self.mfa_required = False
        self.mfa_code = "123456"
        """The one-time code accepted as `token` (`ubic_2fa_token` on classic)."""
        self.ips_legacy_empty = False
        """Answer `stat/ips/event` with an empty list, as late Network 9 builds do."""
        self.login_attempts = 0
        self.login_successes = 0
        self.requests: collections.Counter[str] = collections.Counter()
        # Per store and source: the store's shape when its row times were read, and the times.
        self._row_times: dict[tuple[int, str], tuple[tuple[int, int, int], list[int | None]]] = {}
        self._now = now or _utcnow
        self._scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self._limiter = 0
        self._fault_seen = 0
        self._rotate_pending = False
        self._password_revision = 1
        self._sessions: dict[str, _Session] = {}
        self._jwt_secret = secrets.token_bytes(32)
        self._user_id = str(uuid.UUID(int=seed))
        self._runner: web.AppRunner | None = None
        self._sites = {spec.name: self._build_site(spec, seed) for spec in self._scenario.sites}

    # -- lifecycle --------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL a client is given, e.g. `https://127.0.0.1:PORT`."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind 127.0.0.1 (a free port unless one was given) and serve."""

        @web.middleware
        async def chokepoint(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._chokepoint(request, handler)

        app = web.Application(middlewares=[chokepoint])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # A client that gives up cancels its handler, so no request outlives stop().
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        ssl_context = server_ssl_context() if self.tls else None
        site = web.TCPSite(runner, self.host, self.port, ssl_context=ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Release every held request, close every connection and release the port."""
        for gate in self._gates:
            gate.release()
        self._gates.clear()
        await self.live.close_all()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start on entry."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop on exit."""
        await self.stop()

    # -- test controls ----------------------------------------------------------

    def hold(self, *paths: str) -> Gate:
        """Hold the requests for paths containing any of `paths` until the gate is released."""
        gate = Gate(paths)
        self._gates.append(gate)
        return gate

    def reset_login_limit(self) -> None:
        """Clear the login lockout, as the console does after some minutes."""
        self._limiter = 0

    def expire_sessions(self) -> None:
        """Invalidate every session: the next request with an old cookie gets 401."""
        self._sessions.clear()

    def rotate_csrf(self) -> None:
        """Issue a new CSRF token on the next API answer; the old one then fails."""
        self._rotate_pending = True

    def set_password(self, password: str) -> None:
        """Change the password; like a new password revision this ends all sessions."""
        self.password = password
        self._password_revision += 1
        self.expire_sessions()

    def append_event(
        self,
        key: str,
        *,
        at: dt.datetime | None = None,
        site: str = "default",
        live_only: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add one occurrence to every store that keeps it and push it live; return the legacy item.

        `fields` override generated ones; `device=` picks the device by name or MAC. With
        `live_only` the occurrence is only pushed to open sockets and filed in no store, as
        Network 10 sends Wi-Fi client events (EVT_WU_Connected, EVT_WU_Roam) only there.
        """
        return self.append_events((key, fields), at=at, site=site, live_only=live_only)[0]

    def append_events(
        self,
        *events: str | tuple[str, Mapping[str, Any]],
        at: dt.datetime | None = None,
        site: str = "default",
        live_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Like `append_event` for several keys at once, pushed together in one `events` frame.

        Each item is a key, or a key and its field overrides. Consoles batch rows this way, so
        a client must take every row of a frame's `data`. Returns the legacy items in order.
        """
        state = self._sites[site]
        when = to_ms(at or self._now())
        rows = []
        for event in events:
            key, fields = (event, {}) if isinstance(event, str) else event
            occ = state.factory.build(key, when, **fields)
            if not live_only:
                state.add(occ)
            rows.append(occ.legacy)
        self.live.push(site, rows)
        return rows

    def append_ips_alert(
        self, *, at: dt.datetime | None = None, site: str = "default", **fields: Any
    ) -> dict[str, Any]:
        """Add one IPS alert (also an event, alarm and v2 entry); return the IPS row.

        Open sockets get its legacy row in an `events` frame and, when it makes an alarm, the
        alarm row in an `alert` frame right after.
        """
        state = self._sites[site]
        occ = state.factory.build("EVT_IPS_IpsAlert", to_ms(at or self._now()), **fields)
        state.add(occ)
        self.live.push(site, [occ.legacy])
        if occ.alarm is not None:
            self.live.push_alert(site, [occ.alarm])
        assert occ.ips is not None
        return occ.ips

    def append_row(self, source: str, row: dict[str, Any], *, site: str = "default") -> None:
        """File one raw row as given in the `source` store; legacy events also go live.

        Nothing is rewritten: the row keeps whatever id and time it has, or lacks.
        """
        self._sites[site].file(source, row)
        if source == "event":
            self.live.push(site, [row])

    def push_huge_frame(
        self, *keys: str, site: str = "default", min_bytes: int = HUGE_FRAME_BYTES
    ) -> list[dict[str, Any]]:
        """Push one `events` frame of at least `min_bytes` (over 5 MiB); return its rows.

        The rows are fresh occurrences of `keys` (an AP lost contact and an IPS alert when none
        are given) filed in no store; the last carries the padding (`live.PADDING_FIELD`). A
        client with aiohttp's default 4 MiB `max_msg_size` fails, one with a raised limit reads
        the frame and should take every returned row.
        """
        state = self._sites[site]
        when = to_ms(self._now())
        built = [state.factory.build(key, when) for key in keys or _HUGE_FRAME_KEYS]
        return self.live.push_huge(site, [occ.legacy for occ in built], min_bytes=min_bytes)

    def push_garbage(
        self,
        *,
        key: str = "EVT_AP_Lost_Contact",
        decoy_key: str = "EVT_IPS_IpsAlert",
        site: str = "default",
    ) -> list[dict[str, Any]]:
        """Push `live.garbage_frames` to every socket of `site`; return the rows to take.

        A correct client takes one row, a fresh `key` occurrence, and leaves the `decoy_key`
        occurrence alone (it is only inside frames no client should read). Neither is filed in
        a store.
        """
        state = self._sites[site]
        when = to_ms(self._now())
        valid = state.factory.build(key, when).legacy
        decoy = state.factory.build(decoy_key, when).legacy
        return self.live.push_garbage(site, valid, decoy)

    def set_devices(self, devices: list[dict[str, Any]], *, site: str = "default") -> None:
        """Replace what `stat/device` returns (raw gateway dicts, used as given)."""
        self._sites[site].devices = devices

    @property
    def site_names(self) -> list[str]:
        """Short names of the sites this controller serves."""
        return list(self._sites)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Legacy `stat/event` store of the default site, oldest first."""
        return self._default.events

    @property
    def system_log(self) -> list[dict[str, Any]]:
        """v2 system-log store of the default site, oldest first."""
        return self._default.system_log

    @property
    def ips_events(self) -> list[dict[str, Any]]:
        """`stat/ips/event` store of the default site, oldest first."""
        return self._default.ips_events

    @property
    def alarms(self) -> list[dict[str, Any]]:
        """`list/alarm` store of the default site, oldest first."""
        return self._default.alarms

    @property
    def devices(self) -> list[dict[str, Any]]:
        """`stat/device` answer of the default site."""
        return self._default.devices

    @property
    def websocket_connections(self) -> int:
        """Event websocket upgrades accepted since the simulator was made."""
        return self.live.connections

    def site_store(self, site: str) -> _SiteState:
        """All stores of one site (for tests of multi-site scans)."""
        return self._sites[site]

    @property
    def _default(self) -> _SiteState:
        return self._sites.get("default") or next(iter(self._sites.values()))

    # -- data -------------------------------------------------------------------

    def _build_site(self, spec: SiteSpec, seed: int) -> _SiteState:
        factory = EventFactory(self._scenario, spec, seed)
        now = self._now()
        now_s = int(now.timestamp())
        devices = []
        for raw in copy.deepcopy(list(spec.devices)):
            offline_minutes = raw.pop("offline_minutes", 180)
            online = raw.get("state") == 1
            raw.setdefault("site_id", spec.id)
            raw.setdefault("adopted", True)
            raw["last_seen"] = now_s - (5 if online else int(offline_minutes * 60))
            raw.setdefault("_uptime", raw.get("uptime", 0))
            if not online:
                raw["start_disconnected_millis"] = raw["last_seen"] * 1000
            devices.append(raw)
        health = copy.deepcopy(list(spec.health))
        for item in health:
            if item.get("subsystem") == "www":
                item.setdefault("speedtest_lastrun", now_s - 3 * 3600)
        state = _SiteState(spec, factory, devices, health)
        occurrences = factory.random_occurrences(
            spec.event_count, end=now, span=dt.timedelta(hours=24)
        )
        for occ in occurrences:
            state.add(occ, in_order=True)
        for story in spec.story:
            at = to_ms(now - dt.timedelta(minutes=story.minutes_ago))
            state.add(factory.build(story.key, at, device=story.device, **story.fields))
        captured = render_captured(
            spec.captured, now=now, seed=f"{seed}:{self._scenario.name}:{spec.name}:captured"
        )
        for source, row in captured:
            state.file(source, row)
        return state

    def _version(self) -> str:
        versions = cast(dict[str, str], self._scenario.console["versions"])
        return versions[self.mode.value]

    # -- request pipeline -------------------------------------------------------

    async def _chokepoint(  # noqa: PLR0911 - one flat pipeline, read top to bottom
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Count the request, then apply any configured fault."""
        path = request.path
        self.requests[path] += 1
        await self._pass_gates(path)
        faults = self.faults
        if not faults.active:
            self._fault_seen = 0
            return await handler(request)
        if faults.paths:
            targeted = any(part in path for part in faults.paths)
        else:
            targeted = path not in _EXEMPT_PATHS
        if not targeted:
            return await handler(request)
        self._fault_seen += 1
        if self._fault_seen <= faults.fail_after:
            return await handler(request)
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if faults.drop_connection:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if faults.status is not None:
            return web.Response(
                status=faults.status,
                text=f"<html><body><h1>{faults.status}</h1>nginx</body></html>",
                content_type="text/html",
            )
        response = await handler(request)
        if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            return response
        body = response.body
        if faults.malformed_json:
            response.body = body[: max(1, len(body) // 2)]
        if faults.truncated_body:
            return await self._truncate(request, response)
        return response

    async def _pass_gates(self, path: str) -> None:
        """Wait at every gate that holds ``path`` until it is released."""
        for gate in self._gates:
            if gate.holds(path):
                gate.arrived.set()
                await gate.released.wait()

    @staticmethod
    async def _truncate(request: web.Request, response: web.Response) -> web.StreamResponse:
        """Promise the whole body, send half of it, then hang up."""
        body = cast(bytes, response.body)
        stream = web.StreamResponse(status=response.status, headers=response.headers)
        stream.content_length = len(body) + 1024
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.abort()
        return stream

    async def _dispatch(  # noqa: PLR0911, PLR0912 - the routing table of a console
        self, request: web.Request
    ) -> web.StreamResponse:
        """Route by flavour: auth endpoints, then authenticated Network paths."""
        path, method = request.path, request.method
        classic = self.mode is Mode.CLASSIC
        if path == "/" and method in _SAFE_METHODS:
            if classic:
                return web.Response(status=302, headers={"Location": "/manage"})
            return web.Response(text=_UNIFI_OS_HTML, content_type="text/html")
        if classic:
            if path == "/manage":
                return web.Response(text=_CLASSIC_HTML, content_type="text/html")
            if path == "/api/login" and method == "POST":
                return await self._login_classic(request)
            if path == "/status":
                return self._status()
            network_path = path
            if not path.startswith(("/api/", "/v2/", "/wss/", "/logout")):
                return _not_found()
        else:
            if path == "/api/auth/login" and method == "POST":
                return await self._login_unifi_os(request)
            if path == f"{PREFIX}/status":
                return self._status()
            if path.startswith(f"{PREFIX}/"):
                network_path = path.removeprefix(PREFIX)
            elif path in {"/api/auth/logout", "/api/users/self"}:
                network_path = path
            else:
                return _not_found()
        offered = request.headers.get(API_KEY_HEADER)
        if offered is not None and (classic or path.startswith(f"{PREFIX}/")):
            return await self._with_key(request, network_path, offered)
        token = request.cookies.get("unifises" if classic else self.cookie_name)
        session = self._sessions.get(token) if token else None
        if session is None or token is None:
            if classic:
                return _legacy_error("api.err.LoginRequired", 401)
            return web.json_response(_UNAUTHORIZED, status=401)
        if method not in _SAFE_METHODS and not hmac.compare_digest(
            request.headers.get("X-CSRF-Token", ""), session.csrf
        ):
            if classic:
                return web.Response(status=403, text="Invalid CSRF Token")
            return web.json_response(
                {"error": {"code": 403, "message": "Invalid CSRF Token"}}, status=403
            )
        if network_path in {"/api/auth/logout", "/api/logout", "/logout"}:
            return self._logout(token)
        if network_path.startswith("/wss/"):
            return await self._stream(request, network_path)
        response = await self._network(request, network_path)
        if self._rotate_pending:
            self._rotate_pending = False
            session.csrf = str(uuid.uuid4())
            response.headers["X-Updated-CSRF-Token"] = session.csrf
        return response

    async def _with_key(
        self, request: web.Request, network_path: str, offered: str
    ) -> web.StreamResponse:
        """Serve a request that carries `X-API-KEY`: no cookie, no CSRF, and only UniFi OS."""
        if self.mode is Mode.CLASSIC:  # self-hosted applications cannot make keys
            return _legacy_error("api.err.LoginRequired", 401)
        known = self.api_key
        if known is None or not hmac.compare_digest(
            offered.encode("utf-8", "surrogateescape"), known.encode()
        ):
            return web.json_response(_UNAUTHORIZED, status=401)
        if network_path.startswith("/wss/"):
            if not self.websocket_accepts_api_key:
                return web.json_response(_UNAUTHORIZED, status=401)
            self.api_key_requests += 1
            return await self._stream(request, network_path)
        self.api_key_requests += 1
        return await self._network(request, network_path)

    async def _stream(self, request: web.Request, network_path: str) -> web.StreamResponse:
        """Upgrade an authenticated request to the site's event websocket."""
        match = _STREAM_ROUTE.match(network_path)
        if match is None or match.group("site") not in self._sites or request.method != "GET":
            return _not_found()
        return await self.live.serve(request, match.group("site"))

    # -- authentication ---------------------------------------------------------

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as err:
            msg = f"JSON parse error: {err}"
            raise _RequestError(msg) from err
        if not isinstance(body, dict):
            msg = "JSON parse error: expected an object"
            raise _RequestError(msg)
        return body

    def _credentials_ok(self, body: dict[str, Any]) -> bool:
        return hmac.compare_digest(
            str(body.get("username", "")), self.username
        ) and hmac.compare_digest(str(body.get("password", "")), self.password)

    async def _login_unifi_os(self, request: web.Request) -> web.Response:
        self.login_attempts += 1
        self._limiter += 1
        if self._limiter > self.login_limit:
            return web.json_response(_LIMIT_BODY, status=429)
        try:
            body = await self._json_body(request)
        except _RequestError:
            return web.json_response(
                {"code": "INVALID_REQUEST", "message": "Invalid request"}, status=400
            )
        if not self._credentials_ok(body):
            return web.json_response(_INVALID_CREDENTIALS, status=403)
        if self.mfa_required and body.get("token") != self.mfa_code:
            return web.json_response(
                {
                    "code": "MFA_AUTH_REQUIRED",
                    "message": "MFA authentication required",
                    "level": "debug",
                    "data": {
                        "mfaCookie": f"UBIC_2FA={secrets.token_urlsafe(24)}",
                        "user_id": self._user_id,
                        "authenticators": [{"id": "totp-1", "type": "totp", "status": "verified"}],
                    },
                },
                status=499,
                reason="MFA Required",
            )
        self.login_successes += 1
        csrf = str(uuid.uuid4())
        remembered = bool(body.get("rememberMe", False))
        token = self._jwt(csrf, remembered=remembered)
        self._sessions[token] = _Session(csrf)
        response = web.json_response(self._user_object())
        response.headers["X-CSRF-Token"] = csrf
        response.headers["X-Updated-CSRF-Token"] = csrf
        response.headers["X-Token-Expire-Time"] = str(
            int(self._now().timestamp() * 1000) + 7_200_000
        )
        response.set_cookie(
            self.cookie_name,
            token,
            path="/",
            secure=self.tls,
            httponly=True,
            samesite="none" if self.tls else "lax",
        )
        return response

    async def _login_classic(self, request: web.Request) -> web.Response:
        self.login_attempts += 1
        try:
            body = await self._json_body(request)
        except _RequestError:
            return _legacy_error("api.err.Invalid")
        if not self._credentials_ok(body):
            return _legacy_error("api.err.Invalid")
        if self.mfa_required and body.get("ubic_2fa_token") != self.mfa_code:
            return web.json_response(
                {
                    "meta": {"rc": "error", "msg": "api.err.Ubic2faTokenRequired"},
                    "data": [
                        {
                            "default_mfa": "totp-1",
                            "mfa_cookie": f"UBIC_2FA={secrets.token_urlsafe(24)}",
                            "authenticators": [
                                {"id": "totp-1", "type": "totp", "status": "verified"}
                            ],
                        }
                    ],
                },
                status=400,
            )
        self.login_successes += 1
        csrf = str(uuid.uuid4())
        token = secrets.token_hex(16)
        self._sessions[token] = _Session(csrf)
        response = _envelope([])
        response.headers["X-CSRF-Token"] = csrf
        response.set_cookie("unifises", token, path="/", secure=self.tls, httponly=True)
        response.set_cookie("csrf_token", csrf, path="/", secure=self.tls)
        return response

    def _logout(self, token: str) -> web.Response:
        self._sessions.pop(token, None)
        if self.mode is Mode.CLASSIC:
            response = _envelope([])
            response.del_cookie("unifises", path="/")
            response.del_cookie("csrf_token", path="/")
        else:
            response = web.json_response({})
            response.del_cookie(self.cookie_name, path="/")
        return response

    def _jwt(self, csrf: str, *, remembered: bool) -> str:
        """Mint a JWT-shaped token whose payload carries the `csrfToken` claim."""
        issued = int(self._now().timestamp())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(
            json.dumps(
                {
                    "userId": self._user_id,
                    "passwordRevision": self._password_revision,
                    "isRemembered": remembered,
                    "csrfToken": csrf,
                    "iat": issued,
                    "exp": issued + (30 * 86400 if remembered else 7200),
                    "jti": str(uuid.uuid4()),
                },
                separators=(",", ":"),
            ).encode()
        )
        signed = f"{header}.{payload}".encode()
        signature = _b64(hmac.new(self._jwt_secret, signed, hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def _user_object(self) -> dict[str, Any]:
        created = int(self._now().timestamp()) - 400 * 86400
        return {
            "unique_id": self._user_id,
            "username": self.username,
            "first_name": "Local",
            "last_name": "Admin",
            "full_name": "Local Admin",
            "email": "",
            "email_status": "UNVERIFIED",
            "status": "ACTIVE",
            "sso_account": "",
            "local_account_exist": True,
            "create_time": created,
            "update_time": created,
            "roles": [
                {
                    "unique_id": str(uuid.UUID(int=7)),
                    "name": "Super Administrator",
                    "system_role": True,
                    "system_key": "super_administrator",
                    "level": 0,
                }
            ],
            "permissions": {"network.management": ["admin"]},
            "scopes": ["view:network", "manage:network"],
            "cloud_access_granted": False,
            "id": self._user_id,
            "isOwner": True,
            "isSuperAdmin": True,
        }

    def _status(self) -> web.Response:
        meta: dict[str, Any] = {
            "rc": "ok",
            "up": True,
            "uuid": self._scenario.console.get("anonymous_controller_id", ""),
        }
        if self.mode is not Mode.NETWORK10:
            meta["server_version"] = self._version()
        return web.json_response({"meta": meta, "data": []})

    # -- Network application ----------------------------------------------------

    async def _network(  # noqa: PLR0911 - one answer per way a request can fail
        self, request: web.Request, path: str
    ) -> web.Response:
        """Answer an authenticated Network-application path (prefix already removed)."""
        if path == "/api/users/self":
            return web.json_response(self._user_object())
        if path in {"/api/self/sites", "/api/stat/sites"}:
            return _envelope([self._site_item(s, path) for s in self._sites.values()])
        if path == "/api/self":
            return _envelope([self._admin_record(self._default)])
        v2 = path.startswith("/v2/")
        match = _ROUTE.match(path)
        if match is None or (v2 and self.mode is Mode.CLASSIC):
            return _not_found()
        name, rest = match.group("site"), match.group("rest")
        state = self._sites.get(name)
        if state is None:
            if v2:
                return web.json_response(
                    {
                        "code": "api.err.NoSiteContext",
                        "message": "No site context",
                        "errorCode": 400,
                    },
                    status=400,
                )
            return _legacy_error("api.err.NoSiteContext")
        route = _V2_ROUTES.get(rest) if v2 else _LEGACY_ROUTES.get(rest)
        if route is None:
            return _not_found()
        methods, handler = route
        if request.method not in methods:
            return web.Response(status=405, headers={"Allow": ",".join(methods)})
        gone = {"stat/event", "stat/ips/event"}
        if self.mode is Mode.NETWORK10 and rest in gone:
            return _not_found()
        params: dict[str, Any] = dict(request.query)
        try:
            if request.method == "POST":
                params |= await self._json_body(request)
            return handler(self, state, params)
        except _RequestError as err:
            if v2:
                return web.json_response({"errorCode": 400, "message": str(err)}, status=400)
            return _legacy_error("api.err.InvalidPayload")

    def _site_item(self, state: _SiteState, path: str) -> dict[str, Any]:
        spec = state.spec
        item: dict[str, Any] = {
            "_id": spec.id,
            "name": spec.name,
            "desc": spec.desc,
            "attr_no_delete": spec.name == "default",
            "role": "admin",
        }
        if spec.name == "default":
            item["attr_hidden_id"] = "default"
        if path == "/api/stat/sites":
            item["health"] = copy.deepcopy(state.health)
        return item

    def _admin_record(self, state: _SiteState) -> dict[str, Any]:
        return {
            "admin_id": self._user_id,
            "name": self.username,
            "email": "",
            "site_id": state.spec.id,
            "site_name": state.spec.name,
            "site_role": "admin",
            "site_permissions": [],
            "super_site_permissions": [],
            "is_super": True,
            "is_professional_installer": False,
            "email_alert_enabled": False,
            "push_alert_enabled": False,
            "html_email_enabled": False,
            "last_site_name": state.spec.name,
            "ui_settings": {},
        }

    def _self(self, state: _SiteState, _params: dict[str, Any]) -> web.Response:
        return _envelope([self._admin_record(state)])

    def _sysinfo(self, _state: _SiteState, _params: dict[str, Any]) -> web.Response:
        console = self._scenario.console
        classic = self.mode is Mode.CLASSIC
        info: dict[str, Any] = {
            "version": self._version(),
            "build": console.get("build", ""),
            "previous_version": console.get("previous_version", ""),
            "hostname": "unifi-controller" if classic else console.get("hostname"),
            "name": console.get("name", "UniFi Network"),
            "timezone": self._scenario.timezone,
            "uptime": 1209600,
            "update_available": False,
            "update_downloaded": False,
            "data_retention_days": console.get("data_retention_days", 90),
            "https_port": 8443 if classic else 443,
            "inform_port": 8080,
            "ip_addrs": console.get("ip_addrs", []),
            "is_cloud_console": False,
            "anonymous_controller_id": console.get("anonymous_controller_id", ""),
        }
        if not classic:
            info |= {
                "ubnt_device_type": console.get("ubnt_device_type"),
                "udm_version": console.get("udm_version"),
                "console_display_version": console.get("console_display_version"),
            }
        return _envelope([info])

    def _windowed(
        self, store: list[dict[str, Any]], source: str, start: float, end: float
    ) -> list[dict[str, Any]]:
        """Return the rows of ``store`` a time filter keeps (a row without a time passes all).

        A day's backlog is 100 000 rows and every page request filters them, so each row's
        time is read once per shape of the store (rows appended or the store replaced), as a
        console's index would, instead of once per request.
        """
        shape = (len(store), id(store[0]) if store else 0, id(store[-1]) if store else 0)
        cached = self._row_times.get((id(store), source))
        if cached is None or cached[0] != shape:
            cached = self._row_times[id(store), source] = (
                shape,
                [row_time(row, source) for row in store],
            )
        return [
            row
            for row, when in zip(store, cached[1], strict=True)
            if when is None or start <= when <= end
        ]

    def _stat_event(self, state: _SiteState, params: dict[str, Any]) -> web.Response:
        within = _int(params, "within", 720)
        start = max(0, _int(params, "_start", 0))
        limit = _int(params, "_limit", EVENT_CAP)
        limit = EVENT_CAP if limit <= 0 else min(limit, EVENT_CAP)
        wanted = params.get("type")
        cutoff = to_ms(self._now()) - within * 3_600_000
        rows = [
            row
            for row in self._windowed(state.events, "event", cutoff, math.inf)
            if not wanted or row.get("key") == wanted
        ]
        if params.get("_sort", "-time") == "-time":
            rows.reverse()
        page = rows[start : start + limit]
        meta = {"count": len(rows)} if len(page) < len(rows) else {}
        return _envelope(page, **meta)

    def _alarms(self, state: _SiteState, params: dict[str, Any]) -> web.Response:
        archived = params.get("archived")
        if isinstance(archived, str):
            archived = archived.lower() == "true"
        key = params.get("key")
        rows = [
            row
            for row in reversed(state.alarms)
            if (archived is None or row.get("archived", False) is archived)
            and (not key or row.get("key") == key)
        ]
        return _envelope(rows)

    def _ips(self, state: _SiteState, params: dict[str, Any]) -> web.Response:
        if self.ips_legacy_empty:
            return _envelope([])
        now_ms = to_ms(self._now())
        start = _int(params, "start", now_ms - 86_400_000)
        end = _int(params, "end", now_ms)
        limit = _int(params, "_limit", IPS_CAP)
        limit = IPS_CAP if limit <= 0 else min(limit, IPS_CAP)
        rows = self._windowed(state.ips_events, "ips", start, end)
        if params.get("_sort", "-time") == "-time":
            rows.reverse()
        page = rows[:limit]
        meta = {"count": len(rows)} if len(page) < len(rows) else {}
        return _envelope(page, **meta)

    def _devices(self, state: _SiteState, params: dict[str, Any]) -> web.Response:
        macs = params.get("macs")
        rows = [
            row for row in state.devices if not isinstance(macs, list) or row.get("mac") in macs
        ]
        return _envelope(rows)

    def _devices_basic(self, state: _SiteState, _params: dict[str, Any]) -> web.Response:
        keys = ("mac", "state", "adopted", "disabled", "type", "model", "name")
        return _envelope([{k: row[k] for k in keys if k in row} for row in state.devices])

    def _health(self, state: _SiteState, _params: dict[str, Any]) -> web.Response:
        return _envelope(state.health)

    def _syslog(self, state: _SiteState, params: dict[str, Any], *, critical: bool) -> web.Response:
        categories = params.get("categories") or []
        if not isinstance(categories, list):
            msg = "JSON parse error: categories must be an array"
            raise _RequestError(msg)
        if self.mode is Mode.NETWORK10:
            for category in categories:
                if category not in V2_CATEGORIES:
                    accepted = ", ".join(sorted(V2_CATEGORIES))
                    msg = (
                        "JSON parse error: Cannot deserialize value of type "
                        "`com.ubiquiti.unifi.systemlog.SystemLogCategory` from String "
                        f'"{category}": not one of the values accepted for Enum '
                        f"class: [{accepted}]"
                    )
                    raise _RequestError(msg)
        severities = params.get("severities") or (["HIGH", "VERY_HIGH"] if critical else [])
        now_ms = to_ms(self._now())
        start = _int(params, "timestampFrom", now_ms - 86_400_000)
        end = _int(params, "timestampTo", now_ms)
        page_number = max(0, _int(params, "pageNumber", 0))
        page_size = _int(params, "pageSize", 100)
        if page_size <= 0:
            msg = "pageSize must be positive"
            raise _RequestError(msg)
        page_size = min(page_size, SYSLOG_PAGE_CAP)
        rows = [
            row
            for row in reversed(self._windowed(state.system_log, "system_log", start, end))
            if (not categories or row.get("category") in categories)
            and (not severities or row.get("severity") in severities)
        ]
        offset = page_number * page_size
        return _json(
            {
                "data": rows[offset : offset + page_size],
                "page_number": page_number,
                "total_element_count": len(rows),
                "total_page_count": math.ceil(len(rows) / page_size),
            }
        )


_ROUTE = re.compile(r"^(?:/api/s|/v2/api/site)/(?P<site>[^/]+)/(?P<rest>.+)$")
_GET = ("GET",)
_GET_POST = ("GET", "POST")
_POST = ("POST",)
_LEGACY_ROUTES: dict[str, tuple[tuple[str, ...], Callable[..., web.Response]]] = {
    "self": (_GET, GatewaySimulator._self),
    "stat/sysinfo": (_GET, GatewaySimulator._sysinfo),
    "stat/event": (_GET_POST, GatewaySimulator._stat_event),
    "list/alarm": (_GET_POST, GatewaySimulator._alarms),
    "stat/alarm": (_GET_POST, GatewaySimulator._alarms),
    "stat/ips/event": (_GET_POST, GatewaySimulator._ips),
    "stat/device": (_GET_POST, GatewaySimulator._devices),
    "stat/device-basic": (_GET, GatewaySimulator._devices_basic),
    "stat/health": (_GET, GatewaySimulator._health),
}
_V2_ROUTES: dict[str, tuple[tuple[str, ...], Callable[..., web.Response]]] = {
    "system-log/all": (
        _POST,
        lambda sim, state, params: sim._syslog(state, params, critical=False),
    ),
    "system-log/critical": (
        _POST,
        lambda sim, state, params: sim._syslog(state, params, critical=True),
    ),
}
