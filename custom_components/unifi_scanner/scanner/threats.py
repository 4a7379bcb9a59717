"""IPS/IDS analysis: alerts grouped by signature and by source, in plain English.

Input is every entry that carries a ``Threat`` (legacy ``stat/ips/event`` rows, ``EVT_IPS_IpsAlert``
events and alarms, v2 threat log entries), already deduplicated across sources by the engine.
Severity follows the IPS scale: 1 is severe, 2 medium, anything else low; a group takes the worst
severity of its alerts. Severe and medium groups also become findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from heapq import heappush, heapreplace, nsmallest
from typing import TYPE_CHECKING

from .addresses import is_internal
from .by_subject import OTHERS_COUNTED
from .catalogue import EngineRule
from .models import Finding, Severity, ThreatGroup, ThreatSource, ThreatSummary
from .tally import ALL, comes_before
from .threat_catalogue import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

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
SOURCES_WATCHED = 10_000
"""Source addresses whose alerts are counted per address: for the top sources and each group.

The first seen, so the most recently active. A flood from spoofed or botnet addresses can name a
new one in every alert; past this many, an alert's address only adds to how many other addresses
there were (a hash each, at most ``OTHERS_COUNTED`` in all), so memory stays flat.
"""

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
    keys: set[str] = field(default_factory=set)
    source_count: int = 0
    """Distinct source addresses (known once the tally is summarised)."""
    other_sources: set[int] | None = None
    """Hashes of its addresses past ``SOURCES_WATCHED`` (within the tally's budget for them)."""
    more_sources: bool = False
    """Whether some of those addresses did not fit the budget: the count is a lower bound."""
    busiest: list[str] = field(default_factory=list)
    """Its busiest source addresses, at most ``GROUP_SOURCE_LIMIT`` (likewise)."""

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

    Per signature it keeps counts, the first and the newest alert and the source addresses;
    per source address the alerts per signature. A group's first alert (in collection order)
    names its signature id and category, and its newest is the last of the newest millisecond.
    """

    __slots__ = (
        "_blocked",
        "_cybersecure",
        "_groups",
        "_kept_for_groups",
        "_other_alerts",
        "_others",
        "_others_more",
        "_signatures",
        "_sources",
        "_total",
    )

    def __init__(self) -> None:
        """Start with no alerts."""
        self._groups: dict[str, _Group] = {}
        self._sources: dict[str, int] = {}
        self._signatures: dict[str, str | dict[str, int]] = {}
        self._blocked = self._cybersecure = self._total = 0
        # Addresses past SOURCES_WATCHED: their alerts, their hashes, whether some did not fit,
        # and how many hashes the groups keep between them.
        self._other_alerts = self._kept_for_groups = 0
        self._others: set[int] = set()
        self._others_more = False

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
            if comes_before(entry, group.first):
                group.first = entry
            if not comes_before(entry, group.last):
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
            self._count_source(source, group)

    def _count_source(self, source: str, group: _Group) -> None:
        seen = self._sources.get(source)
        if seen is None:
            if len(self._sources) >= SOURCES_WATCHED:
                self._count_other(hash(source), group)
                return
            seen = 0
        self._sources[source] = seen + 1
        signature = group.signature
        signatures = self._signatures.get(source)
        if signatures is None:
            self._signatures[source] = signature
        elif isinstance(signatures, str):
            if signatures != signature:
                self._signatures[source] = {signatures: seen, signature: 1}
        else:
            signatures[signature] = signatures.get(signature, 0) + 1

    def _count_other(self, source: int, group: _Group) -> None:
        """Count an alert from an address past the watched ones, by its hash."""
        self._other_alerts += 1
        others = self._others
        if source not in others:
            if len(others) < OTHERS_COUNTED:
                others.add(source)
            else:
                self._others_more = True
        kept = group.other_sources
        if kept is None:
            kept = group.other_sources = set()
        if source in kept:
            return
        if self._kept_for_groups < OTHERS_COUNTED:
            kept.add(source)
            self._kept_for_groups += 1
        else:
            group.more_sources = True

    def summary(
        self, *, catalogue: RuleCatalogue, since_ms: float = ALL
    ) -> tuple[ThreatSummary, list[tuple[int, Finding]]]:
        """Return the summary and findings for severe/medium groups.

        Each finding comes with the epoch milliseconds of its newest alert (its sort position);
        a group whose newest alert is older than ``since_ms`` makes none.
        """
        categories = catalogue.threat_categories
        self._rank_sources()
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
            unranked_alerts=self._other_alerts,
            unranked_sources=len(self._others),
            unranked_at_least=self._others_more,
        )
        findings = [
            (group.last.time_ms, _finding(group, catalogue, *words[group.signature]))
            for group in ordered
            if group.severity in _FINDING_RULES and group.last.time_ms >= since_ms
        ]
        return summary, findings

    def _per_signature(self) -> Iterator[tuple[str, str, int]]:
        """Yield (signature, source, alerts) for every source and signature it matched."""
        counts = self._sources
        for source, signatures in self._signatures.items():
            if isinstance(signatures, str):
                yield signatures, source, counts[source]
            else:
                for signature, count in signatures.items():
                    yield signature, source, count

    def _rank_sources(self) -> None:
        """Count each group's distinct sources and pick its busiest, in one pass."""
        tops: dict[str, list[_Rev]] = {}
        limit = GROUP_SOURCE_LIMIT
        for signature, source, count in self._per_signature():
            group = self._groups[signature]
            group.source_count += 1
            top = tops.setdefault(signature, [])
            item = (-count, source)
            if len(top) < limit:
                heappush(top, _Rev(item))
            elif item < top[0].item:
                heapreplace(top, _Rev(item))
        for signature, top in tops.items():
            self._groups[signature].busiest = [rev.item[1] for rev in sorted(top, reverse=True)]
        for group in self._groups.values():
            if group.other_sources:
                group.source_count += len(group.other_sources)


class _Rev:
    """Order an item the other way, so a min-heap keeps the smallest ``limit`` items."""

    __slots__ = ("item",)

    def __init__(self, item: tuple[int, str]) -> None:
        self.item = item

    def __lt__(self, other: _Rev) -> bool:
        return other.item < self.item


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
        sources=tuple(group.busiest),
        source_count=group.source_count,
        sources_at_least=group.more_sources,
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
    signatures: dict[str, str | dict[str, int]],
    words: dict[str, tuple[str, str]],
) -> tuple[ThreatSource, ...]:
    """Pick the busiest sources with at least ``TOP_SOURCE_MIN_EVENTS`` alerts, or the busiest."""
    ranked = nsmallest(TOP_SOURCE_LIMIT, counts, key=lambda ip: (-counts[ip], ip))
    chosen = [ip for ip in ranked if counts[ip] >= TOP_SOURCE_MIN_EVENTS] or ranked
    return tuple(
        ThreatSource(
            ip=ip,
            count=counts[ip],
            internal=is_internal(ip),
            categories=tuple(_busiest(_by_label(signatures[ip], counts[ip], words))),
        )
        for ip in chosen
    )


def _by_label(
    signatures: str | dict[str, int], alerts: int, words: dict[str, tuple[str, str]]
) -> dict[str, int]:
    """Add up one source's alerts per group label (several signatures can share a label)."""
    if isinstance(signatures, str):
        return {words[signatures][0]: alerts}
    labels: dict[str, int] = {}
    for signature, count in signatures.items():
        label = words[signature][0]
        labels[label] = labels.get(label, 0) + count
    return labels


def _finding(group: _Group, catalogue: RuleCatalogue, label: str, remediation: str) -> Finding:
    rule = catalogue.get(_FINDING_RULES[group.severity])
    count = group.source_count
    fields = {
        "subject": group.signature,
        "signature": group.signature,
        "category_label": label,
        "count": str(group.count),
        "blocked": str(group.blocked),
        "detected": str(group.detected),
        "sources": f"at least {count}" if group.more_sources else str(count),
    }
    alone = count == 1 and not group.more_sources and bool(group.busiest)
    return rule.finding(
        fields,
        subject=(group.signature, None, group.busiest[0] if alone else None),
        count=group.count,
        first_seen=group.first.time,
        last_seen=group.last.time,
        keys=tuple(sorted(group.keys)),
        lead_steps=(remediation,),
    )
