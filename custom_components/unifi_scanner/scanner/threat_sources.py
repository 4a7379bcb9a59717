"""Who sent the IPS alerts: per source address its alerts per group, for ranking and counting.

Groups are known here by their number, so an address costs a count and one number (a dict only
for an address that matched several groups). A flood from spoofed or botnet addresses can name
a new one in every alert; past ``SOURCES_WATCHED`` addresses, an alert's address only adds to
how many other addresses there were, as a hash, so memory stays flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from heapq import heappush, heapreplace, nsmallest
from typing import TYPE_CHECKING

from .addresses import is_internal
from .analysis import ThreatSource
from .by_subject import OTHERS_COUNTED, Distinct

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Sources with at least this many alerts are "top sources"; with none, the busiest are shown.
TOP_SOURCE_MIN_EVENTS = 10
TOP_SOURCE_LIMIT = 10
# A group lists at most this many of its source addresses (busiest first).
GROUP_SOURCE_LIMIT = 20
SOURCES_WATCHED = 10_000
"""Source addresses whose alerts are counted per address: for the top sources and each group.

The first seen, so the most recently active. Past them, an address is a hash, at most
``OTHERS_COUNTED`` of them in all (and as many more spread over the groups); from there on
the counts say "at least".
"""


@dataclass(frozen=True, slots=True)
class GroupSources:
    """How many source addresses one group had, and its busiest."""

    count: int
    busiest: tuple[str, ...]
    at_least: bool
    """Whether ``count`` is a lower bound (addresses past those counted)."""


class SourceCounts:
    """The source addresses of a scan's alerts, gathered one alert at a time."""

    __slots__ = (
        "_alerts",
        "_groups",
        "_hashed",
        "_hashes",
        "_more",
        "other_alerts",
        "others",
    )

    def __init__(self) -> None:
        """Start with no alerts."""
        self._alerts: dict[str, int] = {}
        self._groups: dict[str, int | dict[int, int]] = {}  # address -> group, or alerts per group
        self._hashes: dict[int, set[int]] = {}  # group -> hashes of its addresses past the watched
        self._hashed = 0  # hashes kept in _hashes, towards OTHERS_COUNTED
        self._more: set[int] = set()  # groups with addresses that did not fit into _hashes
        self.other_alerts = 0
        """Alerts from addresses past the watched ones."""
        self.others = Distinct()
        """How many such addresses there were."""

    def add(self, source: str, group: int) -> None:
        """Count one alert of group number ``group`` from ``source``."""
        seen = self._alerts.get(source)
        if seen is None:
            if len(self._alerts) >= SOURCES_WATCHED:
                self._add_other(source, group)
                return
            seen = 0
        self._alerts[source] = seen + 1
        groups = self._groups.get(source)
        if groups is None:
            self._groups[source] = group
        elif isinstance(groups, int):
            if groups != group:
                self._groups[source] = {groups: seen, group: 1}
        else:
            groups[group] = groups.get(group, 0) + 1

    def _add_other(self, address: str, group: int) -> None:
        self.other_alerts += 1
        source = self.others.add(address)
        hashes = self._hashes.setdefault(group, set())
        if source in hashes:
            return
        if self._hashed < OTHERS_COUNTED:
            hashes.add(source)
            self._hashed += 1
        else:
            self._more.add(group)

    def per_group(self, groups: int) -> list[GroupSources]:
        """Count each of ``groups`` groups' distinct sources and pick its busiest, in one pass."""
        counts = [0] * groups
        tops: list[list[_Rev]] = [[] for _ in range(groups)]
        for group, source, alerts in self._per_group():
            counts[group] += 1
            top = tops[group]
            item = (-alerts, source)
            if len(top) < GROUP_SOURCE_LIMIT:
                heappush(top, _Rev(item))
            elif item < top[0].item:
                heapreplace(top, _Rev(item))
        return [
            GroupSources(
                count=counts[group] + len(self._hashes.get(group, ())),
                busiest=tuple(rev.item[1] for rev in sorted(tops[group], reverse=True)),
                at_least=group in self._more,
            )
            for group in range(groups)
        ]

    def _per_group(self) -> Iterator[tuple[int, str, int]]:
        """Yield (group, source, alerts) for every source and group it matched."""
        alerts = self._alerts
        for source, groups in self._groups.items():
            if isinstance(groups, int):
                yield groups, source, alerts[source]
            else:
                for group, count in groups.items():
                    yield group, source, count

    def top(self, label: Callable[[int], str]) -> tuple[ThreatSource, ...]:
        """Pick the busiest sources with at least ``TOP_SOURCE_MIN_EVENTS`` alerts, or the busiest.

        ``label`` names a group's kind of alert; a source lists its alerts per label.
        """
        alerts = self._alerts
        ranked = nsmallest(TOP_SOURCE_LIMIT, alerts, key=lambda ip: (-alerts[ip], ip))
        chosen = [ip for ip in ranked if alerts[ip] >= TOP_SOURCE_MIN_EVENTS] or ranked
        return tuple(
            ThreatSource(
                ip=ip,
                count=alerts[ip],
                internal=is_internal(ip),
                categories=tuple(_busiest(_by_label(self._groups[ip], alerts[ip], label))),
            )
            for ip in chosen
        )


class _Rev:
    """Order an item the other way, so a min-heap keeps the smallest ``limit`` items."""

    __slots__ = ("item",)

    def __init__(self, item: tuple[int, str]) -> None:
        self.item = item

    def __lt__(self, other: _Rev) -> bool:
        return other.item < self.item


def _busiest(counts: dict[str, int]) -> list[str]:
    """Keys by descending count, ties by name (stable across runs).

    Sorting by name and then, stably, by count needs no per-item key tuple: a scan can see
    thousands of distinct source addresses.
    """
    keys = sorted(counts)
    keys.sort(key=counts.__getitem__, reverse=True)  # reverse keeps ties in name order
    return keys


def _by_label(
    groups: int | dict[int, int], alerts: int, label: Callable[[int], str]
) -> dict[str, int]:
    """Add up one source's alerts per group label (several groups can share a label)."""
    if isinstance(groups, int):
        return {label(groups): alerts}
    labels: dict[str, int] = {}
    for group, count in groups.items():
        name = label(group)
        labels[name] = labels.get(name, 0) + count
    return labels
