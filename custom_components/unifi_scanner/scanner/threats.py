"""IPS/IDS analysis: alerts grouped by signature and by source, in plain English.

Input is every entry that carries a ``Threat`` (legacy ``stat/ips/event`` rows, ``EVT_IPS_IpsAlert``
events and alarms, v2 threat log entries), already deduplicated across sources by the engine.
Severity follows the IPS scale: 1 is severe, 2 medium, anything else low; a group takes the worst
severity of its alerts. Severe and medium groups also become findings.

A broken or hostile gateway can invent a signature per alert: past ``SIGNATURES_KEPT`` groups,
alerts of new signatures share one group about "other signatures", so memory, the report and the
findings stay bounded while every alert still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from .analysis import ThreatGroup, ThreatSummary
from .by_subject import SUBJECTS_PER_RULE, Distinct
from .catalogue import EngineRule
from .models import Finding, Severity
from .tally import ALL, KEYS_TOLD, comes_before
from .threat_catalogue import Outcome
from .threat_sources import SourceCounts

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .catalogue import RuleCatalogue
    from .models import LogEntry, Threat
    from .threat_catalogue import ThreatCategories, ThreatCategory
    from .threat_sources import GroupSources

# Signature ids of UniFi's Cybersecure (Proofpoint ET Pro) subscription.
CYBERSECURE_IDS = range(2_800_000, 2_900_000)
SIGNATURES_KEPT = SUBJECTS_PER_RULE
"""Signatures with a group of their own; the first seen, so the most recently matched."""
OTHER_SIGNATURES = "other signatures"
"""The subject of the group of signatures past the kept ones: the same from scan to scan."""
_TOGETHER = (
    "More than {kept} signatures matched in this period: those matched last have groups of "
    "their own, and this one counts the others together."
)

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
    index: int
    first: LogEntry
    last: LogEntry
    rank: int
    outcome: Outcome
    count: int = 0
    blocked: int = 0
    cybersecure: bool = False
    keys: set[str] = field(default_factory=set)
    others: Distinct | None = None
    """For the group of other signatures: how many signatures it holds."""

    def name(self) -> str:
        """Say what the report calls the group: its signature, or how many others it holds."""
        if self.others is None:
            return self.signature
        count = len(self.others)
        if self.others.more:
            return f"at least {count} other signatures"
        return f"{count} other signature{'' if count == 1 else 's'}"

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


class ThreatTally:
    """The threat picture of a scan, gathered one alert at a time in any order.

    Per signature it keeps counts and the first and the newest alert; per source address the
    alerts per group (``SourceCounts``). A group's first alert (in collection order) names its
    signature id and category, and its newest is the last of the newest millisecond.
    """

    __slots__ = ("_blocked", "_cybersecure", "_groups", "_list", "_other", "_sources", "_total")

    def __init__(self) -> None:
        """Start with no alerts."""
        self._groups: dict[str, _Group] = {}
        self._list: list[_Group] = []  # every group by its number, the other signatures' too
        self._other: _Group | None = None
        self._sources = SourceCounts()
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
        group = self._groups.get(signature) or self._new_group(signature, entry, rank, outcome)
        group.rank = min(group.rank, rank)
        if comes_before(entry, group.first):
            group.first = entry
        if not comes_before(entry, group.last):
            group.last = entry
        if outcome.rank < group.outcome.rank:
            group.outcome = outcome
        group.count += 1
        if len(group.keys) < KEYS_TOLD:
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
            self._sources.add(source, group.index)

    def _new_group(self, signature: str, entry: LogEntry, rank: int, outcome: Outcome) -> _Group:
        """Open a group for a new signature, or count it with the other signatures."""
        if len(self._groups) < SIGNATURES_KEPT:
            group = self._groups[signature] = self._open(signature, entry, rank, outcome)
            return group
        other = self._other
        if other is None:
            other = self._other = self._open(OTHER_SIGNATURES, entry, rank, outcome)
        if other.others is None:
            other.others = Distinct()
        other.others.add(signature)
        return other

    def _open(self, signature: str, entry: LogEntry, rank: int, outcome: Outcome) -> _Group:
        group = _Group(signature, len(self._list), entry, entry, rank, outcome)
        self._list.append(group)
        return group

    def summary(
        self, *, catalogue: RuleCatalogue, since_ms: float = ALL
    ) -> tuple[ThreatSummary, list[tuple[int, Finding]]]:
        """Return the summary and findings for severe/medium groups.

        Each finding comes with the epoch milliseconds of its newest alert (its sort position);
        a group whose newest alert is older than ``since_ms`` makes none.
        """
        categories = catalogue.threat_categories
        counted = self._sources.per_group(len(self._list))
        described = [
            _Described(group, group.name(), counted[group.index], *group.words(categories))
            for group in self._list
        ]
        ordered = sorted(described, key=lambda d: (d.group.rank, -d.group.count, d.name))
        summary = ThreatSummary(
            total=self._total,
            blocked=self._blocked,
            detected=self._total - self._blocked,
            cybersecure=self._cybersecure,
            groups=tuple(_threat_group(item, categories) for item in ordered),
            top_sources=self._sources.top(lambda index: described[index].label),
            unranked_alerts=self._sources.other_alerts,
            unranked_sources=len(self._sources.others),
            unranked_at_least=self._sources.others.more,
        )
        findings = [
            (item.group.last.time_ms, _finding(item, catalogue))
            for item in ordered
            if item.group.severity in _FINDING_RULES and item.group.last.time_ms >= since_ms
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


class _Described(NamedTuple):
    """A group with what the report says about it."""

    group: _Group
    name: str
    sources: GroupSources
    label: str
    remediation: str


def _threat_group(item: _Described, categories: ThreatCategories) -> ThreatGroup:
    group, threat = item.group, item.group.threat
    return ThreatGroup(
        signature=item.name,
        signature_id=None if group.others is not None else threat.signature_id,
        category=group.category(categories).token or threat.category,
        category_label=item.label,
        severity=group.severity,
        count=group.count,
        blocked=group.blocked,
        detected=group.detected,
        sources=item.sources.busiest,
        source_count=item.sources.count,
        sources_at_least=item.sources.at_least,
        cybersecure=group.cybersecure,
        remediation=item.remediation,
        first_seen=group.first.time,
        last_seen=group.last.time,
        outcome=group.outcome.value,
    )


def _finding(item: _Described, catalogue: RuleCatalogue) -> Finding:
    group, sources = item.group, item.sources
    rule = catalogue.get(_FINDING_RULES[group.severity])
    fields = {
        "subject": item.name,
        "signature": item.name,
        "category_label": item.label,
        "count": str(group.count),
        "blocked": str(group.blocked),
        "detected": str(group.detected),
        "sources": f"at least {sources.count}" if sources.at_least else str(sources.count),
    }
    alone = sources.count == 1 and not sources.at_least and sources.busiest
    finding = rule.finding(
        fields,
        subject=(group.signature, None, sources.busiest[0] if alone else None),
        count=group.count,
        first_seen=group.first.time,
        last_seen=group.last.time,
        keys=tuple(sorted(group.keys)),
        lead_steps=(item.remediation,),
    )
    if group.others is None:
        return finding
    together = _TOGETHER.format(kept=SIGNATURES_KEPT)
    return replace(finding, explanation=f"{finding.explanation} {together}", others=True)
