"""Sans-IO analysis: log entries, devices and health in, findings out.

``analyze`` is pure and synchronous (no clock, no I/O), so Home Assistant can run it in an
executor and tests can call it directly. It is built for large batches: one dict look-up per
entry to find its rule, aggregation in dicts, integer millisecond arithmetic only, and template
rendering once per finding rather than per entry.

What it guarantees:
- one finding per (rule, subject) with count, first/last seen and the subject's name/MAC/IP;
- the same occurrence seen through two sources (event and alarm, IPS row and event, legacy and
  v2 log) counts once: entries of one rule and actor from *different* sources within
  ``DEDUP_TOLERANCE_MS`` are one occurrence;
- client chatter (connects, disconnects, roams) becomes one site-wide finding per rule;
- roaming flaps, password guessing, WAN flapping and repeated lost contact are detected over
  sliding time windows;
- entries no rule claims are counted per key in ``Analysis.unknown_keys``, never dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from itertools import compress, islice
from operator import attrgetter, le
from typing import TYPE_CHECKING

from .catalogue import Aggregate, EngineRule
from .health import Thresholds, assess_health
from .models import Analysis, Finding, KeyVariant, LogEntry, Source
from .normalize import template_fields
from .threats import summarize_threats

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from .catalogue import Rule, RuleCatalogue
    from .models import Device, HealthSubsystem

__all__ = ["Thresholds", "analyze"]

# Two sources reporting the same occurrence disagree by at most this much.
DEDUP_TOLERANCE_MS = 5_000

ROAM_FLAP_COUNT = 5
ROAM_FLAP_WINDOW_MS = 60 * 60_000
BRUTE_FORCE_COUNT = 5
BRUTE_FORCE_WINDOW_MS = 15 * 60_000
WAN_FLAP_COUNT = 3
WAN_FLAP_SEVERE_COUNT = 6
WAN_FLAP_WINDOW_MS = 60 * 60_000
LOST_CONTACT_REPEATED_COUNT = 3

type _KeyFn = Callable[[LogEntry], str]
type _Ranked = tuple[int, Finding]


def analyze(
    entries: Sequence[LogEntry],
    *,
    catalogue: RuleCatalogue,
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    now: datetime,
) -> Analysis:
    """Turn one period's entries and the current device state into an ``Analysis``."""
    by_rule, threat_entries, unknown, variants = _classify(entries, catalogue)
    ranked: list[_Ranked] = []
    aggregated: dict[Aggregate, list[tuple[Rule, list[LogEntry]]]] = {}
    for rule_id, bucket in by_rule.items():
        rule = catalogue.get(rule_id)
        occurrences = _dedupe(bucket, _actor_fn(rule))
        if rule.aggregate is None:
            ranked.extend(_per_subject(rule, occurrences))
        else:
            aggregated.setdefault(rule.aggregate, []).append((rule, occurrences))

    for kind, groups in aggregated.items():
        ranked.extend(_AGGREGATORS[kind](groups, catalogue))

    threats, threat_findings = summarize_threats(
        _dedupe(threat_entries, _threat_actor), catalogue=catalogue
    )
    ranked.extend(threat_findings)

    health_summary, health_findings = assess_health(
        devices, health, catalogue=catalogue, thresholds=thresholds, now=now
    )
    now_ms = int(now.timestamp() * 1000)
    ranked.extend((now_ms, finding) for finding in health_findings)

    ranked.sort(
        key=lambda item: (
            item[1].severity.rank,
            -item[0],
            item[1].rule_id,
            item[1].subject_name or "",
            item[1].subject_mac or "",
            item[1].subject_ip or "",
        )
    )
    return Analysis(
        findings=tuple(finding for _, finding in ranked),
        threats=threats,
        health=health_summary,
        unknown_keys=dict(sorted(unknown.items(), key=lambda item: (-item[1], item[0]))),
        entry_count=len(entries),
        key_variants=tuple(
            KeyVariant(key=key, event=event, count=count)
            for (key, event), count in sorted(variants.items(), key=lambda item: -item[1])
        ),
    )


def _classify(
    entries: Sequence[LogEntry], catalogue: RuleCatalogue
) -> tuple[dict[str, list[LogEntry]], list[LogEntry], dict[str, int], dict[tuple[str, str], int]]:
    """Bucket entries by rule (threats apart), skip repeated ids, count unclaimed keys.

    The hot loop of a scan: one set and one dict look-up per entry. A key that no
    disambiguated rule claims always resolves to the same rule, so it is matched once per
    analysis; only the few keys several rules share are matched entry by entry. An unknown v2
    key whose ``event`` is known is read as that event and counted as a variant.
    """
    by_rule: dict[str, list[LogEntry]] = {}
    threat_entries: list[LogEntry] = []
    unknown: dict[str, int] = {}
    variants: dict[tuple[str, str], int] = {}
    via: dict[str, str] = {}
    seen: dict[Source, set[str]] = {source: set() for source in Source}
    family_of = catalogue.family
    per_entry = {
        key for rule in catalogue.rules if rule.disambiguated for key in rule.keys | rule.v2_keys
    }
    resolved: dict[str, Rule] = {}
    for entry in entries:
        entry_id = entry.id
        if entry_id:
            ids = seen[entry.source]
            if entry_id in ids:
                continue
            ids.add(entry_id)
        key = entry.key
        if entry.threat is not None:
            threat_entries.append(entry)
            _count_variant(variants, key, family_of(entry))
            continue
        rule = resolved.get(key)
        if rule is None:
            family = None
            if key not in unknown or key in per_entry or key in via:
                rule, family = _resolve(entry, catalogue)
            if rule is None:
                unknown[key] = unknown.get(key, 0) + 1
                continue
            if family is not None:
                via[key] = family
            elif key not in per_entry:
                resolved[key] = rule
        if via and key in via:
            _count_variant(variants, key, via[key])
        bucket = by_rule.get(rule.id)
        if bucket is None:
            by_rule[rule.id] = [entry]
        else:
            bucket.append(entry)
    return by_rule, threat_entries, unknown, variants


def _resolve(entry: LogEntry, catalogue: RuleCatalogue) -> tuple[Rule | None, str | None]:
    """Match by the entry's key, else by the known event it specialises (then named)."""
    rule = catalogue.match(entry)
    if rule is None and (family := catalogue.family(entry)) is not None:
        return catalogue.match(entry, family), family
    return rule, None


def _count_variant(variants: dict[tuple[str, str], int], key: str, family: str | None) -> None:
    if family is not None:
        variants[key, family] = variants.get((key, family), 0) + 1


# --- subjects ----------------------------------------------------------------------------------


def _device_key(entry: LogEntry) -> str:
    return entry.device_mac or entry.device_name or ""


def _client_key(entry: LogEntry) -> str:
    return entry.client_mac or entry.client_name or ""


def _ip_key(entry: LogEntry) -> str:
    if entry.ip:
        return entry.ip
    threat = entry.threat
    if threat is not None and threat.src_ip:
        return threat.src_ip
    return _role_name(entry, ("IP", "SRC_IP"), "id")


def _role_name(entry: LogEntry, roles: tuple[str, ...], part: str = "name") -> str:
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


def _admin_name(entry: LogEntry) -> str:
    """Return the administrator account of a login (legacy ``admin`` or a v2 role name)."""
    admin = entry.raw.get("admin")
    if isinstance(admin, str) and admin:
        return admin
    return _role_name(entry, ("ADMIN", "USER")) or entry.client_name or ""


def _admin_key(entry: LogEntry) -> str:
    return _admin_name(entry) or _ip_key(entry)


def _site_key(_entry: LogEntry) -> str:
    return ""


def _site_actor(entry: LogEntry) -> str:
    """Who a site-wide chatter entry is about, so duplicates are matched per client."""
    return entry.client_mac or entry.client_name or entry.device_mac or entry.ip or ""


_SUBJECT_KEYS: dict[str, _KeyFn] = {
    "device": _device_key,
    "gateway": _device_key,
    "client": _client_key,
    "ip": _ip_key,
    "admin": _admin_key,
    "site": _site_key,
}


def _actor_fn(rule: Rule) -> _KeyFn:
    return _site_actor if rule.subject == "site" else _SUBJECT_KEYS[rule.subject]


def _threat_actor(entry: LogEntry) -> str:
    threat = entry.threat
    return (threat.src_ip if threat is not None else None) or entry.ip or ""


# --- cross-source deduplication ----------------------------------------------------------------


_time_ms = attrgetter("time_ms")
_source = attrgetter("source")


def _dedupe(entries: list[LogEntry], actor: _KeyFn) -> list[LogEntry]:
    """Drop entries that repeat an occurrence another source already reported.

    Within one source every entry is its own occurrence (ids are unique per source). Across
    sources, an entry about the same actor within the tolerance of a kept occurrence that its
    source has not confirmed yet is that occurrence seen again; the oldest such occurrence is
    confirmed first. Entries are grouped by actor, and only actors reported by several sources
    are walked in time order: per source a queue holds the times of occurrences that source has
    not confirmed, so each entry costs O(1) amortised. The result keeps the time order.
    """
    if len(set(map(_source, entries))) < 2:
        return entries
    times = list(map(_time_ms, entries))
    # A collection arrives sorted; re-sorting 100 000 entries would hold the GIL for nothing.
    in_order = all(map(le, times, islice(times, 1, None)))
    ordered = entries if in_order else sorted(entries, key=_time_ms)
    by_actor: dict[str, list[int]] = {}
    for index, key in enumerate(map(actor, ordered)):
        positions = by_actor.get(key)
        if positions is None:
            by_actor[key] = [index]
        else:
            positions.append(index)
    keep = [True] * len(ordered)
    tolerance = DEDUP_TOLERANCE_MS
    for positions in by_actor.values():
        if len(positions) < 2:
            continue
        queues: dict[Source, deque[int]] = {ordered[i].source: deque() for i in positions}
        if len(queues) < 2:  # this actor was reported by one source only
            continue
        for index in positions:
            entry = ordered[index]
            time_ms = entry.time_ms
            source = entry.source
            pending = queues[source]
            while pending and time_ms - pending[0] > tolerance:
                pending.popleft()
            if pending:
                pending.popleft()
                keep[index] = False
                continue
            for other, queue in queues.items():
                if other is not source:
                    queue.append(time_ms)
    return list(compress(ordered, keep))


# --- findings ----------------------------------------------------------------------------------


def _per_subject(rule: Rule, entries: Iterable[LogEntry]) -> list[_Ranked]:
    """One finding per subject of a plain rule."""
    if rule.subject == "site":
        everything = list(entries)
        return [_finding(rule, everything)] if everything else []
    key = _SUBJECT_KEYS[rule.subject]
    groups: dict[str, list[LogEntry]] = {}
    for entry in entries:
        subject = key(entry)
        group = groups.get(subject)
        if group is None:
            groups[subject] = [entry]
        else:
            group.append(entry)
    return [_finding(rule, group) for group in groups.values()]


def _finding(
    rule: Rule,
    entries: list[LogEntry],
    extra: Mapping[str, str] | None = None,
    subject: tuple[str | None, str | None, str | None] | None = None,
) -> _Ranked:
    """Aggregate entries of one rule and subject into a finding, rendering its text once.

    A site-wide finding spans every chatter entry of the period, so its oldest, newest, keys
    and clients are gathered in a single pass over the entries.
    """
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
            )  # ``_site_actor``, inlined
    name, mac, ip = subject or _subject(rule.subject, entries, last)
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


def _subject(
    subject: str, entries: list[LogEntry], last: LogEntry
) -> tuple[str | None, str | None, str | None]:
    """Name, MAC and IP of a finding's subject; a name seen on any entry beats none."""
    if subject in {"device", "gateway"}:
        name = last.device_name or _first_present(entries, "device_name")
        return name, last.device_mac, None
    if subject == "client":
        name = last.client_name or _first_present(entries, "client_name")
        return name, last.client_mac, last.ip
    if subject == "admin":
        return _admin_name(last) or None, None, _ip_key(last) or None
    if subject == "ip":
        return None, None, _ip_key(last) or None
    return None, None, None


def _first_present(entries: list[LogEntry], attribute: str) -> str | None:
    for entry in reversed(entries):
        value = getattr(entry, attribute)
        if value:
            return str(value)
    return None


# --- aggregations ------------------------------------------------------------------------------


def _max_in_window(times: list[int], window_ms: int) -> int:
    """Count the most timestamps inside any window of ``window_ms`` (end exclusive)."""
    times.sort()
    best = start = 0
    for end, time in enumerate(times):
        while time - times[start] >= window_ms:
            start += 1
        best = max(best, end - start + 1)
    return best


def _group_by(entries: Iterable[LogEntry], key: _KeyFn) -> dict[str, list[LogEntry]]:
    groups: dict[str, list[LogEntry]] = {}
    for entry in entries:
        value = key(entry)
        if value:
            groups.setdefault(value, []).append(entry)
    return groups


def _roams(groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue) -> list[_Ranked]:
    """Site-wide roaming counts, plus one finding per client that roams back and forth."""
    ranked: list[_Ranked] = []
    flap_rule = catalogue.get(EngineRule.ROAMING_FLAP)
    for rule, entries in groups:
        ranked.extend(_per_subject(rule, entries))
        for client in _group_by(entries, _client_key).values():
            if len(client) < ROAM_FLAP_COUNT:
                continue
            peak = _max_in_window([entry.time_ms for entry in client], ROAM_FLAP_WINDOW_MS)
            if peak >= ROAM_FLAP_COUNT:
                ranked.append(_finding(flap_rule, client, _window(peak, ROAM_FLAP_WINDOW_MS)))
    return ranked


def _failed_logins(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[_Ranked]:
    """Split failed sign-ins into password guessing and ordinary failures.

    A burst from one address is checked first, then a burst against one account from several.
    """
    ranked: list[_Ranked] = []
    brute_rule = catalogue.get(EngineRule.BRUTE_FORCE)
    for rule, entries in groups:
        remaining = entries
        for key in (_ip_key, _admin_name):
            leftover: list[LogEntry] = [entry for entry in remaining if not key(entry)]
            for group in _group_by(remaining, key).values():
                peak = 0
                if len(group) >= BRUTE_FORCE_COUNT:
                    peak = _max_in_window([entry.time_ms for entry in group], BRUTE_FORCE_WINDOW_MS)
                if peak >= BRUTE_FORCE_COUNT:
                    ranked.append(_brute_force(brute_rule, group, by_ip=key is _ip_key, peak=peak))
                else:
                    leftover.extend(group)
            remaining = leftover
        ranked.extend(_per_subject(rule, remaining))
    return ranked


def _brute_force(rule: Rule, entries: list[LogEntry], *, by_ip: bool, peak: int) -> _Ranked:
    """Build a password-guessing finding for one address or one account."""
    admins = {_admin_name(entry) for entry in entries} - {""}
    admin = next(iter(admins)) if len(admins) == 1 else None
    subject: tuple[str | None, str | None, str | None]
    if by_ip:
        ip = _ip_key(entries[0])
        subject, extra = (admin, None, ip), {"subject": ip}
    else:
        subject, extra = (admin, None, None), {"subject": admin or ""}
    return _finding(rule, entries, extra | _window(peak, BRUTE_FORCE_WINDOW_MS), subject)


def _wan_transitions(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[_Ranked]:
    """Each WAN rule reports as usual; frequent changes of one gateway add a flapping finding."""
    ranked: list[_Ranked] = []
    every: list[LogEntry] = []
    for rule, entries in groups:
        ranked.extend(_per_subject(rule, entries))
        every.extend(entries)
    by_gateway: dict[str, list[LogEntry]] = {}
    for entry in every:
        by_gateway.setdefault(_device_key(entry), []).append(entry)
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
                _finding(catalogue.get(rule_id), gateway, _window(peak, WAN_FLAP_WINDOW_MS))
            )
    return ranked


def _lost_contacts(
    groups: list[tuple[Rule, list[LogEntry]]], catalogue: RuleCatalogue
) -> list[_Ranked]:
    """Escalate devices that drop off repeatedly into one finding instead of the plain ones."""
    totals: dict[str, int] = {}
    for _, entries in groups:
        for entry in entries:
            key = _device_key(entry)
            totals[key] = totals.get(key, 0) + 1
    repeated = {
        key for key, total in totals.items() if key and total >= LOST_CONTACT_REPEATED_COUNT
    }
    ranked: list[_Ranked] = []
    escalated: dict[str, list[LogEntry]] = {}
    for rule, entries in groups:
        plain = []
        for entry in entries:
            key = _device_key(entry)
            if key in repeated:
                escalated.setdefault(key, []).append(entry)
            else:
                plain.append(entry)
        ranked.extend(_per_subject(rule, plain))
    rule = catalogue.get(EngineRule.LOST_CONTACT_REPEATED)
    ranked.extend(_finding(rule, entries) for entries in escalated.values())
    return ranked


def _window(peak: int, window_ms: int) -> dict[str, str]:
    return {"window_count": str(peak), "window_minutes": str(window_ms // 60_000)}


_AGGREGATORS: dict[
    Aggregate,
    Callable[[list[tuple[Rule, list[LogEntry]]], RuleCatalogue], list[_Ranked]],
] = {
    Aggregate.ROAM: _roams,
    Aggregate.FAILED_LOGIN: _failed_logins,
    Aggregate.WAN_TRANSITION: _wan_transitions,
    Aggregate.LOST_CONTACT: _lost_contacts,
}
