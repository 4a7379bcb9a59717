"""Frozen whole-list analyser, kept as the oracle for the streaming engine.

A copy of ``scanner.engine.analyze`` as it was before the streaming rewrite, with two
differences. The cross-source deduplication walks each actor's entries newest first instead of
oldest first (each millisecond still in collection order, as before), so an engine that
receives pages newest first can reproduce it exactly. And a
finding reads its entries in collection order (``subjects.finding``): the earlier engine read an
aggregation's groups in the order it had built them, which chose a different entry only when
several shared the newest millisecond.
"""

from __future__ import annotations

from collections import deque
from itertools import compress, islice
from operator import attrgetter, le
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.analysis import Analysis, KeyVariant
from custom_components.unifi_scanner.scanner.health import Thresholds, assess_health
from custom_components.unifi_scanner.scanner.models import Source

from .aggregations import AGGREGATORS
from .subjects import actor_fn, per_subject, threat_actor
from .threats import summarize_threats

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from custom_components.unifi_scanner.scanner.catalogue import Aggregate, Rule, RuleCatalogue
    from custom_components.unifi_scanner.scanner.models import Device, HealthSubsystem, LogEntry
    from custom_components.unifi_scanner.scanner.subjects import KeyFn, Ranked

__all__ = ["DEDUP_TOLERANCE_MS", "collection_order", "reference_analyze"]

# Two sources reporting the same occurrence disagree by at most this much.
DEDUP_TOLERANCE_MS = 5_000


def reference_analyze(
    entries: Sequence[LogEntry],
    *,
    catalogue: RuleCatalogue,
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    now: datetime,
    disabled: frozenset[str] = frozenset(),
) -> Analysis:
    """Analyse a whole list at once, exactly as the engine did, deduplicating newest first.

    Repeated ids of one source are dropped (the first in input order wins), then the entries
    are taken in collection order, ascending ``(time_ms, source, id)``.
    """
    by_rule, threat_entries, unknown, variants = _classify(collection_order(entries), catalogue)
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


_collection_key = attrgetter("time_ms", "source", "id")


def collection_order(entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Drop repeated ids per source (first wins), then sort by ``(time_ms, source, id)``."""
    seen: dict[Source, set[str]] = {source: set() for source in Source}
    kept: list[LogEntry] = []
    for entry in entries:
        entry_id = entry.id
        if entry_id:
            ids = seen[entry.source]
            if entry_id in ids:
                continue
            ids.add(entry_id)
        kept.append(entry)
    keys = list(map(_collection_key, kept))
    if not all(map(le, keys, islice(keys, 1, None))):
        kept.sort(key=_collection_key)
    return kept


def _classify(
    entries: Sequence[LogEntry], catalogue: RuleCatalogue
) -> tuple[dict[str, list[LogEntry]], list[LogEntry], dict[str, int], dict[tuple[str, str], int]]:
    """Bucket entries by rule (threats apart), count unclaimed keys and v2 key variants."""
    by_rule: dict[str, list[LogEntry]] = {}
    threat_entries: list[LogEntry] = []
    unknown: dict[str, int] = {}
    variants: dict[tuple[str, str], int] = {}
    via: dict[str, str] = {}
    family_of = catalogue.family
    per_entry = {
        key for rule in catalogue.rules if rule.disambiguated for key in rule.keys | rule.v2_keys
    }
    resolved: dict[str, Rule] = {}
    for entry in entries:
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


# --- cross-source deduplication, newest first ------------------------------------------------


_source = attrgetter("source")


def _dedupe(entries: list[LogEntry], actor: KeyFn) -> list[LogEntry]:
    """Drop entries that repeat an occurrence another source already reported.

    ``entries`` are in collection order. Each actor reported by several sources is walked
    newest first, each millisecond in collection order: per source a queue holds the times of
    kept occurrences of the other sources that this source has not confirmed yet. An entry
    within the tolerance of the queue's oldest pending time confirms it and is dropped;
    otherwise it is kept and becomes pending for every other source. The result keeps
    collection order.
    """
    if len(set(map(_source, entries))) < 2:
        return entries
    by_actor: dict[str, list[int]] = {}
    for index, key in enumerate(map(actor, entries)):
        positions = by_actor.get(key)
        if positions is None:
            by_actor[key] = [index]
        else:
            positions.append(index)
    keep = [True] * len(entries)
    tolerance = DEDUP_TOLERANCE_MS
    for positions in by_actor.values():
        if len(positions) < 2:
            continue
        queues: dict[Source, deque[int]] = {entries[i].source: deque() for i in positions}
        if len(queues) < 2:  # this actor was reported by one source only
            continue
        # Newest first; within a millisecond the positions keep collection order.
        for index in sorted(positions, key=lambda i: -entries[i].time_ms):
            entry = entries[index]
            time_ms = entry.time_ms
            source = entry.source
            pending = queues[source]
            while pending and pending[0] - time_ms > tolerance:
                pending.popleft()
            if pending:
                pending.popleft()
                keep[index] = False
                continue
            for other, queue in queues.items():
                if other is not source:
                    queue.append(time_ms)
    return list(compress(entries, keep))
