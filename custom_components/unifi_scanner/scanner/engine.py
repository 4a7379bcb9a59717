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
from itertools import compress, islice
from operator import attrgetter, le
from typing import TYPE_CHECKING

from .aggregations import AGGREGATORS
from .health import Thresholds, assess_health
from .models import Analysis, KeyVariant, Source
from .subjects import actor_fn, per_subject, threat_actor
from .threats import summarize_threats

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from .catalogue import Aggregate, Rule, RuleCatalogue
    from .models import Device, HealthSubsystem, LogEntry
    from .subjects import KeyFn, Ranked

__all__ = ["Thresholds", "analyze"]

# Two sources reporting the same occurrence disagree by at most this much.
DEDUP_TOLERANCE_MS = 5_000


def analyze(
    entries: Sequence[LogEntry],
    *,
    catalogue: RuleCatalogue,
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    now: datetime,
    disabled: frozenset[str] = frozenset(),
) -> Analysis:
    """Turn one period's entries and the current device state into an ``Analysis``.

    Rules in ``disabled`` (turned off by the user) raise nothing: their entries and findings
    are counted as ignored, never as unknown.
    """
    by_rule, threat_entries, unknown, variants = _classify(entries, catalogue)
    ignored_entries = sum(
        len(_dedupe(by_rule.pop(rule_id), actor_fn(catalogue.get(rule_id))))
        for rule_id in disabled
        if rule_id in by_rule
    )
    ranked: list[Ranked] = []
    aggregated: dict[Aggregate, list[tuple[Rule, list[LogEntry]]]] = {}
    for rule_id, bucket in by_rule.items():
        rule = catalogue.get(rule_id)
        occurrences = _dedupe(bucket, actor_fn(rule))
        if rule.aggregate is None:
            ranked.extend(per_subject(rule, occurrences))
        else:
            aggregated.setdefault(rule.aggregate, []).append((rule, occurrences))

    for kind, groups in aggregated.items():
        ranked.extend(AGGREGATORS[kind](groups, catalogue))

    threats, threat_findings = summarize_threats(
        _dedupe(threat_entries, threat_actor), catalogue=catalogue
    )
    ranked.extend(threat_findings)

    health_summary, health_findings = assess_health(
        devices, health, catalogue=catalogue, thresholds=thresholds, now=now
    )
    now_ms = int(now.timestamp() * 1000)
    ranked.extend((now_ms, finding) for finding in health_findings)
    before = len(ranked)
    if disabled:
        ranked = [item for item in ranked if item[1].rule_id not in disabled]

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
        ignored_entries=ignored_entries,
        ignored_findings=before - len(ranked),
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


# --- cross-source deduplication ----------------------------------------------------------------


_time_ms = attrgetter("time_ms")
_source = attrgetter("source")


def _dedupe(entries: list[LogEntry], actor: KeyFn) -> list[LogEntry]:
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
