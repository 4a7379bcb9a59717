"""Frozen copy of the IPS summary: alerts grouped by signature and by source.

It keeps every signature and address; the engine does so for its first ``SIGNATURES_KEPT``
signatures and ``SOURCES_WATCHED`` addresses, which the random entry sets of the tests never
exceed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.addresses import is_internal
from custom_components.unifi_scanner.scanner.analysis import (
    ThreatGroup,
    ThreatSource,
    ThreatSummary,
)
from custom_components.unifi_scanner.scanner.catalogue import EngineRule
from custom_components.unifi_scanner.scanner.models import Finding, Severity
from custom_components.unifi_scanner.scanner.threat_catalogue import Outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.unifi_scanner.scanner.catalogue import RuleCatalogue
    from custom_components.unifi_scanner.scanner.models import LogEntry
    from custom_components.unifi_scanner.scanner.threat_catalogue import (
        ThreatCategories,
        ThreatCategory,
    )

# Signature ids of UniFi's Cybersecure (Proofpoint ET Pro) subscription.
CYBERSECURE_IDS = range(2_800_000, 2_900_000)
# Sources with at least this many alerts are "top sources"; with none, the busiest are shown.
TOP_SOURCE_MIN_EVENTS = 10
TOP_SOURCE_LIMIT = 10
# A group lists at most this many of its source addresses (busiest first).
GROUP_SOURCE_LIMIT = 20

_FINDING_RULES = {
    Severity.SEVERE: EngineRule.THREAT_SEVERE,
    Severity.MEDIUM: EngineRule.THREAT_MEDIUM,
}


@dataclass(slots=True)
class _Group:
    signature: str
    signature_id: int | None
    category: ThreatCategory
    category_name: str
    raw_category: str
    rank: int
    first: LogEntry
    last: LogEntry
    count: int = 0
    blocked: int = 0
    cybersecure: bool = False
    outcome: Outcome = Outcome.BLOCKED
    sources: dict[str, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    @property
    def severity(self) -> Severity:
        """The worst severity of the group's alerts."""
        return _BY_RANK[self.rank]

    def words(self, categories: ThreatCategories) -> tuple[str, str]:
        """Return the label and the steps: what happened first, then the family's advice."""
        inbound = self.outcome in _INBOUND
        label = categories.label(self.category, self.raw_category, detected=self.detected > 0)
        _, remediation = self.category.words(detected=self.detected > 0, inbound=inbound)
        return label, f"{categories.outcomes.get(self.outcome, '')} {remediation}".strip()

    @property
    def detected(self) -> int:
        """Alerts of the group that were only detected, not blocked."""
        return self.count - self.blocked


_BY_RANK = (Severity.SEVERE, Severity.MEDIUM, Severity.LOW)
_INBOUND = frozenset({Outcome.BLOCKED_INBOUND, Outcome.DETECTED_INBOUND})
_RANK = {1: 0, 2: 1}
_CYBERSECURE_FIRST = CYBERSECURE_IDS.start
_CYBERSECURE_END = CYBERSECURE_IDS.stop


def summarize_threats(
    entries: Sequence[LogEntry], *, catalogue: RuleCatalogue
) -> tuple[ThreatSummary, list[tuple[int, Finding]]]:
    """Group the threat entries; return the summary and findings for severe/medium groups.

    Each finding comes with the epoch milliseconds of its newest alert (its sort position).
    """
    categories = catalogue.threat_categories
    classify = categories.classify
    groups: dict[str, _Group] = {}
    source_counts: dict[str, int] = {}
    source_signatures: dict[str, dict[str, int]] = {}
    blocked = cybersecure = total = 0
    for entry in entries:
        threat = entry.threat
        if threat is None:
            continue
        total += 1
        signature = threat.signature or threat.category or entry.message or entry.key
        rank = _RANK.get(threat.severity, 2) if threat.severity else 2
        group = groups.get(signature)
        if group is None:
            category = classify(threat.signature, threat.category)
            group = groups[signature] = _Group(
                signature=signature,
                signature_id=threat.signature_id,
                category=category,
                category_name=category.token or threat.category,
                raw_category=threat.category,
                rank=rank,
                first=entry,
                last=entry,
                outcome=Outcome.of(blocked=threat.blocked, direction=threat.direction),
            )
        else:
            group.rank = min(group.rank, rank)
            if entry.time_ms < group.first.time_ms:
                group.first = entry
            if entry.time_ms >= group.last.time_ms:
                group.last = entry
        group.count += 1
        group.keys.add(entry.key)
        outcome = Outcome.of(blocked=threat.blocked, direction=threat.direction)
        if outcome.rank < group.outcome.rank:
            group.outcome = outcome
        if threat.blocked:
            group.blocked += 1
            blocked += 1
        signature_id = threat.signature_id
        if signature_id is not None and _CYBERSECURE_FIRST <= signature_id < _CYBERSECURE_END:
            group.cybersecure = True
            cybersecure += 1
        source = threat.src_ip or entry.ip
        if source:
            group.sources[source] = group.sources.get(source, 0) + 1
            source_counts[source] = source_counts.get(source, 0) + 1
            signatures = source_signatures.get(source)
            if signatures is None:
                signatures = source_signatures[source] = {}
            signatures[signature] = signatures.get(signature, 0) + 1

    ordered = sorted(groups.values(), key=lambda g: (g.rank, -g.count, g.signature))
    words = {group.signature: group.words(categories) for group in ordered}
    summary = ThreatSummary(
        total=total,
        blocked=blocked,
        detected=total - blocked,
        cybersecure=cybersecure,
        groups=tuple(_threat_group(group, *words[group.signature]) for group in ordered),
        top_sources=_top_sources(source_counts, source_signatures, words),
    )
    findings = [
        (group.last.time_ms, _finding(group, catalogue, *words[group.signature]))
        for group in ordered
        if group.severity in _FINDING_RULES
    ]
    return summary, findings


def _threat_group(group: _Group, label: str, remediation: str) -> ThreatGroup:
    return ThreatGroup(
        signature=group.signature,
        signature_id=group.signature_id,
        category=group.category_name,
        category_label=label,
        severity=group.severity,
        count=group.count,
        blocked=group.blocked,
        detected=group.detected,
        sources=tuple(_busiest(group.sources)[:GROUP_SOURCE_LIMIT]),
        source_count=len(group.sources),
        cybersecure=group.cybersecure,
        remediation=remediation,
        first_seen=group.first.time,
        last_seen=group.last.time,
        outcome=group.outcome.value,
    )


def _busiest(counts: dict[str, int]) -> list[str]:
    """Keys by descending count, ties by name (stable across runs).

    Sorting by name and then, stably, by count needs no per-item key tuple: a scan can see
    thousands of distinct source addresses.
    """
    keys = sorted(counts)
    keys.sort(key=counts.__getitem__, reverse=True)  # reverse keeps ties in name order
    return keys


def _top_sources(
    counts: dict[str, int],
    signatures: dict[str, dict[str, int]],
    words: dict[str, tuple[str, str]],
) -> tuple[ThreatSource, ...]:
    ranked = _busiest(counts)
    chosen = [ip for ip in ranked if counts[ip] >= TOP_SOURCE_MIN_EVENTS] or ranked
    return tuple(
        ThreatSource(
            ip=ip,
            count=counts[ip],
            internal=is_internal(ip),
            categories=tuple(_busiest(_by_label(signatures[ip], words))),
        )
        for ip in chosen[:TOP_SOURCE_LIMIT]
    )


def _by_label(signatures: dict[str, int], words: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Add up one source's alerts per group label (several signatures can share a label)."""
    labels: dict[str, int] = {}
    for signature, count in signatures.items():
        label = words[signature][0]
        labels[label] = labels.get(label, 0) + count
    return labels


def _finding(group: _Group, catalogue: RuleCatalogue, label: str, remediation: str) -> Finding:
    rule = catalogue.get(_FINDING_RULES[group.severity])
    sources = list(group.sources)
    fields = {
        "subject": group.signature,
        "signature": group.signature,
        "category_label": label,
        "count": str(group.count),
        "blocked": str(group.blocked),
        "detected": str(group.detected),
        "sources": str(len(sources)),
    }
    return rule.finding(
        fields,
        subject=(group.signature, None, sources[0] if len(sources) == 1 else None),
        count=group.count,
        first_seen=group.first.time,
        last_seen=group.last.time,
        keys=tuple(sorted(group.keys)),
        lead_steps=(remediation,),
    )
