"""Connection state and the one request chokepoint for a UniFi gateway (UniFi OS or classic).

The caller injects an ``aiohttp.ClientSession`` (with ``CookieJar(unsafe=True)``, gateways are
addressed by IP) and closes it. Every HTTP exchange after detection goes through ``request()``,
which owns the auth strategy (a local account's login, CSRF and single re-login, or an API key),
and the mapping of statuses, envelopes and network failures onto the scanner's exception tree.
Paths and quirks follow UNIFI_API.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from .envelope import (
    _LOGIN_REQUIRED,
    _MSG_ERRORS,
    Reply,
    _decode,
    _error_code,
    _raise_for_account_limits,
    _rc_failed,
    _split_host,
)
from .exceptions import (
    ScannerConnectionError,
    ScannerRateLimitError,
    ScannerResponseError,
    ScannerStreamRefusedError,
    ScannerTimeoutError,
    ScannerUnsupportedError,
)
from .normalize import in_worker_turn

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .auth import Authenticator, AuthMethod, Credentials

LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 443
UNIFI_OS_PREFIX: Final = "/proxy/network"

# Answers larger than this are decoded on a worker thread (about a millisecond of work).
DECODE_ON_LOOP_BYTES: Final = 256 * 1024
STREAM_MAX_MESSAGE: Final = 64 * 1024 * 1024
"""Largest stream frame read; consoles send frames over aiohttp's 4 MiB default."""
STREAM_HEARTBEAT: Final = 15.0
STREAM_COMPRESSION: Final = 12
"""permessage-deflate window bits offered on the upgrade, as the console's own UI does."""

LOGIN_COOL_DOWN: Final = 900.0
"""After the gateway refused a login for too many attempts, no login is sent for this long
(seconds), or as long as it asked within ``MAX_LOGIN_COOL_DOWN``: each attempt during its
lockout would only prolong it. Scans and the event stream share it through ``request()``."""
MAX_LOGIN_COOL_DOWN: Final = 3600.0


def login_cool_down(err: ScannerRateLimitError) -> float:
    """Return how long (seconds) to leave the login alone after ``err``."""
    if err.retry_after:  # the gateway's own hint, within reason
        return min(err.retry_after, MAX_LOGIN_COOL_DOWN)
    return LOGIN_COOL_DOWN


_LOGIN_WAIT_MESSAGE: Final = "The gateway's login limit was reached; waiting before trying again"
_REQUEST_LIMIT_MESSAGE: Final = (
    "The gateway is refusing requests for a while (HTTP 429); wait before trying again"
)


class _SessionExpiredError(Exception):
    """Internal signal: the session is gone (401, LoginRequired) or refused (403)."""


async def _decoded(body: bytes) -> Any:
    """Decode an answer; a large one (a page of a backlog) on a worker thread.

    Decoding a page of 3 000 legacy rows takes several milliseconds, which on a small box is
    a noticeable pause of Home Assistant's event loop; a small answer is not worth the hop.
    """
    if len(body) <= DECODE_ON_LOOP_BYTES:
        return _decode(body)
    # In the workers' turn: a page read ahead is not decoded while the one before is digested.
    return await asyncio.get_running_loop().run_in_executor(
        None, in_worker_turn, partial(_decode, body)
    )


@dataclass(kw_only=True)
class UnifiTransport:
    """One gateway, one site, one auth strategy; endpoint methods live on ``UnifiClient``."""

    session: aiohttp.ClientSession
    host: str
    credentials: Credentials = field(repr=False)
    port: int | None = None
    site: str = "default"
    verify_ssl: bool = False
    request_timeout: float = 10.0
    scheme: str = "https"

    _base: URL = field(init=False, repr=False, compare=False)
    _auth: Authenticator = field(init=False, repr=False, compare=False)
    _unifi_os: bool | None = field(default=None, init=False, repr=False, compare=False)
    _generation: int = field(default=0, init=False, repr=False, compare=False)
    _login_blocked_until: float = field(default=0.0, init=False, repr=False, compare=False)
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
        self._auth = self.credentials.authenticator()

    @property
    def unifi_os(self) -> bool | None:
        """True on a UniFi OS console, False on a classic controller, None before detection."""
        return self._unifi_os

    @property
    def auth_method(self) -> AuthMethod:
        """Which auth method the credentials stand for (never the secret itself)."""
        return self.credentials.method

    # --- transport -----------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """One exchange, read completely inside the timeout; network failures mapped."""
        headers = {"Accept": "application/json", **self._auth.headers()}
        if body is not None:
            headers["Content-Type"] = "application/json"
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
                    reply = Reply(response.status, response.headers, payload, cookies)
        except TimeoutError as err:
            msg = f"The gateway did not answer within {self.request_timeout:g} s"
            raise ScannerTimeoutError(msg) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"Cannot talk to the gateway: {type(err).__name__}"
            raise ScannerConnectionError(msg) from err
        LOGGER.debug("%s %s -> HTTP %s, %d bytes", method, path, reply.status, len(reply.body))
        self._auth.observe(reply)
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

    # --- signing in ----------------------------------------------------------------------------

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
        """Detect the flavour once, then sign in (a local account logs in; a key sends nothing)."""
        async with self._login_lock:
            await self._login_locked()

    async def _relogin(self, seen_generation: int) -> None:
        """Sign in unless another task already did since ``seen_generation``."""
        async with self._login_lock:
            if self._generation == seen_generation:
                await self._login_locked()

    async def _login_locked(self) -> None:
        now = time.time()  # the wall clock: a cool-down outlasts a suspended machine
        if now < self._login_blocked_until:
            raise ScannerRateLimitError(
                _LOGIN_WAIT_MESSAGE, retry_after=self._login_blocked_until - now
            )
        if self._unifi_os is None:
            self._unifi_os = await self._detect()
            LOGGER.debug("Detected %s", "UniFi OS" if self._unifi_os else "classic controller")
        try:
            await self._auth.sign_in(self._send, unifi_os=self._unifi_os)
        except ScannerRateLimitError as err:
            self._login_blocked_until = now + login_cool_down(err)
            raise
        self._generation += 1

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
        gets exactly one re-login and one retry, and a call never logs in twice; a rejected API
        key is final.
        """
        body = None if json is None else orjson.dumps(json)
        auth = self._auth
        signed_in_now = False
        generation = self._generation
        if not auth.signed_in:
            await self._relogin(generation)
            signed_in_now = True
            generation = self._generation
        try:
            return await self._request_once(method, path, body, params, v2=v2, scoped=site_scoped)
        except _SessionExpiredError as err:
            if signed_in_now or not auth.renewable:
                raise auth.rejected(str(err)) from err
        LOGGER.debug("Session lost; logging in again once")
        await self._relogin(generation)
        try:
            return await self._request_once(method, path, body, params, v2=v2, scoped=site_scoped)
        except _SessionExpiredError as err:
            raise auth.rejected(str(err)) from err

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
        reply = await self._send(method, full_path, body, params=params)
        status = reply.status
        _raise_for_account_limits(reply, _REQUEST_LIMIT_MESSAGE)
        try:
            decoded = await _decoded(reply.body)
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

    # --- the event stream ----------------------------------------------------------------------

    async def open_event_stream(self) -> aiohttp.ClientWebSocketResponse:
        """Open the site's event websocket on the REST session (cookies, CSRF or key).

        A lost session gets the same single re-login as ``request()`` (which holds the login
        lock, so a stream and a scan never log in twice). Raises ``ScannerStreamRefusedError``
        when the gateway or a proxy will not upgrade for these credentials, the connection
        errors when the console cannot be reached or is booting (5xx), and
        ``ScannerRateLimitError`` on 429.
        """
        auth = self._auth
        generation = self._generation
        signed_in_now = False
        if not auth.signed_in:
            await self._relogin(generation)
            signed_in_now = True
            generation = self._generation
        try:
            return await self._upgrade()
        except _SessionExpiredError as err:
            if signed_in_now or not auth.renewable:
                raise ScannerStreamRefusedError(str(err), status=401) from err
        LOGGER.debug("Stream session lost; logging in again once")
        await self._relogin(generation)
        try:
            return await self._upgrade()
        except _SessionExpiredError as err:
            raise ScannerStreamRefusedError(str(err), status=401) from err

    async def _upgrade(self) -> aiohttp.ClientWebSocketResponse:
        site = quote(self.site, safe="")
        path = (UNIFI_OS_PREFIX if self._unifi_os else "") + f"/wss/s/{site}/events"
        url = self._base.with_scheme("wss" if self.scheme == "https" else "ws").with_path(
            path, encoded=True
        )
        try:
            async with asyncio.timeout(self.request_timeout):
                socket = await self.session.ws_connect(
                    url,
                    headers=self._auth.headers(),
                    ssl=self.verify_ssl,
                    heartbeat=STREAM_HEARTBEAT,
                    max_msg_size=STREAM_MAX_MESSAGE,
                    compress=STREAM_COMPRESSION,
                    autoping=True,
                )
        except aiohttp.WSServerHandshakeError as err:
            raise _handshake_error(err.status) from err
        except TimeoutError as err:
            msg = f"The event stream did not open within {self.request_timeout:g} s"
            raise ScannerTimeoutError(msg) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"Cannot open the event stream: {type(err).__name__}"
            raise ScannerConnectionError(msg) from err
        LOGGER.debug("Event stream open on %s", path)
        return socket

    async def close(self) -> None:
        """Sign out, best effort; never raises. The session stays open (the caller owns it)."""
        if not self._auth.signed_in:
            return
        try:
            await self._auth.sign_out(self._send, unifi_os=bool(self._unifi_os))
        except Exception as err:  # noqa: BLE001 - logout must never fail a shutdown
            LOGGER.debug("Logout failed: %s", type(err).__name__)


def _handshake_error(status: int) -> Exception:
    """Map a refused upgrade: a lost session, a limit, a console booting, or no stream here."""
    if status == 401:
        return _SessionExpiredError("The event stream needs a new session (HTTP 401)")
    if status == 429:
        return ScannerRateLimitError(_REQUEST_LIMIT_MESSAGE)
    if status >= 500:
        return ScannerConnectionError(f"The event stream is unavailable (HTTP {status})")
    return ScannerStreamRefusedError(
        f"The gateway does not open the event stream (HTTP {status})", status=status
    )
