"""Who a finding is about, and how one rule's entries become one finding per subject.

Each rule names its subject (a device, a client, an address, an administrator or the whole
site); the key functions here pick it out of an entry (``tally`` builds the finding).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from .catalogue import Rule
    from .models import Finding, LogEntry

type KeyFn = Callable[[LogEntry], str]
type Ranked = tuple[int, Finding]


def device_key(entry: LogEntry) -> str:
    """Name the device an entry is about (MAC, else name)."""
    return entry.device_mac or entry.device_name or ""


def client_key(entry: LogEntry) -> str:
    """Name the client an entry is about (MAC, else name)."""
    return entry.client_mac or entry.client_name or ""


def ip_key(entry: LogEntry) -> str:
    """Name the address an entry is about: its IP, a threat's source, else an IP role."""
    if entry.ip:
        return entry.ip
    threat = entry.threat
    if threat is not None and threat.src_ip:
        return threat.src_ip
    return role_name(entry, ("IP", "SRC_IP"), "id")


def role_name(entry: LogEntry, roles: tuple[str, ...], part: str = "name") -> str:
    """Read a v2 parameter role's ``name`` (or another part) that no typed field keeps.

    Normalised entries keep roles flattened as ``ROLE_part``; an entry built by hand may still
    carry the gateway's nested ``parameters``.
    """
    raw = entry.raw
    params = raw.get("parameters")
    if isinstance(params, Mapping):
        for role in roles:
            value = params.get(role)
            if isinstance(value, Mapping):
                text = value.get(part)
                if isinstance(text, str) and text:
                    return text
        return ""
    for role in roles:
        text = raw.get(f"{role}_{part}")
        if isinstance(text, str) and text:
            return text
    return ""


def admin_name(entry: LogEntry) -> str:
    """Return the administrator account of a login (legacy ``admin`` or a v2 role name)."""
    admin = entry.raw.get("admin")
    if isinstance(admin, str) and admin:
        return admin
    return role_name(entry, ("ADMIN", "USER")) or entry.client_name or ""


def admin_key(entry: LogEntry) -> str:
    """Name the account a sign-in was for, else the address it came from."""
    return admin_name(entry) or ip_key(entry)


def site_key(_entry: LogEntry) -> str:
    """Put every entry of a site-wide rule in one finding."""
    return ""


def site_actor(entry: LogEntry) -> str:
    """Who a site-wide chatter entry is about, so duplicates are matched per client."""
    return entry.client_mac or entry.client_name or entry.device_mac or entry.ip or ""


SUBJECT_KEYS: dict[str, KeyFn] = {
    "device": device_key,
    "gateway": device_key,
    "client": client_key,
    "ip": ip_key,
    "admin": admin_key,
    "site": site_key,
}


def actor_fn(rule: Rule) -> KeyFn:
    """Return who an entry of ``rule`` is about, for deduplication across sources."""
    return site_actor if rule.subject == "site" else SUBJECT_KEYS[rule.subject]


def threat_actor(entry: LogEntry) -> str:
    """Return the address an alert came from, for deduplication across sources."""
    threat = entry.threat
    return (threat.src_ip if threat is not None else None) or entry.ip or ""
