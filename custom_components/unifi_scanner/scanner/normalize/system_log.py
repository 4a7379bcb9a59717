"""v2 ``system-log`` entries (parameter roles, message templates, threats) as ``LogEntry``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.addresses import is_internal
from custom_components.unifi_scanner.scanner.models import LATEST_MS, LogEntry, Source, Threat

from .build import _make_entry, _make_threat
from .coerce import _MS_THRESHOLD, _SKIP, _int, _ms, _text
from .judgement import BLOCKED_ACTIONS, direction, judged_severity

if TYPE_CHECKING:
    from collections.abc import Mapping

# A message that is itself an IDS signature ("ET SCAN …") is stable enough to group by.
_ET_RE = re.compile(r"^\s*ET(?:PRO)?\s+[A-Z]")

# v2 system-log parameter roles, most specific first.
_V2_CLIENT_ROLES = ("CLIENT", "SRC_CLIENT", "DST_CLIENT", "USER", "GUEST")
_V2_DEVICE_ROLES = ("DEVICE", "AP", "GATEWAY", "SWITCH", "SRC_DEVICE", "DEVICE_TO", "CONSOLE")

# Keys (or events) of IDS/IPS alerts. Other security keys that merely mention the IPS (a failed
# signature update, say) are ordinary events for the rules.
_THREAT_PREFIXES = ("THREAT", "IPS_ALERT", "IDS_ALERT", "HONEYPOT")

# v2 severities onto the IPS scale (1 = most severe … 3).
_V2_SEVERITY = {"VERY_HIGH": 1, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def _role(params: Mapping[str, Any], roles: tuple[str, ...]) -> Mapping[str, Any] | None:
    """Return the first present parameter role of the given kinds."""
    get = params.get
    for role in roles:
        value = get(role)
        if isinstance(value, dict):
            return value
    return None


# Tokens are cached so entries share one ``{CLIENT}`` string; the cache is bounded because role
# names come from the gateway.
_TOKENS: dict[Any, str] = {}
_NAMES_LIMIT = 1024


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


def _address(params: Mapping[str, Any], side: str) -> str | None:
    """Return the IP of a threat's source or destination role.

    Only an ``*_IP`` role's ``id`` is an address; a ``*_CLIENT`` or ``*_DEVICE`` role's ``id`` is
    a MAC (that role names the entry's client or device instead), so only its ``ip`` counts.
    """
    address = params.get(f"{side}_IP")
    if isinstance(address, dict):
        return _text(address.get("ip")) or _text(address.get("id"))
    for kind in ("CLIENT", "DEVICE"):
        role = params.get(f"{side}_{kind}")
        if isinstance(role, dict):
            return _text(role.get("ip"))
    return None


def _signature(item: Mapping[str, Any], params: Mapping[str, Any], key: str, message: str) -> str:
    """Name what an alert is, stably: never a sentence that quotes an address.

    The ``SIGNATURE`` role, else a message that is itself a signature (``ET …``), else the
    entry's title, else its key in words: a hundred blocked attempts from a hundred addresses
    are one group.
    """
    role = _role(params, ("SIGNATURE", "THREAT"))
    named = _text(role.get("name")) if role is not None else None
    if named:
        return named
    if _ET_RE.match(message):
        return message
    title = _text(item.get("title_raw")) or _text(item.get("title"))
    if title and "{" not in title:
        return title
    return key.replace("_", " ").capitalize() or message


def _inside(params: Mapping[str, Any], side: str, ip: str | None) -> bool | None:
    """Whether one end is the site's own: a client or device role is; else by its address."""
    if any(isinstance(params.get(f"{side}_{kind}"), dict) for kind in ("CLIENT", "DEVICE")):
        return True
    return is_internal(ip) if ip else None


def _v2_threat(
    item: Mapping[str, Any], params: Mapping[str, Any], key: str, message: str
) -> Threat:
    """Build the threat of a v2 THREAT entry from whatever its fields offer."""
    source = item.get("source")
    source = source if isinstance(source, dict) else {}
    destination = item.get("destination")
    destination = destination if isinstance(destination, dict) else {}
    signature_role = _role(params, ("SIGNATURE", "THREAT"))
    action_role = _role(params, ("ACTION",))

    action = _text(item.get("action")) or (
        _text(action_role.get("name")) if action_role is not None else None
    )
    if action is None:
        action = "blocked" if "BLOCK" in key else "detected"
    signature = _signature(item, params, key, message)
    severity = item.get("severity")
    blocked = action.lower() in BLOCKED_ACTIONS
    src_ip = _text(source.get("ip")) or _address(params, "SRC")
    dst_ip = _text(destination.get("ip")) or _address(params, "DST")
    way = direction(
        source_inside=_inside(params, "SRC", src_ip),
        destination_inside=_inside(params, "DST", dst_ip),
    )
    return _make_threat(
        signature,
        _int(signature_role.get("id")) if signature_role is not None else None,
        _text(item.get("subcategory")) or _text(item.get("type")) or "",
        action,
        blocked,
        judged_severity(
            _V2_SEVERITY.get(severity) if type(severity) is str else _int(severity),
            blocked=blocked,
            way=way,
        ),
        src_ip,
        _int(source.get("port")),
        dst_ip,
        _int(destination.get("port")),
        _text(item.get("protocol")) or _text(source.get("protocol")),
        _text(source.get("country")),
        way,
    )


def _system_log(item: Mapping[str, Any]) -> LogEntry | None:
    """Normalise one v2 system-log entry."""
    get = item.get
    entry_id = get("id")
    if type(entry_id) is not str or not entry_id:
        return None
    ms = get("timestamp")
    if type(ms) is not int or not _MS_THRESHOLD <= ms <= LATEST_MS:
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
    event = get("event")
    if key.startswith(_THREAT_PREFIXES) or (
        type(event) is str and event.startswith(_THREAT_PREFIXES)
    ):
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
        ms,
        message,
        category if type(category) is str else None,
        _text(device.get("id")) if device is not None else None,
        _text(device.get("name")) if device is not None else None,
        client_mac,
        client_name,
        ip,
        threat,
        item,
    )


def normalize_system_log(item: Mapping[str, Any]) -> LogEntry | None:
    """Normalise a v2 ``system-log`` entry; None when it has no usable id or timestamp."""
    try:
        return _system_log(item)
    except _SKIP:
        return None
