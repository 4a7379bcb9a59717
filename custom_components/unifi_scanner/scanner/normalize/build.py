"""Build the frozen ``LogEntry`` and ``Threat`` models without their frozen ``__setattr__``.

A frozen dataclass's ``__init__`` routes every field through ``object.__setattr__``, which made
construction the largest single cost of normalising a large log. Instead an entry is built as a
mutable twin with the same slots in the same order, which becomes a real ``LogEntry`` by
``__class__`` assignment at the end of its ``__init__`` (CPython allows it exactly when the two
layouts are identical), so one call builds an entry. Used
only while the models' fields are the ones below and the swap works; otherwise the regular
constructors run. ``tests/scanner/test_normalize.py`` checks both paths give equal objects.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, cast

from custom_components.unifi_scanner.scanner.models import LogEntry, Source, Threat

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from custom_components.unifi_scanner.scanner.models import Direction

_ENTRY_FIELDS = (
    "source",
    "id",
    "key",
    "time_ms",
    "message",
    "subsystem",
    "device_mac",
    "device_name",
    "client_mac",
    "client_name",
    "ip",
    "threat",
    "raw",
)
_THREAT_FIELDS = (
    "signature",
    "signature_id",
    "category",
    "action",
    "blocked",
    "severity",
    "src_ip",
    "src_port",
    "dest_ip",
    "dest_port",
    "proto",
    "src_country",
    "direction",
)


class _EntryDraft:
    """A mutable ``LogEntry`` with the same slots: filled by plain stores, then a ``LogEntry``."""

    __slots__ = _ENTRY_FIELDS

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        source: Source,
        entry_id: str,
        key: str,
        time_ms: int,
        message: str,
        subsystem: str | None,
        device_mac: str | None,
        device_name: str | None,
        client_mac: str | None,
        client_name: str | None,
        ip: str | None,
        threat: Threat | None,
        raw: Mapping[str, Any],
    ) -> None:
        self.source = source
        self.id = entry_id
        self.key = key
        self.time_ms = time_ms
        self.message = message
        self.subsystem = subsystem
        self.device_mac = device_mac
        self.device_name = device_name
        self.client_mac = client_mac
        self.client_name = client_name
        self.ip = ip
        self.threat = threat
        self.raw = raw
        self.__class__ = LogEntry  # type: ignore[assignment]


class _ThreatDraft:
    """A mutable ``Threat`` with the same slots: filled by plain stores, then a ``Threat``."""

    __slots__ = _THREAT_FIELDS

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        signature: str,
        signature_id: int | None,
        category: str,
        action: str,
        blocked: bool,  # noqa: FBT001 - positional on purpose, like the slots
        severity: int | None,
        src_ip: str | None,
        src_port: int | None,
        dest_ip: str | None,
        dest_port: int | None,
        proto: str | None,
        src_country: str | None,
        direction: Direction | None,
    ) -> None:
        self.signature = signature
        self.signature_id = signature_id
        self.category = category
        self.action = action
        self.blocked = blocked
        self.severity = severity
        self.src_ip = src_ip
        self.src_port = src_port
        self.dest_ip = dest_ip
        self.dest_port = dest_port
        self.proto = proto
        self.src_country = src_country
        self.direction = direction
        self.__class__ = Threat  # type: ignore[assignment]


def _slow_entry(*values: Any) -> LogEntry:
    """Build a LogEntry through its constructor (the reference the fast path must equal)."""
    return LogEntry(**dict(zip(_ENTRY_FIELDS, values, strict=True)))


def _slow_threat(*values: Any) -> Threat:
    """Build a Threat through its constructor (the reference the fast path must equal)."""
    return Threat(**dict(zip(_THREAT_FIELDS, values, strict=True)))


_fast_entry = cast("Callable[..., LogEntry]", _EntryDraft)
_fast_threat = cast("Callable[..., Threat]", _ThreatDraft)


def _swappable(model: type, draft: type, names: tuple[str, ...]) -> bool:
    """Whether ``draft`` instances can become ``model`` instances (same fields, same layout)."""
    if tuple(f.name for f in fields(model)) != names:
        return False
    try:
        probe = draft(*([None] * len(names)))
    except TypeError:
        return False
    return type(probe) is model


_FAST_ENTRY = _swappable(LogEntry, _EntryDraft, _ENTRY_FIELDS)
_FAST_THREAT = _swappable(Threat, _ThreatDraft, _THREAT_FIELDS)
_make_entry: Callable[..., LogEntry] = _fast_entry if _FAST_ENTRY else _slow_entry
_make_threat: Callable[..., Threat] = _fast_threat if _FAST_THREAT else _slow_threat
