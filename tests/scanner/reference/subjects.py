"""Frozen copy of the subject functions: who an entry is about, one finding per subject."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.normalize import template_fields

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from custom_components.unifi_scanner.scanner.catalogue import Rule
    from custom_components.unifi_scanner.scanner.models import Finding, LogEntry

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


def per_subject(rule: Rule, entries: Iterable[LogEntry]) -> list[Ranked]:
    """One finding per subject of a plain rule."""
    if rule.subject == "site":
        everything = list(entries)
        return [finding(rule, everything)] if everything else []
    key = SUBJECT_KEYS[rule.subject]
    groups: dict[str, list[LogEntry]] = {}
    for entry in entries:
        subject = key(entry)
        group = groups.get(subject)
        if group is None:
            groups[subject] = [entry]
        else:
            group.append(entry)
    return [finding(rule, group) for group in groups.values()]


def finding(
    rule: Rule,
    entries: list[LogEntry],
    extra: Mapping[str, str] | None = None,
    subject: tuple[str | None, str | None, str | None] | None = None,
) -> Ranked:
    """Aggregate entries of one rule and subject into a finding, rendering its text once.

    A site-wide finding spans every chatter entry of the period, so its oldest, newest, keys
    and clients are gathered in a single pass over the entries.
    """
    # Ties are read in collection order, whatever order the grouping left the entries in (the
    # earlier engine read them in list order, which only ever differed on equal milliseconds).
    entries = sorted(entries, key=lambda entry: (entry.time_ms, entry.source, entry.id))
    site = rule.subject == "site"
    first = last = entries[0]
    low = high = first.time_ms
    keys: set[str] = set()
    actors: set[str] = set()
    for entry in entries:
        moment = entry.time_ms
        if moment < low:
            low, first = moment, entry
        elif moment > high:
            high, last = moment, entry
        keys.add(entry.key)
        if site:
            actors.add(
                entry.client_mac or entry.client_name or entry.device_mac or entry.ip or ""
            )  # ``site_actor``, inlined
    name, mac, ip = subject or subject_of(rule.subject, entries, last)
    fields = template_fields(last)
    fields.update(
        subject=name or mac or ip or "",
        subject_mac=mac or "",
        subject_ip=ip or "",
        count=str(len(entries)),
    )
    if site:
        fields["clients"] = str(len(actors - {""}))
    if ip:
        fields.setdefault("ip", ip)
    if extra:
        fields.update(extra)
    finding = rule.finding(
        fields,
        subject=(name, mac, ip),
        count=len(entries),
        first_seen=first.time,
        last_seen=last.time,
        keys=tuple(sorted(keys)),
    )
    return last.time_ms, finding


def subject_of(
    subject: str, entries: list[LogEntry], last: LogEntry
) -> tuple[str | None, str | None, str | None]:
    """Name, MAC and IP of a finding's subject; a name seen on any entry beats none."""
    if subject in {"device", "gateway"}:
        name = last.device_name or first_present(entries, "device_name")
        return name, last.device_mac, None
    if subject == "client":
        name = last.client_name or first_present(entries, "client_name")
        return name, last.client_mac, last.ip
    if subject == "admin":
        return admin_name(last) or None, None, ip_key(last) or None
    if subject == "ip":
        return None, None, ip_key(last) or None
    return None, None, None


def first_present(entries: list[LogEntry], attribute: str) -> str | None:
    """Return the newest non-empty value of ``attribute`` among ``entries``."""
    for entry in reversed(entries):
        value = getattr(entry, attribute)
        if value:
            return str(value)
    return None
