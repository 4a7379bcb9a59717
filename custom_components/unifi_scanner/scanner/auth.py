"""The two ways the transport proves who it is: a local account's session, or an API key.

``request()`` in the transport is the only user. It asks the strategy for each request's headers,
lets it sign in before the first request, and asks it whether a rejected request may be retried
after signing in again. A local account logs in, keeps the session's CSRF token and may sign in
again once; an API key rides on every request as ``X-API-KEY``, never logs in, and a rejection
of it is final. Nothing outside the transport knows which one is in use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import orjson

from .envelope import (
    _MSG_ERRORS,
    MFA_MESSAGE,
    RATE_LIMIT_MESSAGE,
    Reply,
    _decode,
    _error_code,
    _jwt_csrf,
    _raise_for_account_limits,
    _rc_failed,
)
from .exceptions import (
    ScannerApiKeyUnsupportedError,
    ScannerAuthenticationError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
    ScannerResponseError,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

type Send = Callable[[str, str, bytes | None], Awaitable[Reply]]
"""The transport's one exchange: method, full path and JSON body in, the whole reply out."""

API_KEY_HEADER: Final = "X-API-KEY"
_CSRF_HEADERS: Final = ("X-Updated-CSRF-Token", "X-CSRF-Token")
_SESSION_COOKIES: Final = ("TOKEN", "UOS_TOKEN")


class AuthMethod(StrEnum):
    """How an entry signs in; stored with the entry and shown in diagnostics."""

    LOCAL_ACCOUNT = "local_account"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class LocalAccount:
    """A local account of the console or the self-hosted Network application."""

    username: str
    password: str = field(repr=False)

    @property
    def method(self) -> AuthMethod:
        """Which method these credentials stand for."""
        return AuthMethod.LOCAL_ACCOUNT

    def authenticator(self) -> Authenticator:
        """Start a fresh session for one transport."""
        return _LocalSession(self)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key made on a UniFi OS console (Network 9 or newer) under Control Plane, Integrations."""

    key: str = field(repr=False)

    def __post_init__(self) -> None:
        """Refuse what cannot be one header value: a key is visible ASCII without spaces."""
        if not self.key or not all("!" <= char <= "~" for char in self.key):
            msg = "An API key is a single word of visible ASCII characters"
            raise ValueError(msg)

    @property
    def method(self) -> AuthMethod:
        """Which method these credentials stand for."""
        return AuthMethod.API_KEY

    def authenticator(self) -> Authenticator:
        """Return the key's strategy for one transport."""
        return _KeyAuth(self.key)


type Credentials = LocalAccount | ApiKey


class Authenticator(ABC):
    """What ``request()`` asks of an auth method."""

    signed_in: bool = False
    renewable: bool = False
    """Whether a rejected request is worth one fresh sign-in and one retry."""

    @abstractmethod
    def headers(self) -> dict[str, str]:
        """Auth headers for the next request."""

    def observe(self, reply: Reply) -> None:  # noqa: B027 - most methods learn nothing
        """Learn from any reply (a rotated CSRF token)."""

    @abstractmethod
    async def sign_in(self, send: Send, *, unifi_os: bool) -> None:
        """Become able to send requests; raise the scanner's errors when refused."""

    async def sign_out(self, send: Send, *, unifi_os: bool) -> None:  # noqa: B027 - optional
        """End the session, if there is one; the transport ignores failures."""

    @abstractmethod
    def rejected(self, reason: str) -> ScannerAuthenticationError:
        """Build the error for a request refused with no way left to recover."""


class _KeyAuth(Authenticator):
    """``X-API-KEY`` on every request; no login, no cookie, no CSRF."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        """Never show the key."""
        return f"{type(self).__name__}()"

    def headers(self) -> dict[str, str]:
        """Send the key, and nothing else of auth."""
        return {API_KEY_HEADER: self._key}

    async def sign_in(self, send: Send, *, unifi_os: bool) -> None:  # noqa: ARG002
        """Nothing to send: only a UniFi OS console knows keys."""
        if not unifi_os:
            msg = "Self-hosted Network applications cannot use API keys; use a local account"
            raise ScannerApiKeyUnsupportedError(msg)
        self.signed_in = True

    def rejected(self, reason: str) -> ScannerAuthenticationError:  # noqa: ARG002
        """Say the key is wrong, revoked or lacks access: only a new key helps."""
        return ScannerAuthenticationError("The gateway rejected the API key")


class _LocalSession(Authenticator):
    """Login, the session cookie (kept in the aiohttp session's jar) and the CSRF token."""

    renewable = True

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._csrf: str | None = None

    def headers(self) -> dict[str, str]:
        """Send the CSRF token the gateway wants on changing requests (harmless on others)."""
        return {"X-CSRF-Token": self._csrf} if self._csrf else {}

    def observe(self, reply: Reply) -> None:
        """Keep the newest CSRF token any answer hands out."""
        for name in _CSRF_HEADERS:
            token = reply.headers.get(name)
            if token:
                self._csrf = token
                return

    async def sign_in(self, send: Send, *, unifi_os: bool) -> None:
        """Log in; the cookie lands in the session's jar, the CSRF token here."""
        self.signed_in = False
        self._csrf = None
        account = self._account
        credentials: dict[str, Any]
        if unifi_os:
            path = "/api/auth/login"
            credentials = {
                "username": account.username,
                "password": account.password,
                "token": "",
                "rememberMe": True,
            }
        else:
            path = "/api/login"
            credentials = {
                "username": account.username,
                "password": account.password,
                "remember": True,
            }
        reply = await send("POST", path, orjson.dumps(credentials))
        _check_login(reply)
        if not self._csrf:
            self._csrf = _csrf_from_cookies(reply.cookies)
        self.signed_in = True

    async def sign_out(self, send: Send, *, unifi_os: bool) -> None:
        """Log out; the session is forgotten whatever the gateway answers."""
        try:
            await send("POST", "/api/auth/logout" if unifi_os else "/api/logout", None)
        finally:
            self.signed_in = False
            self._csrf = None

    def rejected(self, reason: str) -> ScannerAuthenticationError:
        """Refused even with a fresh login: the account or its rights changed."""
        return ScannerAuthenticationError(reason)


def _csrf_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """Fallback CSRF token: the session JWT's claim or the classic ``csrf_token`` cookie."""
    for name in _SESSION_COOKIES:
        if name in cookies and (token := _jwt_csrf(cookies[name])):
            return token
    return cookies.get("csrf_token") or None


def _check_login(reply: Reply) -> None:
    """Map a login reply onto the exception tree; return quietly on success."""
    status = reply.status
    _raise_for_account_limits(reply, RATE_LIMIT_MESSAGE)
    try:
        body = _decode(reply.body)
    except ValueError:
        body = None
    code = _error_code(body)
    if code is not None and code.lower() == "api.err.ubic2fatokenrequired":
        raise ScannerMfaRequiredError(MFA_MESSAGE)
    if code == "AUTHENTICATION_FAILED_LIMIT_REACHED":
        raise ScannerRateLimitError(RATE_LIMIT_MESSAGE)
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
