"""Frozen copy of the window aggregations: roaming flaps, guessing, WAN flapping, lost contact.

It judges every address, account, client and subject on its own; the engine does so for its
first ``ADDRESSES_WATCHED`` addresses, ``ACCOUNTS_WATCHED`` accounts and ``PAIRS_WATCHED`` pairs
of them, ``CLIENTS_WATCHED`` clients and ``SUBJECTS_PER_RULE`` subjects per rule, which the
random entry sets of the tests never exceed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.catalogue import Aggregate, EngineRule

from .subjects import (
    admin_name,
    client_key,
    device_key,
    finding,
    ip_key,
    per_subject,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from custom_components.unifi_scanner.scanner.catalogue import Rule, RuleCatalogue
    from custom_components.unifi_scanner.scanner.models import LogEntry
    from custom_components.unifi_scanner.scanner.subjects import KeyFn, Ranked

ROAM_FLAP_COUNT = 5
ROAM_FLAP_WINDOW_MS = 60 * 60_000
BRUTE_FORCE_COUNT = 5
BRUTE_FORCE_WINDOW_MS = 15 * 60_000
WAN_FLAP_COUNT = 3
WAN_FLAP_SEVERE_COUNT = 6
WAN_FLAP_WINDOW_MS = 60 * 60_000
LOST_CONTACT_REPEATED_COUNT = 3


def _max_in_window(times: list[int], window_ms: int) -> int:
    """Count the most timestamps inside any window of ``window_ms`` (end exclusive)."""
    times.sort()
    best = start = 0
    for end, time in enumerate(times):
        while time - times[start] >= window_ms:
            start += 1
        best = max(best, end - start + 1)
    return best


def _group_by(entries: Iterable[LogEntry], key: KeyFn) -> dict[str, list[LogEntry]]:
    groups: dict[str, list[LogEntry]] = {}
    for entry in entries:
        value = key(entry)
        if value:
            groups.setdefault(value, []).append(entry)
    return groups


def _roams(groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue) -> list[Ranked]:
    """Site-wide roaming counts, plus one finding per client that roams back and forth."""
    ranked: list[Ranked] = []
    flap_rule = catalogue.get(EngineRule.ROAMING_FLAP)
    for rule, entries in groups:
        ranked.extend(per_subject(rule, entries))
        for client in _group_by(entries, client_key).values():
            if len(client) < ROAM_FLAP_COUNT:
                continue
            peak = _max_in_window([entry.time_ms for entry in client], ROAM_FLAP_WINDOW_MS)
            if peak >= ROAM_FLAP_COUNT:
                ranked.append(finding(flap_rule, client, _window(peak, ROAM_FLAP_WINDOW_MS)))
    return ranked


def _failed_logins(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[Ranked]:
    """Split failed sign-ins into password guessing and ordinary failures.

    A burst from one address is checked first, then a burst against one account from several.
    """
    ranked: list[Ranked] = []
    brute_rule = catalogue.get(EngineRule.BRUTE_FORCE)
    for rule, entries in groups:
        remaining = entries
        for key in (ip_key, admin_name):
            leftover: list[LogEntry] = [entry for entry in remaining if not key(entry)]
            for group in _group_by(remaining, key).values():
                peak = 0
                if len(group) >= BRUTE_FORCE_COUNT:
                    peak = _max_in_window([entry.time_ms for entry in group], BRUTE_FORCE_WINDOW_MS)
                if peak >= BRUTE_FORCE_COUNT:
                    ranked.append(_brute_force(brute_rule, group, by_ip=key is ip_key, peak=peak))
                else:
                    leftover.extend(group)
            remaining = leftover
        ranked.extend(per_subject(rule, remaining))
    return ranked


def _brute_force(rule: Rule, entries: list[LogEntry], *, by_ip: bool, peak: int) -> Ranked:
    """Build a password-guessing finding for one address or one account."""
    admins = {admin_name(entry) for entry in entries} - {""}
    admin = next(iter(admins)) if len(admins) == 1 else None
    subject: tuple[str | None, str | None, str | None]
    if by_ip:
        ip = ip_key(entries[0])
        subject, extra = (admin, None, ip), {"subject": ip}
    else:
        subject, extra = (admin, None, None), {"subject": admin or ""}
    return finding(rule, entries, extra | _window(peak, BRUTE_FORCE_WINDOW_MS), subject)


def _wan_transitions(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[Ranked]:
    """Each WAN rule reports as usual; frequent changes of one gateway add a flapping finding."""
    ranked: list[Ranked] = []
    every: list[LogEntry] = []
    for rule, entries in groups:
        ranked.extend(per_subject(rule, entries))
        every.extend(entries)
    by_gateway: dict[str, list[LogEntry]] = {}
    for entry in every:
        by_gateway.setdefault(device_key(entry), []).append(entry)
    for gateway in by_gateway.values():
        if len(gateway) < WAN_FLAP_COUNT:
            continue
        peak = _max_in_window([entry.time_ms for entry in gateway], WAN_FLAP_WINDOW_MS)
        if peak >= WAN_FLAP_COUNT:
            rule_id = (
                EngineRule.WAN_FLAPPING_SEVERE
                if peak >= WAN_FLAP_SEVERE_COUNT
                else EngineRule.WAN_FLAPPING
            )
            ranked.append(
                finding(catalogue.get(rule_id), gateway, _window(peak, WAN_FLAP_WINDOW_MS))
            )
    return ranked


def _lost_contacts(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[Ranked]:
    """Escalate devices that drop off repeatedly into one finding instead of the plain ones."""
    totals: dict[str, int] = {}
    for _, entries in groups:
        for entry in entries:
            key = device_key(entry)
            totals[key] = totals.get(key, 0) + 1
    repeated = {
        key for key, total in totals.items() if key and total >= LOST_CONTACT_REPEATED_COUNT
    }
    ranked: list[Ranked] = []
    escalated: dict[str, list[LogEntry]] = {}
    for rule, entries in groups:
        plain = []
        for entry in entries:
            key = device_key(entry)
            if key in repeated:
                escalated.setdefault(key, []).append(entry)
            else:
                plain.append(entry)
        ranked.extend(per_subject(rule, plain))
    rule = catalogue.get(EngineRule.LOST_CONTACT_REPEATED)
    ranked.extend(finding(rule, entries) for entries in escalated.values())
    return ranked


def _window(peak: int, window_ms: int) -> dict[str, str]:
    return {"window_count": str(peak), "window_minutes": str(window_ms // 60_000)}


AGGREGATORS: dict[
    Aggregate,
    Callable[[list[tuple[Rule, list[LogEntry]]], RuleCatalogue], list[Ranked]],
] = {
    Aggregate.ROAM: _roams,
    Aggregate.FAILED_LOGIN: _failed_logins,
    Aggregate.WAN_TRANSITION: _wan_transitions,
    Aggregate.LOST_CONTACT: _lost_contacts,
}
