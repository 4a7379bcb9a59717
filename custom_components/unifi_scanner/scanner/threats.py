"""IPS/IDS analysis: alerts grouped by signature and by source, in plain English.

Input is every entry that carries a ``Threat`` (legacy ``stat/ips/event`` rows, ``EVT_IPS_IpsAlert``
events and alarms, v2 threat log entries), already deduplicated across sources by the engine.
Severity follows the IPS scale: 1 is severe, 2 medium, anything else low; a group takes the worst
severity of its alerts. Severe and medium groups also become findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .addresses import is_internal
from .catalogue import EngineRule
from .models import Finding, Severity, ThreatGroup, ThreatSource, ThreatSummary
from .threat_catalogue import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .catalogue import RuleCatalogue
    from .models import LogEntry, Threat
    from .threat_catalogue import ThreatCategories, ThreatCategory

# Signature ids of UniFi's Cybersecure (Proofpoint ET Pro) subscription.
CYBERSECURE_IDS = range(2_800_000, 2_900_000)
# Sources with at least this many alerts are "top sources"; with none, the busiest are shown.
TOP_SOURCE_MIN_EVENTS = 10
TOP_SOURCE_LIMIT = 10
# A group lists at most this many of its source addresses (busiest first).
GROUP_SOURCE_LIMIT = 20

_SEVERITY = {1: Severity.SEVERE, 2: Severity.MEDIUM}
_FINDING_RULES = {
    Severity.SEVERE: EngineRule.THREAT_SEVERE,
    Severity.MEDIUM: EngineRule.THREAT_MEDIUM,
}


def threat_severity(threat: Threat) -> Severity:
    """Map the IPS priority (1 = highest) onto the report's severities."""
    return _SEVERITY.get(threat.severity, Severity.LOW) if threat.severity else Severity.LOW


def is_cybersecure(threat: Threat) -> bool:
    """Tell whether a signature comes from the Cybersecure (ET Pro) range."""
    return threat.signature_id is not None and threat.signature_id in CYBERSECURE_IDS


@dataclass(slots=True)
class _Group:
    signature: str
    first: LogEntry
    last: LogEntry
    rank: int
    outcome: Outcome
    count: int = 0
    blocked: int = 0
    cybersecure: bool = False
    sources: dict[str, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    @property
    def severity(self) -> Severity:
        """The worst severity of the group's alerts."""
        return _BY_RANK[self.rank]

    @property
    def threat(self) -> Threat:
        """The group's first alert, which names its signature id and category."""
        threat = self.first.threat
        assert threat is not None  # noqa: S101 - only threat entries are tallied
        return threat

    def words(self, categories: ThreatCategories) -> tuple[str, str]:
        """Return the label and the steps: what happened first, then the family's advice."""
        inbound = self.outcome in _INBOUND
        category = self.category(categories)
        label = categories.label(category, self.threat.category, detected=self.detected > 0)
        _, remediation = category.words(detected=self.detected > 0, inbound=inbound)
        return label, f"{categories.outcomes.get(self.outcome, '')} {remediation}".strip()

    def category(self, categories: ThreatCategories) -> ThreatCategory:
        """Classify the group by its first alert."""
        return categories.classify(self.threat.signature, self.threat.category)

    @property
    def detected(self) -> int:
        """Alerts of the group that were only detected, not blocked."""
        return self.count - self.blocked


_BY_RANK = (Severity.SEVERE, Severity.MEDIUM, Severity.LOW)
_INBOUND = frozenset({Outcome.BLOCKED_INBOUND, Outcome.DETECTED_INBOUND})
_RANK = {1: 0, 2: 1}
_CYBERSECURE_FIRST = CYBERSECURE_IDS.start
_CYBERSECURE_END = CYBERSECURE_IDS.stop


def _before(entry: LogEntry, other: LogEntry) -> bool:
    if entry.time_ms != other.time_ms:
        return entry.time_ms < other.time_ms
    return (entry.source, entry.id) < (other.source, other.id)


class ThreatTally:
    """The threat picture of a scan, gathered one alert at a time in any order.

    Per signature it keeps counts, the first and the newest alert and the source addresses;
    per source address the alerts per signature. A group's first alert (in collection order)
    names its signature id and category, and its newest is the last of the newest millisecond.
    """

    __slots__ = ("_blocked", "_cybersecure", "_groups", "_signatures", "_sources", "_total")

    def __init__(self) -> None:
        """Start with no alerts."""
        self._groups: dict[str, _Group] = {}
        self._sources: dict[str, int] = {}
        self._signatures: dict[str, dict[str, int]] = {}
        self._blocked = self._cybersecure = self._total = 0

    def add(self, entry: LogEntry) -> None:
        """Count one alert (an entry without a threat is ignored)."""
        threat = entry.threat
        if threat is None:
            return
        self._total += 1
        signature = threat.signature or threat.category or entry.message or entry.key
        rank = _RANK.get(threat.severity, 2) if threat.severity else 2
        outcome = Outcome.of(blocked=threat.blocked, direction=threat.direction)
        group = self._groups.get(signature)
        if group is None:
            group = self._groups[signature] = _Group(
                signature=signature, first=entry, last=entry, rank=rank, outcome=outcome
            )
        else:
            group.rank = min(group.rank, rank)
            if _before(entry, group.first):
                group.first = entry
            if not _before(entry, group.last):
                group.last = entry
            if outcome.rank < group.outcome.rank:
                group.outcome = outcome
        group.count += 1
        group.keys.add(entry.key)
        if threat.blocked:
            group.blocked += 1
            self._blocked += 1
        signature_id = threat.signature_id
        if signature_id is not None and _CYBERSECURE_FIRST <= signature_id < _CYBERSECURE_END:
            group.cybersecure = True
            self._cybersecure += 1
        source = threat.src_ip or entry.ip
        if source:
            group.sources[source] = group.sources.get(source, 0) + 1
            self._sources[source] = self._sources.get(source, 0) + 1
            signatures = self._signatures.get(source)
            if signatures is None:
                signatures = self._signatures[source] = {}
            signatures[signature] = signatures.get(signature, 0) + 1

    def summary(
        self, *, catalogue: RuleCatalogue
    ) -> tuple[ThreatSummary, list[tuple[int, Finding]]]:
        """Return the summary and findings for severe/medium groups.

        Each finding comes with the epoch milliseconds of its newest alert (its sort position).
        """
        categories = catalogue.threat_categories
        ordered = sorted(self._groups.values(), key=lambda g: (g.rank, -g.count, g.signature))
        words = {group.signature: group.words(categories) for group in ordered}
        summary = ThreatSummary(
            total=self._total,
            blocked=self._blocked,
            detected=self._total - self._blocked,
            cybersecure=self._cybersecure,
            groups=tuple(
                _threat_group(group, categories, *words[group.signature]) for group in ordered
            ),
            top_sources=_top_sources(self._sources, self._signatures, words),
        )
        findings = [
            (group.last.time_ms, _finding(group, catalogue, *words[group.signature]))
            for group in ordered
            if group.severity in _FINDING_RULES
        ]
        return summary, findings


def summarize_threats(
    entries: Iterable[LogEntry], *, catalogue: RuleCatalogue
) -> tuple[ThreatSummary, list[tuple[int, Finding]]]:
    """Group threat entries (already deduplicated across sources) into the threat picture."""
    tally = ThreatTally()
    for entry in entries:
        tally.add(entry)
    return tally.summary(catalogue=catalogue)


def _threat_group(
    group: _Group, categories: ThreatCategories, label: str, remediation: str
) -> ThreatGroup:
    threat = group.threat
    return ThreatGroup(
        signature=group.signature,
        signature_id=threat.signature_id,
        category=group.category(categories).token or threat.category,
        category_label=label,
        severity=group.severity,
        count=group.count,
        blocked=group.blocked,
        detected=group.detected,
        sources=tuple(_busiest(group.sources)[:GROUP_SOURCE_LIMIT]),
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
