"""Async client for the Network application of a UniFi gateway (UniFi OS or classic).

The caller injects an ``aiohttp.ClientSession`` (with ``CookieJar(unsafe=True)``, gateways are
addressed by IP) and closes it. Every HTTP exchange after detection goes through ``request()``,
which owns login, CSRF, the single re-login and the mapping of statuses, envelopes and network
failures onto the scanner's exception tree. Paths and quirks follow UNIFI_API.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from .exceptions import (
    ScannerAuthenticationError,
    ScannerConnectionError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
    ScannerResponseError,
    ScannerTimeoutError,
    ScannerUnsupportedError,
)
from .models import (
    Capabilities,
    Device,
    FetchResult,
    GatewayInfo,
    HealthSubsystem,
    Site,
    Source,
)
from .normalize import EntryCollector, gc_paused, normalize_device, normalize_health

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping

    from multidict import CIMultiDictProxy

LOGGER = logging.getLogger(__name__)

type _Pages = AsyncGenerator[list[dict[str, Any]]]

DEFAULT_PORT: Final = 443
UNIFI_OS_PREFIX: Final = "/proxy/network"
# Rows per request. Each page is decoded and normalised in one go on the event loop, so a page
# is kept to about 2 MB of JSON (IPS rows are three times the size of an event row): well under
# 50 ms of work per page on a slow machine.
LEGACY_PAGE_SIZE: Final = 3000
SYSTEM_LOG_PAGE_SIZE: Final = 1000
IPS_PAGE_SIZE: Final = 1000
# Rows normalised between two returns to the event loop when one answer is larger (alarms).
NORMALIZE_CHUNK: Final = 3000
# A gateway that keeps announcing more rows must not keep a scan busy forever.
MAX_PAGES: Final = 1000

MFA_MESSAGE: Final = (
    "The gateway account requires multi-factor authentication; "
    "use a local account without MFA (Restrict to Local Access Only)"
)
_RATE_LIMIT_MESSAGE: Final = (
    "The gateway's login attempt limit was reached; wait a few minutes before trying again"
)
_CSRF_HEADERS: Final = ("X-Updated-CSRF-Token", "X-CSRF-Token")
_SESSION_COOKIES: Final = ("TOKEN", "UOS_TOKEN")


class _SessionExpiredError(Exception):
    """Internal signal: the session is gone (401, LoginRequired) or refused (403)."""


@dataclass(frozen=True, slots=True)
class _Reply:
    """One HTTP exchange, fully read inside the timeout."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    cookies: Mapping[str, str]


# ``meta.msg`` of a legacy ``rc: error`` envelope -> what it means for the caller.
_MSG_ERRORS: Final[dict[str, tuple[type[ScannerError], str]]] = {
    "api.err.Invalid": (ScannerAuthenticationError, "The gateway rejected the credentials"),
    "api.err.NoPermission": (
        ScannerAuthenticationError,
        "The gateway account lacks permission for this request",
    ),
    "api.err.Ubic2faTokenRequired": (ScannerMfaRequiredError, MFA_MESSAGE),
    "api.err.NoSiteContext": (ScannerResponseError, "The gateway does not know this site"),
    "api.err.InvalidObject": (ScannerUnsupportedError, "The gateway does not know this object"),
}
_LOGIN_REQUIRED: Final = "api.err.loginrequired"


def _split_host(host: str) -> tuple[str, int | None]:
    """Split ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 literal."""
    text = host.strip()
    if "://" in text:
        url = URL(text)
        if not url.host:
            msg = f"Invalid gateway host: {host!r}"
            raise ValueError(msg)
        return url.host, url.explicit_port
    if text.startswith("["):
        end = text.find("]")
        rest = text[end + 1 :] if end != -1 else ""
        if end <= 1 or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            msg = f"Invalid gateway host: {host!r}"
            raise ValueError(msg)
        return text[1:end], int(rest[1:]) if rest else None
    if text.count(":") == 1:
        name, _, port = text.partition(":")
        if not name or not port.isdigit():
            msg = f"Invalid gateway host: {host!r}"
            raise ValueError(msg)
        return name, int(port)
    if not text or "/" in text:
        msg = f"Invalid gateway host: {host!r}"
        raise ValueError(msg)
    return text, None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _jwt_csrf(token: str) -> str | None:
    """Read the ``csrfToken`` claim of a UniFi OS session JWT (lowest-precedence CSRF source)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    csrf = claims.get("csrfToken") if isinstance(claims, dict) else None
    return csrf if isinstance(csrf, str) and csrf else None


def _decode(body: bytes) -> Any:
    """Parse JSON with orjson; raise ``ValueError`` (``orjson.JSONDecodeError``) when it is not.

    A body is at most one page, so the collector can be paused while its objects are created.
    orjson refuses a lone surrogate written as a JSON escape, which is valid JSON that anyone
    naming a client can plant; the standard parser reads it (the sanitiser later drops it), so
    one such name cannot stop every scan.
    """
    with gc_paused():
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as err:
            if "surrogate" not in str(err):
                raise
            try:
                return json.loads(body)
            except RecursionError as deep:  # nested deeper than orjson would have allowed
                raise err from deep


def _error_code(body: Any) -> str | None:
    """Find the error identifier of a body: legacy ``meta.msg`` or UniFi OS ``code``."""
    if not isinstance(body, dict):
        return None
    meta = body.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("msg"), str):
        return str(meta["msg"])
    code = body.get("code")
    return code if isinstance(code, str) else None


def _rc_failed(body: Any) -> bool:
    """Whether a legacy envelope says ``rc: error`` (compared case-insensitively)."""
    meta = body.get("meta") if isinstance(body, dict) else None
    return isinstance(meta, dict) and str(meta.get("rc", "")).lower() != "ok"


def _data(envelope: Any) -> list[dict[str, Any]]:
    """Return the ``data`` list of a legacy envelope (a single object becomes a one-item list)."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    return []


def _count(envelope: Any) -> int | None:
    """``meta.count``: how many rows the gateway has in total when it truncated the answer."""
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    count = meta.get("count") if isinstance(meta, dict) else None
    if isinstance(count, bool):
        return None
    if isinstance(count, int):
        return count
    if isinstance(count, str) and count.isdigit():
        return int(count)
    return None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _utc(moment: datetime) -> datetime:
    """Make a datetime aware; naive values are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _item_ms(item: Any) -> int | None:
    """Cheap ``time`` (ms) of a raw item, for the client-side window filter."""
    value = item.get("time") if isinstance(item, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _item_id(item: Any) -> Any:
    """Return the ``_id`` of a raw legacy row (None when it has none)."""
    return item.get("_id") if isinstance(item, dict) else None


@dataclass(kw_only=True)
class UnifiClient:
    """One gateway, one site, one login session on an injected aiohttp session."""

    session: aiohttp.ClientSession
    host: str
    username: str
    password: str = field(repr=False)
    port: int | None = None
    site: str = "default"
    verify_ssl: bool = False
    request_timeout: float = 10.0
    scheme: str = "https"

    _base: URL = field(init=False, repr=False, compare=False)
    _unifi_os: bool | None = field(default=None, init=False, repr=False, compare=False)
    _capabilities: Capabilities | None = field(default=None, init=False, repr=False, compare=False)
    _csrf: str | None = field(default=None, init=False, repr=False, compare=False)
    _authenticated: bool = field(default=False, init=False, repr=False, compare=False)
    _generation: int = field(default=0, init=False, repr=False, compare=False)
    _login_lock: asyncio.Lock = field(
        default_factory=asyncio.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Build the base URL once; a malformed host raises ``ValueError`` here."""
        if self.scheme not in {"https", "http"}:
            msg = f"Unsupported scheme: {self.scheme!r}"
            raise ValueError(msg)
        name, host_port = _split_host(self.host)
        port = self.port or host_port or DEFAULT_PORT
        self._base = URL.build(scheme=self.scheme, host=name, port=port)

    @property
    def unifi_os(self) -> bool | None:
        """True on a UniFi OS console, False on a classic controller, None before detection."""
        return self._unifi_os

    @property
    def capabilities(self) -> Capabilities | None:
        """What ``probe()`` found, None before it ran."""
        return self._capabilities

    # --- transport -----------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> _Reply:
        """One exchange, read completely inside the timeout; network failures mapped."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._csrf:
            headers["X-CSRF-Token"] = self._csrf
        url = self._base.with_path(path, encoded=True)
        try:
            async with asyncio.timeout(self.request_timeout):
                async with self.session.request(
                    method,
                    url,
                    data=body,
                    params=params,
                    headers=headers,
                    ssl=self.verify_ssl,
                    allow_redirects=False,
                ) as response:
                    payload = await response.read()
                    cookies = {name: morsel.value for name, morsel in response.cookies.items()}
                    reply = _Reply(response.status, response.headers, payload, cookies)
        except TimeoutError as err:
            msg = f"The gateway did not answer within {self.request_timeout:g} s"
            raise ScannerTimeoutError(msg) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"Cannot talk to the gateway: {type(err).__name__}"
            raise ScannerConnectionError(msg) from err
        LOGGER.debug("%s %s -> HTTP %s, %d bytes", method, path, reply.status, len(reply.body))
        for name in _CSRF_HEADERS:
            token = reply.headers.get(name)
            if token:
                self._csrf = token
                break
        return reply

    def _path(self, path: str, *, v2: bool, site_scoped: bool) -> str:
        """Full URL path of a Network-app endpoint for this flavour and site."""
        path = path.lstrip("/")
        site = quote(self.site, safe="")
        if v2:
            base = f"/v2/api/site/{site}/" if site_scoped else "/v2/api/"
        else:
            base = f"/api/s/{site}/" if site_scoped else "/api/"
        return (UNIFI_OS_PREFIX if self._unifi_os else "") + base + path

    # --- login ---------------------------------------------------------------------------------

    async def _detect(self) -> bool:
        """UniFi OS answers ``GET /`` with 200, a classic controller redirects (302)."""
        reply = await self._send("GET", "/")
        if reply.status == 200:
            return True
        if 300 <= reply.status < 400:
            return False
        msg = f"The gateway answered HTTP {reply.status} when probed; is it a UniFi gateway?"
        raise ScannerResponseError(msg)

    async def login(self) -> None:
        """Detect the flavour once, then log in; cookies stay in the session's jar."""
        async with self._login_lock:
            await self._login_locked()

    async def _relogin(self, seen_generation: int) -> None:
        """Log in unless another task already did since ``seen_generation``."""
        async with self._login_lock:
            if self._generation == seen_generation:
                await self._login_locked()

    async def _login_locked(self) -> None:
        if self._unifi_os is None:
            self._unifi_os = await self._detect()
            LOGGER.debug("Detected %s", "UniFi OS" if self._unifi_os else "classic controller")
        self._authenticated = False
        self._csrf = None
        if self._unifi_os:
            path = "/api/auth/login"
            credentials: dict[str, Any] = {
                "username": self.username,
                "password": self.password,
                "token": "",
                "rememberMe": True,
            }
        else:
            path = "/api/login"
            credentials = {"username": self.username, "password": self.password, "remember": True}
        reply = await self._send("POST", path, body=orjson.dumps(credentials))
        self._check_login(reply)
        if not self._csrf:
            self._csrf = self._csrf_from_cookies(reply.cookies)
        self._authenticated = True
        self._generation += 1

    @staticmethod
    def _csrf_from_cookies(cookies: Mapping[str, str]) -> str | None:
        """Fallback CSRF token: the session JWT's claim or the classic ``csrf_token`` cookie."""
        for name in _SESSION_COOKIES:
            if name in cookies and (token := _jwt_csrf(cookies[name])):
                return token
        return cookies.get("csrf_token") or None

    def _check_login(self, reply: _Reply) -> None:
        """Map a login reply onto the exception tree; return quietly on success."""
        status = reply.status
        if status == 429:
            raise ScannerRateLimitError(
                _RATE_LIMIT_MESSAGE, retry_after=_retry_after(reply.headers.get("Retry-After"))
            )
        if status == 499:
            raise ScannerMfaRequiredError(MFA_MESSAGE)
        try:
            body = _decode(reply.body)
        except ValueError:
            body = None
        code = _error_code(body)
        if code is not None and code.lower() == "api.err.ubic2fatokenrequired":
            raise ScannerMfaRequiredError(MFA_MESSAGE)
        if code == "AUTHENTICATION_FAILED_LIMIT_REACHED":
            raise ScannerRateLimitError(_RATE_LIMIT_MESSAGE)
        if status in {400, 401, 403}:
            msg = "The gateway rejected the username or password"
            raise ScannerAuthenticationError(msg)
        if status >= 300:
            msg = f"Login failed with HTTP {status}"
            raise ScannerResponseError(msg)
        if body is None:
            msg = "The gateway's login reply was not JSON; it may still be starting up"
            raise ScannerResponseError(msg)
        if _rc_failed(body):
            error, msg = _MSG_ERRORS.get(
                code or "", (ScannerAuthenticationError, "The gateway refused the login")
            )
            raise error(msg)

    # --- the chokepoint ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        v2: bool = False,
        site_scoped: bool = True,
    ) -> Any:
        """Send one Network-app request and return its decoded JSON.

        ``path`` is relative: ``stat/event`` becomes ``/api/s/{site}/stat/event`` (``v2``:
        ``/v2/api/site/{site}/...``; ``site_scoped=False``: ``/api/...``), behind
        ``/proxy/network`` on UniFi OS. Legacy answers come back as the whole envelope
        (``meta`` included, so callers can page); v2 answers as the bare JSON. A lost session
        gets exactly one re-login and one retry, and a call never logs in twice.
        """
        body = None if json is None else orjson.dumps(json)
        logged_in = False
        generation = self._generation
        if not self._authenticated:
            await self._relogin(generation)
            logged_in = True
            generation = self._generation
        try:
            return await self._request_once(method, path, body, params, v2=v2, scoped=site_scoped)
        except _SessionExpiredError as err:
            if logged_in:
                raise ScannerAuthenticationError(str(err)) from err
        LOGGER.debug("Session lost; logging in again once")
        await self._relogin(generation)
        try:
            return await self._request_once(method, path, body, params, v2=v2, scoped=site_scoped)
        except _SessionExpiredError as err:
            raise ScannerAuthenticationError(str(err)) from err

    async def _request_once(
        self,
        method: str,
        path: str,
        body: bytes | None,
        params: Mapping[str, str] | None,
        *,
        v2: bool,
        scoped: bool,
    ) -> Any:
        full_path = self._path(path, v2=v2, site_scoped=scoped)
        reply = await self._send(method, full_path, body=body, params=params)
        status = reply.status
        if status == 429:
            raise ScannerRateLimitError(
                _RATE_LIMIT_MESSAGE, retry_after=_retry_after(reply.headers.get("Retry-After"))
            )
        if status == 499:
            raise ScannerMfaRequiredError(MFA_MESSAGE)
        try:
            decoded = _decode(reply.body)
        except ValueError as err:
            if status == 401:
                msg = "The gateway session expired"
                raise _SessionExpiredError(msg) from err
            if status == 403:
                msg = "The gateway refused the request (HTTP 403)"
                raise _SessionExpiredError(msg) from err
            if status == 404:
                msg = f"The gateway does not offer {full_path}"
                raise ScannerUnsupportedError(msg) from err
            if status >= 300:
                msg = f"The gateway answered HTTP {status} to {full_path}"
                raise ScannerResponseError(msg) from err
            msg = f"The gateway's answer to {full_path} was not valid JSON"
            raise ScannerResponseError(msg) from err
        return self._check_body(decoded, status, full_path, v2=v2)

    def _check_body(self, decoded: Any, status: int, full_path: str, *, v2: bool) -> Any:
        """Map a decoded body and its status onto the exception tree."""
        code = _error_code(decoded)
        if code is not None:
            if code.lower() == _LOGIN_REQUIRED:
                msg = "The gateway session expired"
                raise _SessionExpiredError(msg)
            mapped = _MSG_ERRORS.get(code)
            if mapped is not None and (status >= 400 or _rc_failed(decoded)):
                error, msg = mapped
                raise error(msg)
        if status == 401:
            msg = "The gateway session expired"
            raise _SessionExpiredError(msg)
        if status == 403:
            msg = "The gateway refused the request (HTTP 403) even after a fresh login"
            raise _SessionExpiredError(msg)
        if status == 404:
            msg = f"The gateway does not offer {full_path}"
            raise ScannerUnsupportedError(msg)
        if v2 and isinstance(decoded, dict) and "errorCode" in decoded:
            msg = f"The gateway rejected {full_path} (error code {decoded['errorCode']})"
            raise ScannerResponseError(msg)
        if status >= 300:
            msg = f"The gateway answered HTTP {status} to {full_path}"
            raise ScannerResponseError(msg)
        if v2:
            return decoded
        meta = decoded.get("meta") if isinstance(decoded, dict) else None
        if not isinstance(meta, dict):
            msg = f"The gateway's answer to {full_path} has no meta envelope"
            raise ScannerResponseError(msg)
        if _rc_failed(decoded):
            msg = f"The gateway reported an error for {full_path}: {code or 'unknown'}"
            raise ScannerResponseError(msg)
        return decoded

    # --- endpoints -----------------------------------------------------------------------------

    async def sites(self) -> list[Site]:
        """Sites this account can see."""
        envelope = await self.request("GET", "self/sites", site_scoped=False)
        return [
            Site(
                id=str(item.get("_id") or item["name"]),
                name=item["name"],
                description=str(item.get("desc") or item["name"]),
            )
            for item in _data(envelope)
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        ]

    async def gateway_info(self) -> GatewayInfo:
        """Version and identity of the Network application (``stat/sysinfo``)."""
        data = _data(await self.request("GET", "stat/sysinfo"))
        info = data[0] if data and isinstance(data[0], dict) else {}

        def text(name: str) -> str | None:
            value = info.get(name)
            return value if isinstance(value, str) and value else None

        return GatewayInfo(
            version=text("version"),
            hostname=text("hostname"),
            name=text("name"),
            timezone=text("timezone"),
            device_type=text("ubnt_device_type"),
            anonymous_id=text("anonymous_controller_id"),
        )

    async def _supported(self, call: Callable[[], Awaitable[Any]]) -> bool:
        try:
            await call()
        except ScannerUnsupportedError:
            return False
        return True

    async def probe(self) -> Capabilities:
        """Find which log sources exist (404 = not supported); done once per client."""
        if self._capabilities is not None:
            return self._capabilities
        now = datetime.now(UTC)
        end = _ms(now)
        start = _ms(now - timedelta(hours=1))
        system_log = await self._supported(
            lambda: self.request(
                "POST",
                "system-log/all",
                json={"timestampFrom": start, "timestampTo": end, "pageNumber": 0, "pageSize": 1},
                v2=True,
            )
        )
        legacy_events = await self._supported(
            lambda: self.request(
                "POST", "stat/event", json={"_sort": "-time", "within": 1, "_start": 0, "_limit": 1}
            )
        )
        alarms = await self._supported(lambda: self.request("GET", "list/alarm"))
        ips = await self._supported(
            lambda: self.request(
                "POST", "stat/ips/event", json={"start": start, "end": end, "_limit": 1}
            )
        )
        self._capabilities = Capabilities(
            unifi_os=bool(self._unifi_os),
            system_log=system_log,
            legacy_events=legacy_events,
            alarms=alarms,
            ips=ips,
        )
        LOGGER.debug("Capabilities: %s", self._capabilities)
        return self._capabilities

    async def devices(self) -> list[Device]:
        """Adopted devices with their health fields."""
        envelope = await self.request("GET", "stat/device")
        return [device for item in _data(envelope) if (device := normalize_device(item))]

    async def health(self) -> list[HealthSubsystem]:
        """Subsystem health (wan, www, wlan, lan, vpn)."""
        envelope = await self.request("GET", "stat/health")
        return [sub for item in _data(envelope) if (sub := normalize_health(item))]

    async def raw_system_log(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every v2 system-log entry between ``start`` and ``end``, all pages."""
        return [row async for page in self._system_log_pages(start, end) for row in page]

    async def _system_log_pages(self, start: datetime, end: datetime) -> _Pages:
        """Yield the v2 system log page by page (newest first) until the last page."""
        base = {
            "timestampFrom": _ms(_utc(start)),
            "timestampTo": _ms(_utc(end)),
            "pageSize": SYSTEM_LOG_PAGE_SIZE,
        }
        for page in range(MAX_PAGES):
            answer = await self.request(
                "POST", "system-log/all", json={**base, "pageNumber": page}, v2=True
            )
            if isinstance(answer, list):
                yield answer
                return
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list):
                msg = "The gateway's system log answer has no data list"
                raise ScannerResponseError(msg)
            pages = answer.get("total_page_count")
            del answer
            last = not data or not isinstance(pages, int) or page + 1 >= pages
            yield data
            del data
            if last:
                return

    async def _legacy_pages(self, path: str, body: dict[str, Any]) -> _Pages:
        """Page a legacy POST by ``_start`` offset while ``meta.count`` says rows are left."""
        received = 0
        for _ in range(MAX_PAGES):
            envelope = await self.request(
                "POST", path, json={**body, "_start": received, "_limit": LEGACY_PAGE_SIZE}
            )
            data = _data(envelope)
            total = _count(envelope)
            del envelope
            received += len(data)
            last = not data or total is None or total <= received
            yield data
            del data
            if last:
                return

    async def raw_events(self, since: datetime) -> list[dict[str, Any]]:
        """Legacy ``stat/event`` rows since ``since`` (the window is whole hours, so coarse)."""
        return [row async for page in self._event_pages(since) for row in page]

    def _event_pages(self, since: datetime) -> _Pages:
        hours = (datetime.now(UTC) - _utc(since)).total_seconds() / 3600
        within = max(1, math.ceil(hours))
        return self._legacy_pages("stat/event", {"_sort": "-time", "within": within})

    async def raw_alarms(self, since: datetime) -> list[dict[str, Any]]:
        """Alarms (archived or not) raised since ``since``; unparseable times are kept."""
        return [row async for page in self._alarm_pages(since) for row in page]

    async def _alarm_pages(self, since: datetime) -> _Pages:
        """Alarms come in one answer; it is one page."""
        since_ms = _ms(_utc(since))
        envelope = await self.request("GET", "list/alarm")
        yield [
            item
            for item in _data(envelope)
            if (moment := _item_ms(item)) is None or moment >= since_ms
        ]

    async def raw_ips_events(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Legacy IPS rows between ``start`` and ``end``, newest first, all of them.

        A truncated answer (``meta.count`` above the rows received) is continued by moving
        ``end`` down to the oldest row seen, which works whether or not the gateway honours a
        ``_start`` offset on this endpoint; overlapping rows are dropped by id.
        """
        return [row async for page in self._ips_pages(start, end) for row in page]

    async def _ips_pages(self, start: datetime, end: datetime) -> _Pages:
        """Yield IPS rows page by page, each without the rows an earlier page had."""
        start_ms, end_ms = _ms(_utc(start)), _ms(_utc(end))
        seen: set[Any] = set()
        for _ in range(MAX_PAGES):
            envelope = await self.request(
                "POST",
                "stat/ips/event",
                json={"start": start_ms, "end": end_ms, "_sort": "-time", "_limit": IPS_PAGE_SIZE},
            )
            data = _data(envelope)
            total = _count(envelope)
            del envelope
            fresh = [item for item in data if _item_id(item) not in seen]
            seen.update(_item_id(item) for item in fresh)
            times = [moment for item in data if (moment := _item_ms(item)) is not None]
            last = not fresh or total is None or total <= len(data) or not times
            del data
            if fresh:
                yield fresh
            del fresh
            if last:
                return
            end_ms = min(times)

    # --- one collection ------------------------------------------------------------------------

    async def fetch_since(self, since: datetime, *, until: datetime | None = None) -> FetchResult:
        """Collect every entry in ``[since, until]`` from all supported sources, plus snapshots.

        Entries are deduplicated per source by id and sorted by (time, source, id); the engine
        deduplicates across sources. A legacy endpoint answering 404 is recorded as unsupported.

        Each page is normalised as soon as it arrives and then dropped, so memory holds one page
        of gateway JSON at a time and the event loop is never busy for more than one page:
        decoding it and normalising it are two separate turns of the loop.
        """
        since = _utc(since)
        until = _utc(until) if until is not None else datetime.now(UTC)
        capabilities = await self.probe()
        unsupported: set[Source] = set()
        collector = EntryCollector(since_ms=_ms(since), until_ms=_ms(until))

        fetchers: tuple[tuple[Source, bool, Callable[[], _Pages]], ...] = (
            (
                Source.SYSTEM_LOG,
                capabilities.system_log,
                lambda: self._system_log_pages(since, until),
            ),
            (Source.EVENT, capabilities.legacy_events, lambda: self._event_pages(since)),
            (Source.ALARM, capabilities.alarms, lambda: self._alarm_pages(since)),
            (Source.IPS, capabilities.ips, lambda: self._ips_pages(since, until)),
        )
        for source, supported, pages in fetchers:
            if not supported:
                unsupported.add(source)
                continue
            try:
                await self._collect(pages(), source, collector)
            except ScannerUnsupportedError:
                LOGGER.debug("%s is not supported by this gateway", source)
                collector.discard(source)
                unsupported.add(source)

        entries = collector.entries()
        del collector
        try:
            devices = await self.devices()
        except ScannerUnsupportedError:
            devices = []
        try:
            health = await self.health()
        except ScannerUnsupportedError:
            health = []
        return FetchResult(
            since=since,
            until=until,
            entries=tuple(entries),
            devices=tuple(devices),
            health=tuple(health),
            capabilities=capabilities,
            unsupported=frozenset(unsupported),
        )

    @staticmethod
    async def _collect(pages: _Pages, source: Source, collector: EntryCollector) -> None:
        """Normalise each page on its own turn of the loop, then let it go."""
        async with aclosing(pages):
            while (page := await anext(pages, None)) is not None:
                for start in range(0, len(page), NORMALIZE_CHUNK):
                    await asyncio.sleep(0)  # the page was decoded in the turn that just ended
                    chunk = (
                        page
                        if len(page) <= NORMALIZE_CHUNK
                        else page[start : start + NORMALIZE_CHUNK]
                    )
                    collector.add(chunk, source)
                    del chunk
                del page

    async def close(self) -> None:
        """Log out, best effort; never raises. The session stays open (the caller owns it)."""
        if not self._authenticated:
            return
        path = "/api/auth/logout" if self._unifi_os else "/api/logout"
        try:
            await self._send("POST", path)
        except Exception as err:  # noqa: BLE001 - logout must never fail a shutdown
            LOGGER.debug("Logout failed: %s", type(err).__name__)
        finally:
            self._authenticated = False
            self._csrf = None
