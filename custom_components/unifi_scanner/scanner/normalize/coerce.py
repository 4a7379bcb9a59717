"""Read the loosely typed scalars a gateway sends: numbers as strings, flags as 0/1, odd times.

Shared by every normaliser; ``_SKIP`` is what a malformed item may raise, caught once per item.
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import isfinite
from typing import Any

from custom_components.unifi_scanner.scanner.models import LATEST_MS

# Values below this are seconds, not milliseconds (1e11 ms is 1973; 1e11 s is year 5138).
_MS_THRESHOLD = 100_000_000_000

_SKIP = (TypeError, ValueError, AttributeError, KeyError, OverflowError, OSError)


def _text(value: Any) -> str | None:
    """Return a non-empty string, stringifying numbers; anything else is None."""
    if type(value) is str:
        return value or None
    if type(value) is int or type(value) is float:
        return str(value)
    return None


def _int(value: Any) -> int | None:
    """Read an int that may arrive as a string or float; booleans and junk are None."""
    if type(value) is int:
        return value
    if type(value) is float:
        return int(value) if isfinite(value) else None
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            try:
                return _int(float(value))
            except ValueError:
                return None
    return None


def _float(value: Any) -> float | None:
    """Read a float that may arrive as a string ("3.1", "72 C"); junk is None."""
    if type(value) is float or type(value) is int:
        return float(value)
    if type(value) is str:
        text = value.strip()
        if text.endswith(("C", "W", "%")):
            text = text[:-1].strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return number if isfinite(number) else None
    return None


def _bool(value: Any, *, default: bool = False) -> bool:
    """Read a flag that may arrive as a bool, 0/1 or a "true"/"false" string."""
    if type(value) is bool:
        return value
    if type(value) is int:
        return value != 0
    if type(value) is str:
        return value.strip().lower() in {"true", "1", "yes"}
    return default


def _ms(value: Any) -> int | None:
    """Epoch milliseconds from ``time``; tolerates strings and seconds by mistake."""
    number = value if type(value) is int else _int(value)
    if number is None or number <= 0:
        return None
    if number < _MS_THRESHOLD:
        number *= 1000
    return number if number <= LATEST_MS else None


def _iso_ms(value: Any) -> int | None:
    """Epoch milliseconds from an ISO ``datetime`` string (the slow fallback)."""
    if type(value) is not str or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    ms = int(parsed.timestamp() * 1000)
    return ms if 0 < ms <= LATEST_MS else None
