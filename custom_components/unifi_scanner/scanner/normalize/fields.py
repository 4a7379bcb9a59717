"""The stringified fields a rule template may use for one entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from custom_components.unifi_scanner.scanner.models import LogEntry


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
