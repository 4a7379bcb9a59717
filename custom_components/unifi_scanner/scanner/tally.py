"""What one finding needs from its entries, gathered one entry at a time.

A ``Tally`` replaces the list of entries a finding used to be built from: it keeps the count,
the oldest and the newest entry, the keys, the clients of a site-wide finding and the newest
names, so a scan can forget each entry once it was counted. Tallies merge, because some
findings (repeated lost contact, password guessing per account) are only chosen at the end.

Ties are broken by the collection order ``(time_ms, source, id)`` whatever order entries arrive
in: the oldest entry is the first in that order, the newest is the first of the newest
millisecond, and a name comes from the last entry in that order that has one.
"""

from __future__ import annotations

import math
from itertools import islice
from typing import TYPE_CHECKING

from .normalize import template_fields
from .subjects import admin_name, ip_key, site_actor

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .catalogue import Rule
    from .models import LogEntry, Source
    from .subjects import Ranked

type Subject = tuple[str | None, str | None, str | None]

CLIENTS_COUNTED = 10_000
"""Clients a site-wide tally counts one by one; from there on its text says "at least" this many.

A venue's randomised MACs can make every connection a new client; a count of them must not
keep an entry for each.
"""
KEYS_TOLD = 25
"""Event keys a finding names: a gateway inventing keys would otherwise make the list endless."""
ADMINS_TOLD = 3
"""Accounts a tally gathers: enough to tell one account (and none) from several."""

ALL = -math.inf
"""The default ``since_ms`` where findings are made: every one, however old its newest entry."""


def comes_before(entry: LogEntry, other: LogEntry) -> bool:
    """Tell whether ``entry`` comes first in collection order (``collection_key``)."""
    if entry.time_ms != other.time_ms:
        return entry.time_ms < other.time_ms
    return (entry.source, entry.id) < (other.source, other.id)


class Tally:
    """Count, bounds, keys and names of one finding's entries."""

    __slots__ = (
        "actors",
        "admins",
        "client_name",
        "count",
        "device_name",
        "first",
        "keys",
        "last",
        "named_client",
        "named_device",
    )

    def __init__(self, entry: LogEntry, *, site: bool = False, admins: bool = False) -> None:
        """Start with one entry; ``site`` gathers clients, ``admins`` gathers accounts."""
        self.count = 0
        self.first = self.last = entry
        self.keys: set[str] = set()
        self.actors: set[int] | None = set() if site else None  # hashes, 0 for no one
        self.admins: set[str] | None = set() if admins else None
        self.device_name: str | None = None
        self.client_name: str | None = None
        self.named_device: LogEntry | None = None
        self.named_client: LogEntry | None = None
        self.add(entry)

    def add(self, entry: LogEntry) -> None:
        """Count one entry."""
        self.count += 1
        moment = entry.time_ms
        first = self.first
        if moment < first.time_ms or (moment == first.time_ms and comes_before(entry, first)):
            self.first = entry
        last = self.last
        if moment > last.time_ms or (moment == last.time_ms and comes_before(entry, last)):
            self.last = entry
        if len(self.keys) < KEYS_TOLD:
            self.keys.add(entry.key)
        if self.actors is not None and len(self.actors) < CLIENTS_COUNTED:
            self.actors.add(hash(actor) if (actor := site_actor(entry)) else 0)
        if self.admins is not None and len(self.admins) < ADMINS_TOLD:
            self.admins.add(admin_name(entry))
        # Entries mostly arrive newest first, so an older one is turned away on its time alone.
        if entry.device_name and (
            (named := self.named_device) is None
            or (named.time_ms <= moment and comes_before(named, entry))
        ):
            self.named_device, self.device_name = entry, entry.device_name
        if entry.client_name and (
            (named := self.named_client) is None
            or (named.time_ms <= moment and comes_before(named, entry))
        ):
            self.named_client, self.client_name = entry, entry.client_name

    def merge(self, other: Tally) -> Tally:
        """Fold ``other`` in (the two never share an entry); return self."""
        self.count += other.count
        if comes_before(other.first, self.first):
            self.first = other.first
        last, theirs = self.last, other.last
        if theirs.time_ms > last.time_ms or (
            theirs.time_ms == last.time_ms and comes_before(theirs, last)
        ):
            self.last = theirs
        self.keys |= other.keys
        if len(self.keys) > KEYS_TOLD:
            self.keys = set(islice(sorted(self.keys), KEYS_TOLD))
        if self.actors is not None and other.actors is not None:
            self.actors |= other.actors
            if len(self.actors) > CLIENTS_COUNTED:
                self.actors = set(islice(self.actors, CLIENTS_COUNTED))
        if self.admins is not None and other.admins is not None:
            for admin in other.admins:
                if len(self.admins) >= ADMINS_TOLD:
                    break
                self.admins.add(admin)
        if other.named_device is not None and (
            self.named_device is None or comes_before(self.named_device, other.named_device)
        ):
            self.named_device, self.device_name = other.named_device, other.device_name
        if other.named_client is not None and (
            self.named_client is None or comes_before(self.named_client, other.named_client)
        ):
            self.named_client, self.client_name = other.named_client, other.client_name
        return self

    def clients(self) -> str:
        """Say how many clients a site-wide tally saw: a number, or "at least" one."""
        actors = self.actors or set()
        seen = len(actors - {0})
        return str(seen) if len(actors) < CLIENTS_COUNTED else f"at least {seen}"

    def sole_admin(self) -> str | None:
        """Return the one account the entries named (besides none), None for several."""
        admins = (self.admins or set()) - {""}
        return next(iter(admins)) if len(admins) == 1 else None

    def copy(self) -> Tally:
        """Return an independent tally with the same contents."""
        twin = Tally.__new__(Tally)
        twin.count, twin.first, twin.last = self.count, self.first, self.last
        twin.keys = set(self.keys)
        twin.actors = None if self.actors is None else set(self.actors)
        twin.admins = None if self.admins is None else set(self.admins)
        twin.device_name, twin.named_device = self.device_name, self.named_device
        twin.client_name, twin.named_client = self.client_name, self.named_client
        return twin


def merged(tallies: Iterable[Tally]) -> Tally | None:
    """Fold several tallies into a new one (None when there are none)."""
    total: Tally | None = None
    for tally in tallies:
        total = tally.copy() if total is None else total.merge(tally)
    return total


def finding(
    rule: Rule,
    tally: Tally,
    extra: Mapping[str, str] | None = None,
    subject: Subject | None = None,
) -> Ranked:
    """Build one rule's finding about one subject, rendering its text once."""
    last = tally.last
    name, mac, ip = subject or subject_of(rule.subject, tally)
    fields = template_fields(last)
    fields.update(
        subject=name or mac or ip or "",
        subject_mac=mac or "",
        subject_ip=ip or "",
        count=str(tally.count),
    )
    if rule.subject == "site":
        fields["clients"] = tally.clients()
    if ip:
        fields.setdefault("ip", ip)
    if extra:
        fields.update(extra)
    result = rule.finding(
        fields,
        subject=(name, mac, ip),
        count=tally.count,
        first_seen=tally.first.time,
        last_seen=last.time,
        keys=tuple(sorted(tally.keys)),
    )
    return last.time_ms, result


def subject_of(subject: str, tally: Tally) -> Subject:
    """Name, MAC and IP of a finding's subject; a name seen on any entry beats none."""
    last = tally.last
    if subject in {"device", "gateway"}:
        return last.device_name or tally.device_name, last.device_mac, None
    if subject == "client":
        return last.client_name or tally.client_name, last.client_mac, last.ip
    if subject == "admin":
        return admin_name(last) or None, None, ip_key(last) or None
    if subject == "ip":
        return None, None, ip_key(last) or None
    return None, None, None


def collection_key(entry: LogEntry) -> tuple[int, Source, str]:
    """Sort by the order a collection is kept in: time, then source, then id."""
    return entry.time_ms, entry.source, entry.id
