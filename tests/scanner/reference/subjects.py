"""Frozen copy of the subject functions: who an entry is about, one finding per subject."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.normalize import template_fields
from custom_components.unifi_scanner.scanner.subjects import (
    SUBJECT_KEYS,
    actor_fn,
    admin_name,
    client_key,
    device_key,
    ip_key,
    threat_actor,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from custom_components.unifi_scanner.scanner.catalogue import Rule
    from custom_components.unifi_scanner.scanner.models import LogEntry
    from custom_components.unifi_scanner.scanner.subjects import Ranked

# Who an entry is about is not what changed: the reference reads the product's key functions.
__all__ = [
    "SUBJECT_KEYS",
    "actor_fn",
    "admin_name",
    "client_key",
    "device_key",
    "finding",
    "ip_key",
    "per_subject",
    "threat_actor",
]


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
