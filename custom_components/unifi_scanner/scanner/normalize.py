"""Turn the gateway's loosely typed JSON items into the typed models.

Everything here is pure and synchronous. The entry normalisers run once per log item (a busy site
produces hundreds of thousands), so they do plain dict look-ups only: no regexes, no string date
parsing when the ``time`` milliseconds exist, and one ``try`` per item so a single malformed item
is skipped instead of failing the batch. Numbers may arrive as strings, geo fields as ``{}``,
``[]`` or ``false``: see UNIFI_API.md section 8.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from itertools import compress, islice
from math import inf, isfinite
from operator import attrgetter, eq
from typing import TYPE_CHECKING, Any, cast

from .models import (
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
    Storage,
    Temperature,
    Threat,
    WanLink,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

# Values below this are seconds, not milliseconds (1e11 ms is 1973; 1e11 s is year 5138).
_MS_THRESHOLD = 100_000_000_000

# Legacy events name the device by a role prefix; the first present one wins.
_DEVICE_PREFIXES: tuple[tuple[str, str, str], ...] = tuple(
    (prefix, f"{prefix}_name", f"{prefix}_displayName")
    for prefix in ("ap", "sw", "gw", "dm", "xg", "bb", "lte", "dev")
)
_CLIENT_FIELDS = ("user", "guest", "client")

# v2 system-log parameter roles, most specific first.
_V2_CLIENT_ROLES = ("CLIENT", "SRC_CLIENT", "DST_CLIENT", "USER", "GUEST")
_V2_DEVICE_ROLES = ("DEVICE", "AP", "GATEWAY", "SWITCH", "SRC_DEVICE", "DEVICE_TO", "CONSOLE")

_BLOCKED_ACTIONS = frozenset({"blocked", "block", "drop", "dropped", "reject", "rejected", "deny"})
# v2 severities onto the IPS scale (1 = most severe … 3).
_V2_SEVERITY = {"VERY_HIGH": 1, "HIGH": 1, "MEDIUM": 2, "LOW": 3}

_SKIP = (TypeError, ValueError, AttributeError, KeyError, OverflowError, OSError)

_fromtimestamp = datetime.fromtimestamp

# --- fast construction --------------------------------------------------------------------------
# A frozen dataclass's ``__init__`` routes every field through ``object.__setattr__``, which made
# construction the largest single cost of normalising a large log. Instead an entry is built as a
# mutable twin with the same slots in the same order, then becomes a real ``LogEntry`` by
# ``__class__`` assignment (CPython allows it exactly when the two layouts are identical). Used
# only while the models' fields are the ones below and the swap works; otherwise the regular
# constructors run. ``tests/scanner/test_normalize.py`` checks both paths give equal objects.
_ENTRY_FIELDS = (
    "source",
    "id",
    "key",
    "time",
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
)


class _EntryDraft:
    """A mutable ``LogEntry`` with the same slots, filled by plain slot stores."""

    __slots__ = _ENTRY_FIELDS

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        source: Source,
        entry_id: str,
        key: str,
        time: datetime,
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
        self.time = time
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


class _ThreatDraft:
    """A mutable ``Threat`` with the same slots, filled by plain slot stores."""

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


def _slow_entry(*values: Any) -> LogEntry:
    """Build a LogEntry through its constructor (the reference the fast path must equal)."""
    return LogEntry(**dict(zip(_ENTRY_FIELDS, values, strict=True)))


def _slow_threat(*values: Any) -> Threat:
    """Build a Threat through its constructor (the reference the fast path must equal)."""
    return Threat(**dict(zip(_THREAT_FIELDS, values, strict=True)))


def _fast_entry(  # noqa: PLR0913, PLR0917
    source: Source,
    entry_id: str,
    key: str,
    time: datetime,
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
) -> LogEntry:
    """Build a LogEntry equal to ``_slow_entry``'s without the frozen ``__setattr__``."""
    entry: Any = _EntryDraft(
        source,
        entry_id,
        key,
        time,
        time_ms,
        message,
        subsystem,
        device_mac,
        device_name,
        client_mac,
        client_name,
        ip,
        threat,
        raw,
    )
    entry.__class__ = LogEntry
    return cast("LogEntry", entry)


def _fast_threat(  # noqa: PLR0913, PLR0917
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
) -> Threat:
    """Build a Threat equal to ``_slow_threat``'s without the frozen ``__setattr__``."""
    threat: Any = _ThreatDraft(
        signature,
        signature_id,
        category,
        action,
        blocked,
        severity,
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        src_country,
    )
    threat.__class__ = Threat
    return cast("Threat", threat)


def _swappable(model: type, draft: type, names: tuple[str, ...]) -> bool:
    """Whether ``draft`` instances can become ``model`` instances (same fields, same layout)."""
    if tuple(f.name for f in fields(model)) != names:
        return False
    probe = draft(*([None] * len(names)))
    try:
        probe.__class__ = model
    except TypeError:
        return False
    return True


_FAST_ENTRY = _swappable(LogEntry, _EntryDraft, _ENTRY_FIELDS)
_FAST_THREAT = _swappable(Threat, _ThreatDraft, _THREAT_FIELDS)
_make_entry: Callable[..., LogEntry] = _fast_entry if _FAST_ENTRY else _slow_entry
_make_threat: Callable[..., Threat] = _fast_threat if _FAST_THREAT else _slow_threat


# --- scalar coercion ---------------------------------------------------------------------------


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
    return number if number >= _MS_THRESHOLD else number * 1000


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
    return int(parsed.timestamp() * 1000)


# --- log entries -------------------------------------------------------------------------------


_is_tracked = gc.is_tracked
_ATOMIC = frozenset({str, int, float, bool})
# The parts of a v2 parameter role that rules can address (``{CLIENT_name}``, ``DEVICE_id``:
# catalogue.ALLOWED_PLACEHOLDERS) and the engine reads; the rest (model, version, fingerprint …)
# restates device state and is dropped.
_ROLE_PARTS = ("name", "id", "ip")
# Threat entries' nested groups, kept whole (they are few) as ``group_field``.
_FLATTENED_GROUPS = ("source", "destination", "trigger")
# Flattened names are cached so 100 000 entries share one ``CLIENT_name`` string; the caches
# are bounded because role and field names come from the gateway.
_FLAT_NAMES: dict[Any, str] = {}
_ROLE_NAMES: dict[Any, tuple[str, str, str]] = {}
_NAMES_LIMIT = 1024


def _flat_name(prefix: Any, name: Any) -> str:
    """Return ``{prefix}_{name}``, shared between entries while the cache has room."""
    flat = f"{prefix}_{name}"
    shared = _FLAT_NAMES.get(flat)
    if shared is not None:
        return shared
    if len(_FLAT_NAMES) < _NAMES_LIMIT:
        _FLAT_NAMES[flat] = flat
    return flat


def _role_names(role: Any) -> tuple[str, str, str]:
    """Return the flattened ``ROLE_name``, ``ROLE_id`` and ``ROLE_ip`` names of a role."""
    names = _ROLE_NAMES.get(role)
    if names is None:
        names = (_flat_name(role, "name"), _flat_name(role, "id"), _flat_name(role, "ip"))
        if len(_ROLE_NAMES) < _NAMES_LIMIT:
            _ROLE_NAMES[role] = names
    return names


def _compact(item: Mapping[str, Any]) -> dict[str, Any]:
    """Keep what later stages can read of a nested item, in a dict that holds no container.

    Rule conditions read top-level scalars, kept as they are. Templates and the engine read v2
    parameter roles only as ``ROLE_name``/``ROLE_id``/``ROLE_ip``, and ``template_fields`` also
    offers the ``source``/``destination``/``trigger`` groups as ``group_field``: those are
    flattened under exactly those names, with ``template_fields``' precedence. The role dicts,
    IPS geo objects and lists are dropped, so they are freed with their page.

    Building the dict from scalars only (rather than copying the item) also leaves it untracked
    by the cyclic collector: 100 000 kept entries then add no dicts for every full collection
    of the process (Home Assistant's included) to traverse, and do not bring one on sooner.
    """
    atomic = _ATOMIC
    raw = {name: value for name, value in item.items() if type(value) in atomic}
    params = item.get("parameters")
    if isinstance(params, dict):
        for role, values in params.items():
            if isinstance(values, dict):
                name_key, id_key, ip_key = _role_names(role)
                get = values.get
                value = get("name")
                if type(value) in atomic:
                    raw[name_key] = value
                value = get("id")
                if type(value) in atomic:
                    raw[id_key] = value
                value = get("ip")
                if type(value) in atomic:
                    raw[ip_key] = value
    if "source" in item or "destination" in item or "trigger" in item:
        for group in _FLATTENED_GROUPS:
            values = item.get(group)
            if isinstance(values, dict):
                for name, value in values.items():
                    if type(value) in atomic:
                        raw[_flat_name(group, name)] = value
    return raw


def _kept(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """Choose the ``raw`` an entry keeps: a flat item as it is, anything nested compacted.

    ``gc.is_tracked`` is CPython's O(1) flag for "this dict may hold a container": a flat legacy
    row (the common case) is untracked and kept without copying. It holds only scalars, or
    containers that hold nothing tracked, which later stages ignore just as they would in the
    compact form.
    """
    return _compact(item) if _is_tracked(item) else item


def _flat_threat(item: Mapping[str, Any]) -> Threat:
    """Build the threat of a legacy IPS row from its flat ``inner_alert_*`` fields."""
    get = item.get
    action = get("inner_alert_action")
    if type(action) is not str:
        action = _text(action) or ""
    signature = get("inner_alert_signature")
    if type(signature) is not str:
        signature = _text(signature) or ""
    category = get("inner_alert_category")
    if type(category) is not str:
        category = _text(category) or ""
    src_ip = get("src_ip")
    if type(src_ip) is not str or not src_ip:
        src_ip = _text(src_ip)
    dest_ip = get("dest_ip")
    if type(dest_ip) is not str or not dest_ip:
        dest_ip = _text(dest_ip)
    proto = get("proto")
    if type(proto) is not str or not proto:
        proto = _text(proto)
    signature_id = get("inner_alert_signature_id")
    if type(signature_id) is not int:
        signature_id = _int(signature_id)
    severity = get("inner_alert_severity")
    if type(severity) is not int:
        severity = _int(severity)
    src_port = get("src_port")
    if type(src_port) is not int:
        src_port = _int(src_port)
    dest_port = get("dest_port")
    if type(dest_port) is not int:
        dest_port = _int(dest_port)
    country = get("srcipCountry")
    return _make_threat(
        signature,
        signature_id,
        category,
        action,
        action.lower() in _BLOCKED_ACTIONS,
        severity,
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        country if type(country) is str and country else None,
    )


def _legacy(item: Mapping[str, Any], source: Source) -> LogEntry | None:  # noqa: PLR0912
    """Normalise a legacy event, alarm or IPS row; the hot path, so deliberately inlined."""
    get = item.get
    entry_id = get("_id")
    if type(entry_id) is not str or not entry_id:
        return None
    ms = get("time")
    if type(ms) is not int or ms < _MS_THRESHOLD:
        ms = _ms(ms)
        if ms is None:
            if source is Source.IPS:
                ms = _ms(get("timestamp"))
            if ms is None:
                ms = _iso_ms(get("datetime"))
                if ms is None:
                    return None

    device_mac = device_name = None
    for prefix, name_key, display_key in _DEVICE_PREFIXES:
        mac = get(prefix)
        if mac:
            if type(mac) is str:
                device_mac = mac
                device_name = get(name_key) or get(display_key)
                if type(device_name) is not str:
                    device_name = _text(device_name)
            break

    client_mac = get("user") or get("guest") or get("client")
    if type(client_mac) is not str:
        client_mac = None
    client_name = get("hostname")
    if type(client_name) is not str:
        client_name = _text(client_name)

    threat = None
    if source is Source.IPS or "inner_alert_signature" in item:
        threat = _flat_threat(item)

    key = get("key")
    if type(key) is not str:
        key = "EVT_IPS_IpsAlert" if source is Source.IPS else ""
    message = get("msg")
    if type(message) is not str:
        message = ""
        if threat is not None:
            message = f"{threat.category}: {threat.signature}".strip(": ")
    subsystem = get("subsystem")
    if type(subsystem) is not str:
        subsystem = None
    ip = get("ip")
    if type(ip) is not str or not ip:
        ip = threat.src_ip if threat is not None else None
    return _make_entry(
        source,
        entry_id,
        key,
        _fromtimestamp(ms / 1000, UTC),
        ms,
        message,
        subsystem,
        device_mac,
        device_name,
        client_mac,
        client_name or None,
        ip,
        threat,
        _kept(item),
    )


def normalize_event(item: Mapping[str, Any], source: Source = Source.EVENT) -> LogEntry | None:
    """Normalise a legacy ``stat/event`` or ``list/alarm`` item; None when it is unusable."""
    try:
        return _legacy(item, source)
    except _SKIP:
        return None


def normalize_ips(item: Mapping[str, Any]) -> LogEntry | None:
    """Normalise a flat ``stat/ips/event`` row (``timestamp`` is seconds, ``time`` ms)."""
    try:
        return _legacy(item, Source.IPS)
    except _SKIP:
        return None


def _role(params: Mapping[str, Any], roles: tuple[str, ...]) -> Mapping[str, Any] | None:
    """Return the first present parameter role of the given kinds."""
    get = params.get
    for role in roles:
        value = get(role)
        if isinstance(value, dict):
            return value
    return None


_TOKENS: dict[Any, str] = {}


def _token(role: Any) -> str:
    """Return ``{ROLE}``, shared between entries while the cache has room."""
    token = _TOKENS.get(role)
    if token is None:
        token = "{" + str(role) + "}"
        if len(_TOKENS) < _NAMES_LIMIT:
            _TOKENS[role] = token
    return token


def _render(template: str, params: Mapping[str, Any]) -> str:
    """Replace ``{ROLE}`` placeholders by the role's name (fallback id)."""
    if "{" not in template:
        return template
    for role, value in params.items():
        token = _token(role)
        if token in template and isinstance(value, dict):
            text = _text(value.get("name")) or _text(value.get("id")) or ""
            template = template.replace(token, text)
    return template


def _v2_threat(
    item: Mapping[str, Any], params: Mapping[str, Any], key: str, message: str
) -> Threat:
    """Build the threat of a v2 THREAT entry from whatever its fields offer."""
    source = item.get("source")
    source = source if isinstance(source, dict) else {}
    destination = item.get("destination")
    destination = destination if isinstance(destination, dict) else {}
    src_role = _role(params, ("SRC_IP", "SRC_CLIENT", "SRC_DEVICE")) or {}
    dst_role = _role(params, ("DST_IP", "DST_CLIENT", "DST_DEVICE")) or {}
    signature_role = _role(params, ("SIGNATURE", "THREAT"))
    action_role = _role(params, ("ACTION",))

    action = _text(item.get("action")) or (
        _text(action_role.get("name")) if action_role is not None else None
    )
    if action is None:
        action = "blocked" if "BLOCK" in key else "detected"
    signature = (
        _text(signature_role.get("name")) if signature_role is not None else None
    ) or message
    severity = item.get("severity")
    return _make_threat(
        signature,
        _int(signature_role.get("id")) if signature_role is not None else None,
        _text(item.get("subcategory")) or _text(item.get("type")) or "",
        action,
        action.lower() in _BLOCKED_ACTIONS,
        _V2_SEVERITY.get(severity) if type(severity) is str else _int(severity),
        _text(source.get("ip")) or _text(src_role.get("ip")) or _text(src_role.get("id")),
        _int(source.get("port")),
        _text(destination.get("ip")) or _text(dst_role.get("ip")) or _text(dst_role.get("id")),
        _int(destination.get("port")),
        _text(item.get("protocol")) or _text(source.get("protocol")),
        _text(source.get("country")),
    )


def _system_log(item: Mapping[str, Any]) -> LogEntry | None:
    """Normalise one v2 system-log entry."""
    get = item.get
    entry_id = get("id")
    if type(entry_id) is not str or not entry_id:
        return None
    ms = get("timestamp")
    if type(ms) is not int or ms < _MS_THRESHOLD:
        ms = _ms(ms)
        if ms is None:
            ms = _ms(get("time"))
            if ms is None:
                return None
    key = get("key")
    if type(key) is not str:
        key = get("event")
        key = key if type(key) is str else ""
    params = get("parameters")
    if not isinstance(params, dict):
        params = {}

    client = _role(params, _V2_CLIENT_ROLES)
    device = _role(params, _V2_DEVICE_ROLES)

    message = get("message")
    if type(message) is not str or not message:
        template = get("message_raw")
        if type(template) is not str or not template:
            template = get("title_raw")
        message = _render(template, params) if type(template) is str else ""

    threat = None
    if "THREAT" in key or "IPS" in key:
        threat = _v2_threat(item, params, key, message)

    client_mac = client_name = ip = None
    if client is not None:
        client_mac = _text(client.get("id"))
        client_name = _text(client.get("name")) or _text(client.get("hostname"))
        ip = _text(client.get("ip"))
    if ip is None and threat is not None:
        ip = threat.src_ip
    category = get("category")
    return _make_entry(
        Source.SYSTEM_LOG,
        entry_id,
        key,
        _fromtimestamp(ms / 1000, UTC),
        ms,
        message,
        category if type(category) is str else None,
        _text(device.get("id")) if device is not None else None,
        _text(device.get("name")) if device is not None else None,
        client_mac,
        client_name,
        ip,
        threat,
        _kept(item),
    )


def normalize_system_log(item: Mapping[str, Any]) -> LogEntry | None:
    """Normalise a v2 ``system-log`` entry; None when it has no usable id or timestamp."""
    try:
        return _system_log(item)
    except _SKIP:
        return None


def _ips(item: Mapping[str, Any], _source: Source) -> LogEntry | None:
    return _legacy(item, Source.IPS)


def _system_log_any(item: Mapping[str, Any], _source: Source) -> LogEntry | None:
    return _system_log(item)


_NORMALIZERS: dict[Source, Callable[[Mapping[str, Any], Source], LogEntry | None]] = {
    Source.SYSTEM_LOG: _system_log_any,
    Source.EVENT: _legacy,
    Source.ALARM: _legacy,
    Source.IPS: _ips,
}


def _normalize_into(
    items: Iterable[Mapping[str, Any]],
    source: Source,
    seen: set[str],
    out: list[LogEntry],
    since_ms: float,
    until_ms: float,
) -> None:
    """Append the usable, first-seen items of one source inside the window to ``out``."""
    normalize = _NORMALIZERS[source]
    add = seen.add
    append = out.append
    for item in items:
        try:
            entry = normalize(item, source)
        except _SKIP:
            continue
        if entry is None:
            continue
        entry_id = entry.id
        if entry_id in seen:
            continue
        add(entry_id)
        if since_ms <= entry.time_ms <= until_ms:
            append(entry)


def normalize_entries(items: Iterable[Mapping[str, Any]], source: Source) -> list[LogEntry]:
    """Normalise a batch from one source, dropping unusable items and repeated ids."""
    entries: list[LogEntry] = []
    _normalize_into(items, source, set(), entries, -inf, inf)
    return entries


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around one bounded, synchronous batch.

    Decoding and normalising a page allocates thousands of dicts and entries, and the collector
    would traverse them again and again while they are being built (at 100 000 events that was
    a fifth of the parse time, and Home Assistant's far larger heap makes each full collection
    dearer). Callers wrap one page at a time, never an ``await``: the collector runs normally
    between pages and catches up on the page at its next collection. A collector that was
    already disabled (by the application) stays disabled.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_time_ms = attrgetter("time_ms")
_tie_key = attrgetter("source", "id")


def sort_entries(entries: list[LogEntry]) -> None:
    """Sort in place by (time, source, id), the order ``FetchResult.entries`` promises.

    Sorting on the time alone and then ordering the short runs of equal times by source and id
    gives the same order as the three-part key for a fraction of the cost; the runs are found
    without a Python loop over every entry.
    """
    entries.sort(key=_time_ms)
    times = list(map(_time_ms, entries))
    ties = list(compress(range(1, len(times)), map(eq, times, islice(times, 1, None))))
    if not ties:
        return
    start, last = ties[0] - 1, ties[0]
    for index in islice(ties, 1, None):
        if index != last + 1:
            entries[start : last + 1] = sorted(entries[start : last + 1], key=_tie_key)
            start = index - 1
        last = index
    entries[start : last + 1] = sorted(entries[start : last + 1], key=_tie_key)


class EntryCollector:
    """Normalise one collection page by page, keeping only the entries.

    The client hands over each page as it arrives and drops it afterwards, so memory holds one
    page of gateway dicts plus compact entries, never the whole backlog. Ids are unique only
    within a source (pages may overlap), so each source has its own set of seen ids; entries
    outside ``[since_ms, until_ms]`` are dropped.
    """

    __slots__ = ("_entries", "_seen", "_since_ms", "_until_ms")

    def __init__(self, *, since_ms: int | None = None, until_ms: int | None = None) -> None:
        """Collect entries inside the window (both ends inclusive, open when None)."""
        self._since_ms: float = -inf if since_ms is None else since_ms
        self._until_ms: float = inf if until_ms is None else until_ms
        self._entries: dict[Source, list[LogEntry]] = {}
        self._seen: dict[Source, set[str]] = {}

    def add(self, items: Iterable[Mapping[str, Any]], source: Source) -> int:
        """Normalise one page of ``source`` with the collector paused; return entries kept."""
        out = self._entries.setdefault(source, [])
        before = len(out)
        with gc_paused():
            _normalize_into(
                items,
                source,
                self._seen.setdefault(source, set()),
                out,
                self._since_ms,
                self._until_ms,
            )
        return len(out) - before

    def discard(self, source: Source) -> None:
        """Forget everything collected from ``source`` (it failed part-way)."""
        self._entries.pop(source, None)
        self._seen.pop(source, None)

    def __len__(self) -> int:
        """Entries kept so far."""
        return sum(map(len, self._entries.values()))

    def entries(self) -> list[LogEntry]:
        """Every kept entry, sorted by (time, source, id)."""
        merged: list[LogEntry] = []
        for source in sorted(self._entries):
            merged += self._entries[source]
        sort_entries(merged)
        return merged


# --- devices and health ------------------------------------------------------------------------


def _temperatures(item: Mapping[str, Any], stats: Mapping[str, Any]) -> tuple[Temperature, ...]:
    """Collect every temperature a device reports, in the three shapes firmware uses."""
    found: dict[str, float] = {}
    sensors = item.get("temperatures")
    if isinstance(sensors, list):
        for sensor in sensors:
            if isinstance(sensor, dict):
                value = _float(sensor.get("value"))
                name = _text(sensor.get("name")) or _text(sensor.get("type")) or "sensor"
                if value is not None:
                    found.setdefault(name, value)
    temps = stats.get("temps")
    if isinstance(temps, dict):
        for name, raw_value in temps.items():
            value = _float(raw_value)
            if value is not None:
                found.setdefault(str(name), value)
    general = _float(item.get("general_temperature"))
    if general is not None and item.get("has_temperature") is not False:
        found.setdefault("General", general)
    return tuple(Temperature(name=name, value=value) for name, value in found.items())


def _poe(item: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """PoE draw summed over ports, and the switch's budget."""
    used: float | None = None
    ports = item.get("port_table")
    if isinstance(ports, list):
        for port in ports:
            if isinstance(port, dict):
                power = _float(port.get("poe_power"))
                if power is not None:
                    used = (used or 0.0) + power
    return used, _float(item.get("total_max_power"))


def _storage(item: Mapping[str, Any]) -> tuple[Storage, ...]:
    volumes = item.get("storage")
    if not isinstance(volumes, list):
        return ()
    result: list[Storage] = []
    for volume in volumes:
        if not isinstance(volume, dict):
            continue
        size = _int(volume.get("size"))
        used = _int(volume.get("used"))
        if size is None or used is None:
            continue
        name = _text(volume.get("name")) or _text(volume.get("mount_point")) or "storage"
        result.append(Storage(name=name, size=size, used=used))
    return tuple(result)


def _wan(item: Mapping[str, Any]) -> tuple[WanLink, ...]:
    """WAN uplinks from ``wan1``/``wan2`` plus their ``uptime_stats`` monitors."""
    uptime_stats = item.get("uptime_stats")
    if not isinstance(uptime_stats, dict):
        uptime_stats = {}
    links: list[WanLink] = []
    for field_name, stats_name in (("wan1", "WAN"), ("wan2", "WAN2")):
        wan = item.get(field_name)
        stats = uptime_stats.get(stats_name)
        if not isinstance(wan, dict) and not isinstance(stats, dict):
            continue
        wan = wan if isinstance(wan, dict) else {}
        stats = stats if isinstance(stats, dict) else {}
        up = wan.get("up")
        latency = _float(wan.get("latency"))
        if latency is None:
            latency = _float(stats.get("latency_average"))
        availability = _float(stats.get("availability"))
        if availability is None:
            availability = _float(wan.get("availability"))
        links.append(
            WanLink(
                name=_text(wan.get("name")) or field_name.upper(),
                up=_bool(up) if up is not None else None,
                latency_ms=latency,
                availability=availability,
            )
        )
    return tuple(links)


def _device(item: Mapping[str, Any]) -> Device | None:
    mac = _text(item.get("mac"))
    if mac is None:
        return None
    stats = item.get("system-stats")
    if not isinstance(stats, dict):
        stats = {}
    poe_used, poe_budget = _poe(item)
    uptime = _int(item.get("uptime"))
    return Device(
        mac=mac,
        name=_text(item.get("name")) or mac,
        model=_text(item.get("model")),
        type=_text(item.get("type")),
        state=_int(item.get("state")),
        adopted=_bool(item.get("adopted"), default=True),
        version=_text(item.get("version")),
        upgradable=_bool(item.get("upgradable")),
        upgrade_to=_text(item.get("upgrade_to_firmware")),
        uptime=uptime if uptime is not None else _int(stats.get("uptime")),
        cpu=_float(stats.get("cpu")),
        mem=_float(stats.get("mem")),
        temperatures=_temperatures(item, stats),
        overheating=_bool(item.get("overheating")),
        poe_used_w=poe_used,
        poe_budget_w=poe_budget,
        storage=_storage(item),
        wan=_wan(item),
        raw=item,
    )


def normalize_device(item: Mapping[str, Any]) -> Device | None:
    """Normalise a ``stat/device`` item; None without a MAC."""
    try:
        return _device(item)
    except _SKIP:
        return None


def _health(item: Mapping[str, Any]) -> HealthSubsystem | None:
    subsystem = _text(item.get("subsystem"))
    if subsystem is None:
        return None
    uptime_stats = item.get("uptime_stats")
    wan_stats = uptime_stats.get("WAN") if isinstance(uptime_stats, dict) else None
    if not isinstance(wan_stats, dict):
        wan_stats = {}
    latency = _float(item.get("latency"))
    if latency is None:
        latency = _float(wan_stats.get("latency_average"))
    return HealthSubsystem(
        subsystem=subsystem,
        status=_text(item.get("status")) or "unknown",
        latency_ms=latency,
        availability=_float(wan_stats.get("availability")),
        num_disconnected=_int(item.get("num_disconnected")),
        raw=item,
    )


def normalize_health(item: Mapping[str, Any]) -> HealthSubsystem | None:
    """Normalise one ``stat/health`` subsystem; None without a subsystem name."""
    try:
        return _health(item)
    except _SKIP:
        return None


# --- rule template fields ----------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int or type(value) is float:
        return str(value)
    return None


def _add_scalars(fields: dict[str, str], values: Mapping[str, Any], prefix: str) -> None:
    for name, value in values.items():
        text = _scalar(value)
        if text is not None:
            fields[f"{prefix}{name}"] = text


def template_fields(entry: LogEntry) -> dict[str, str]:
    """Every scalar field a rule template may use, stringified.

    Legacy items contribute their own fields (``port``, ``ssid``, ``admin``, ``version_to`` …);
    v2 entries contribute their top-level scalars plus each parameter role flattened as
    ``ROLE_field`` (``CLIENT_name``, ``DEVICE_id``) and ``source_ip``/``destination_port``.
    The typed fields come last under their model names and never hide a gateway field.
    """
    raw = entry.raw
    fields: dict[str, str] = {}
    _add_scalars(fields, raw, "")
    params = raw.get("parameters")
    if isinstance(params, dict):
        for role, role_value in params.items():
            if isinstance(role_value, dict):
                _add_scalars(fields, role_value, f"{role}_")
    for group in ("source", "destination", "trigger"):
        nested = raw.get(group)
        if isinstance(nested, dict):
            _add_scalars(fields, nested, f"{group}_")

    typed = {
        "key": entry.key,
        "message": entry.message,
        "time": entry.time.isoformat(),
        "subsystem": entry.subsystem,
        "device_mac": entry.device_mac,
        "device_name": entry.device_name,
        "device": entry.device_name or entry.device_mac,
        "client_mac": entry.client_mac,
        "client_name": entry.client_name,
        "client": entry.client_name or entry.client_mac,
        "ip": entry.ip,
    }
    threat = entry.threat
    if threat is not None:
        typed |= {
            "signature": threat.signature,
            "signature_id": None if threat.signature_id is None else str(threat.signature_id),
            "threat_category": threat.category,
            "action": threat.action,
            "src_ip": threat.src_ip,
            "src_port": None if threat.src_port is None else str(threat.src_port),
            "dest_ip": threat.dest_ip,
            "dest_port": None if threat.dest_port is None else str(threat.dest_port),
            "proto": threat.proto,
            "src_country": threat.src_country,
        }
    for name, text in typed.items():
        if text is not None:
            fields.setdefault(name, text)
    return fields
