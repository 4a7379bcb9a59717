"""Pure helpers for what a gateway sends back, and for the host the user typed.

No I/O here: the shape of a reply, JSON decoding, the legacy ``meta`` envelope, error identifiers
and the exceptions they stand for, ``Retry-After``, the CSRF claim of a session JWT, and host/port
splitting.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

import orjson
from yarl import URL

from .exceptions import (
    ScannerAuthenticationError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
    ScannerResponseError,
    ScannerUnsupportedError,
)
from .normalize import gc_paused

if TYPE_CHECKING:
    from collections.abc import Mapping

    from multidict import CIMultiDictProxy

MFA_MESSAGE: Final = (
    "The gateway account requires multi-factor authentication; "
    "use a local account without MFA (Restrict to Local Access Only)"
)

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
RATE_LIMIT_MESSAGE: Final = (
    "The gateway's login attempt limit was reached; wait a few minutes before trying again"
)


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP exchange, fully read inside the timeout."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    cookies: Mapping[str, str]


def _raise_for_account_limits(reply: Reply, rate_limit_message: str) -> None:
    """Raise for the two answers no fresh sign-in can fix: too many requests (429), MFA (499)."""
    if reply.status == 429:
        raise ScannerRateLimitError(
            rate_limit_message, retry_after=_retry_after(reply.headers.get("Retry-After"))
        )
    if reply.status == 499:
        raise ScannerMfaRequiredError(MFA_MESSAGE)


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


def _whole_number(value: Any) -> int | None:
    """Read an int or a string of digits, as gateways send counts and times; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _count(envelope: Any) -> int | None:
    """``meta.count``: how many rows the gateway has in total when it truncated the answer."""
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    return _whole_number(meta.get("count") if isinstance(meta, dict) else None)
