"""Legacy ``stat/event``, ``list/alarm`` and flat ``stat/ips/event`` items as ``LogEntry``.

The hot path: it runs once per log item, so it does plain dict look-ups only and reads the
``time`` milliseconds before any string date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.addresses import is_internal
from custom_components.unifi_scanner.scanner.models import LATEST_MS, LogEntry, Source, Threat

from .build import _make_entry, _make_threat
from .coerce import _MS_THRESHOLD, _SKIP, _int, _iso_ms, _ms, _text
from .judgement import BLOCKED_ACTIONS, direction, judged_severity

if TYPE_CHECKING:
    from collections.abc import Mapping

# Legacy events name the device by a role prefix; the first present one wins.
_DEVICE_PREFIXES: tuple[tuple[str, str, str], ...] = tuple(
    (prefix, f"{prefix}_name", f"{prefix}_displayName")
    for prefix in ("ap", "sw", "gw", "dm", "xg", "bb", "lte", "dev")
)


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
    blocked = action.lower() in BLOCKED_ACTIONS
    way = direction(
        source_inside=is_internal(src_ip) if src_ip else None,
        destination_inside=(dest_ip == get("usgip") or is_internal(dest_ip)) if dest_ip else None,
    )
    return _make_threat(
        signature,
        signature_id,
        category,
        action,
        blocked,
        judged_severity(severity, blocked=blocked, way=way),
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        country if type(country) is str and country else None,
        way,
    )


def _legacy(item: Mapping[str, Any], source: Source) -> LogEntry | None:  # noqa: PLR0912
    """Normalise a legacy event, alarm or IPS row; the hot path, so deliberately inlined."""
    get = item.get
    entry_id = get("_id")
    if type(entry_id) is not str or not entry_id:
        return None
    ms = get("time")
    if type(ms) is not int or not _MS_THRESHOLD <= ms <= LATEST_MS:
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
        ms,
        message,
        subsystem,
        device_mac,
        device_name,
        client_mac,
        client_name or None,
        ip,
        threat,
        item,
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
