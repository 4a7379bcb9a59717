"""Sans-IO analysis: log entries, devices and health in, findings out.

The ``Analyzer`` takes a scan's entries page by page, newest first, and keeps only what the
report needs: per rule and subject a tally (count, first and last seen, keys, clients, names),
the threat picture, the unknown keys and, per actor, the occurrences of the last five seconds
that the cross-source deduplication compares against. Memory therefore depends on how many
subjects a scan sees, not on how many entries. ``analyze`` is the same for a whole list in any
order. Both are pure and synchronous (no clock, no I/O), so Home Assistant can run them in an
executor and tests can call them directly.

What it guarantees:
- one finding per (rule, subject) with count, first/last seen and the subject's name/MAC/IP;
- the same occurrence seen through two sources (event and alarm, IPS row and event, legacy and
  v2 log) counts once (``dedupe``);
- client chatter (connects, disconnects, roams) becomes one site-wide finding per rule;
- roaming flaps, password guessing, WAN flapping and repeated lost contact are detected over
  sliding time windows (``aggregations``);
- entries no rule claims are counted per key in ``Analysis.unknown_keys``, never dropped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .aggregations import AGGREGATORS
from .analysis import Analysis, KeyVariant
from .by_subject import BySubject, Distinct
from .dedupe import DEDUP_TOLERANCE_MS, Deduplicator
from .health import Thresholds, assess_health
from .normalize import sort_newest_first
from .subjects import actor_fn, threat_actor
from .tally import ALL, collection_key
from .threats import ThreatTally

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from .aggregations import Aggregator
    from .catalogue import Aggregate, Rule, RuleCatalogue
    from .models import Device, HealthSubsystem, LogEntry
    from .subjects import KeyFn, Ranked

__all__ = ["DEDUP_TOLERANCE_MS", "Analyzer", "Thresholds", "analyze"]


KEYS_KEPT = 1_000
"""Unknown keys, and keys read as a known event, listed with their counts.

A broken gateway can invent a key per event; past this many, a new unknown key only adds to how
many more there were (a hash each, at most ``OTHERS_COUNTED``), so memory stays flat.
"""


class _Route:
    """Where one rule's entries go: its deduplication per actor, then its findings."""

    __slots__ = ("actor", "dedupe", "disabled", "rule", "sink")

    def __init__(self, rule: Rule, sink: BySubject | Aggregator, *, disabled: bool) -> None:
        self.rule = rule
        self.actor: KeyFn = actor_fn(rule)
        self.dedupe = Deduplicator()
        self.sink = sink
        self.disabled = disabled


class Analyzer:
    """Analyse one period's entries as they arrive, newest first, keeping no entry list.

    Across all ``add`` calls entries must come newest first, each millisecond in collection
    order (source, id), with ids unique per source: the order the client's collection delivers
    (``normalize.sort_newest_first``). Rules in ``disabled`` (turned off by the user) raise
    nothing: their entries and findings are counted as ignored, never as unknown.
    """

    def __init__(self, *, catalogue: RuleCatalogue, disabled: frozenset[str] = frozenset()) -> None:
        """Prepare an empty analysis with ``catalogue``'s rules."""
        self._catalogue = catalogue
        self._disabled = disabled
        self._routes: dict[str, _Route] = {}
        self._by_key: dict[str, _Route] = {}
        self._aggregators: dict[Aggregate, Aggregator] = {}
        self._threats = ThreatTally()
        self._threat_dedupe = Deduplicator()
        self._unknown: dict[str, int] = {}
        self._unknown_more = Distinct()  # unknown keys past KEYS_KEPT
        self._variants: dict[tuple[str, str], int] = {}
        self._variant_first: dict[tuple[str, str], LogEntry] = {}
        self._via: dict[str, str] = {}
        self._per_entry = frozenset(
            key
            for rule in catalogue.rules
            if rule.disambiguated
            for key in rule.keys | rule.v2_keys
        )
        self._count = 0
        self._ignored = 0

    def add(self, entries: Iterable[LogEntry]) -> None:
        """Take the next entries (one page); none of them is kept once counted.

        The hot loop of a scan: a key that no disambiguated rule claims always resolves to the
        same rule, so it is matched once per analysis; only the few keys several rules share
        are matched entry by entry. An unknown v2 key whose ``event`` is known is read as that
        event and counted as a variant.
        """
        by_key = self._by_key
        via = self._via
        oldest = None
        count = 0
        for entry in entries:
            oldest = entry
            count += 1
            key = entry.key
            if entry.threat is not None:
                self._count_variant(entry, self._catalogue.family(entry))
                if self._threat_dedupe.admit(threat_actor(entry), entry.time_ms, entry.source):
                    self._threats.add(entry)
                continue
            route = by_key.get(key)
            if route is None:
                route = self._resolve(entry)
                if route is None:
                    self._count_unknown(key)
                    continue
            if via and key in via:
                self._count_variant(entry, via[key])
            if not route.dedupe.admit(route.actor(entry), entry.time_ms, entry.source):
                continue
            if route.disabled:
                self._ignored += 1
            else:
                route.sink.add(route.rule, entry)
        self._count += count
        if oldest is not None:  # what the page's entries can no longer repeat is forgotten
            self._threat_dedupe.forget_older(oldest.time_ms)
            for route in self._routes.values():
                route.dedupe.forget_older(oldest.time_ms)

    def _count_unknown(self, key: str) -> None:
        unknown = self._unknown
        if key in unknown or len(unknown) < KEYS_KEPT:
            unknown[key] = unknown.get(key, 0) + 1
        else:
            self._unknown_more.add(key)

    def _resolve(self, entry: LogEntry) -> _Route | None:
        """Find the rule of an entry whose key is not settled yet, and remember the answer."""
        key = entry.key
        if key in self._unknown and key not in self._per_entry and key not in self._via:
            return None
        catalogue = self._catalogue
        rule = catalogue.match(entry)
        family = None
        if rule is None and (family := catalogue.family(entry)) is not None:
            rule = catalogue.match(entry, family)
        if rule is None:
            return None
        route = self._route(rule)
        if family is not None:
            if len(self._via) < KEYS_KEPT:
                self._via[key] = family
        elif key not in self._per_entry:
            self._by_key[key] = route
        return route

    def _route(self, rule: Rule) -> _Route:
        route = self._routes.get(rule.id)
        if route is None:
            sink: BySubject | Aggregator
            if rule.aggregate is None:
                sink = BySubject(rule)
            else:
                sink = self._aggregators.get(rule.aggregate) or self._aggregators.setdefault(
                    rule.aggregate, AGGREGATORS[rule.aggregate](self._catalogue)
                )
            route = self._routes[rule.id] = _Route(rule, sink, disabled=rule.id in self._disabled)
        return route

    def _count_variant(self, entry: LogEntry, family: str | None) -> None:
        if family is not None:
            variant = (entry.key, family)
            if variant not in self._variants and len(self._variants) >= KEYS_KEPT:
                return
            self._variants[variant] = self._variants.get(variant, 0) + 1
            first = self._variant_first.get(variant)
            if first is None or collection_key(entry) < collection_key(first):
                self._variant_first[variant] = entry

    def result(
        self,
        *,
        devices: Sequence[Device] = (),
        health: Sequence[HealthSubsystem] = (),
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
        now: datetime,
        since_ms: float = ALL,
    ) -> Analysis:
        """Conclude: findings from the tallies, the threat picture and the device state.

        ``since_ms`` leaves out the findings whose newest entry is older: the live window wants
        only what its last push touched, and building each finding's text is most of its work.
        Health findings and the counts stay, but for ``ignored_findings``, which then counts
        only the findings of turned-off rules that were not left out.
        """
        catalogue = self._catalogue
        ranked: list[Ranked] = []
        for route in self._routes.values():
            if not route.disabled and type(route.sink) is BySubject:
                ranked.extend(route.sink.findings(since_ms))
        for aggregator in self._aggregators.values():
            ranked.extend(aggregator.findings(since_ms))
        threats, threat_findings = self._threats.summary(catalogue=catalogue, since_ms=since_ms)
        ranked.extend(threat_findings)
        health_summary, health_findings = assess_health(
            devices, health, catalogue=catalogue, thresholds=thresholds, now=now
        )
        now_ms = int(now.timestamp() * 1000)
        ranked.extend((now_ms, finding) for finding in health_findings)
        before = len(ranked)
        disabled = self._disabled
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
        first = self._variant_first
        return Analysis(
            findings=tuple(finding for _, finding in ranked),
            threats=threats,
            health=health_summary,
            unknown_keys=dict(sorted(self._unknown.items(), key=lambda item: (-item[1], item[0]))),
            entry_count=self._count,
            unknown_keys_more=len(self._unknown_more),
            ignored_entries=self._ignored,
            ignored_findings=before - len(ranked),
            key_variants=tuple(
                KeyVariant(key=key, event=event, count=count)
                for (key, event), count in sorted(
                    self._variants.items(),
                    key=lambda item: (-item[1], collection_key(first[item[0]])),
                )
            ),
        )


def analyze(
    entries: Sequence[LogEntry],
    *,
    catalogue: RuleCatalogue,
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    now: datetime,
    disabled: frozenset[str] = frozenset(),
    since_ms: float = ALL,
) -> Analysis:
    """Analyse a whole list of entries in any order; a repeated id of a source counts once."""
    seen: set[tuple[str, str]] = set()
    unique: list[LogEntry] = []
    for entry in entries:
        if entry.id:
            marker = (entry.source, entry.id)
            if marker in seen:
                continue
            seen.add(marker)
        unique.append(entry)
    sort_newest_first(unique)
    analyzer = Analyzer(catalogue=catalogue, disabled=disabled)
    analyzer.add(unique)
    analysis = analyzer.result(
        devices=devices, health=health, thresholds=thresholds, now=now, since_ms=since_ms
    )
    return replace(analysis, entry_count=len(entries))
