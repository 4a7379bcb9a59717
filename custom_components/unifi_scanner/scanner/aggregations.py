"""Findings over time windows: roaming flaps, password guessing, WAN flapping, lost contact.

A rule with an ``aggregate`` hands its deduplicated entries, newest first, to one of these
instead of becoming one finding per subject; each decides what its pattern means and which
engine rule reports it. They keep tallies and the times a window still needs, never entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .by_subject import BySubject
from .catalogue import Aggregate, EngineRule
from .guessing import FailedLogins
from .subjects import client_key, device_key
from .tally import ALL, Tally, finding
from .windows import Peak, window_fields

if TYPE_CHECKING:
    from .catalogue import Rule, RuleCatalogue
    from .models import LogEntry
    from .subjects import Ranked

ROAM_FLAP_COUNT = 5
ROAM_FLAP_WINDOW_MS = 60 * 60_000
WAN_FLAP_COUNT = 3
WAN_FLAP_SEVERE_COUNT = 6
WAN_FLAP_WINDOW_MS = 60 * 60_000
LOST_CONTACT_REPEATED_COUNT = 3
CLIENTS_WATCHED = 1_024
"""Clients per roaming rule, and gateways, whose changes over time are judged.

The first seen (the most recently active, as entries arrive newest first); later ones still
count in the rule's own findings, they are only not judged for flapping. It keeps memory flat
where a venue's randomised MACs would make every visit a new client.
"""


class Aggregator(Protocol):
    """What the engine asks of an aggregation."""

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Take one deduplicated entry of ``rule``, newest first."""

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Return what the entries add up to, leaving out findings older than ``since_ms``."""


class _Tallied:
    """A tally and a window peak, per subject of an aggregation."""

    __slots__ = ("peak", "tally")

    def __init__(self, entry: LogEntry, width_ms: int) -> None:
        self.tally = Tally(entry)
        self.peak = Peak(width_ms)
        self.peak.add(entry.time_ms)

    def add(self, entry: LogEntry) -> None:
        self.tally.add(entry)
        self.peak.add(entry.time_ms)


class Roams:
    """Site-wide roaming counts, plus one finding per client that roams back and forth."""

    def __init__(self, catalogue: RuleCatalogue) -> None:
        """Report flaps with the catalogue's engine rule."""
        self._flap_rule = catalogue.get(EngineRule.ROAMING_FLAP)
        self._rules: dict[str, BySubject] = {}
        self._clients: dict[tuple[str, str], _Tallied] = {}

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Count a roam for the site and for its client."""
        plain = self._rules.get(rule.id)
        if plain is None:
            plain = self._rules[rule.id] = BySubject(rule)
        plain.add(rule, entry)
        client = client_key(entry)
        if client:
            tallied = self._clients.get((rule.id, client))
            if tallied is not None:
                tallied.add(entry)
            elif len(self._clients) < CLIENTS_WATCHED:
                self._clients[rule.id, client] = _Tallied(entry, ROAM_FLAP_WINDOW_MS)

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Report the site-wide counts, then the clients whose roams peaked within an hour."""
        ranked = [item for plain in self._rules.values() for item in plain.findings(since_ms)]
        ranked.extend(
            finding(
                self._flap_rule, client.tally, window_fields(client.peak.peak, ROAM_FLAP_WINDOW_MS)
            )
            for client in self._clients.values()
            if client.peak.peak >= ROAM_FLAP_COUNT and client.tally.last.time_ms >= since_ms
        )
        return ranked


class WanTransitions:
    """Each WAN rule reports as usual; frequent changes of one gateway add a flapping finding."""

    def __init__(self, catalogue: RuleCatalogue) -> None:
        """Report flapping with the catalogue's engine rules."""
        self._catalogue = catalogue
        self._rules: dict[str, BySubject] = {}
        self._gateways: dict[str, _Tallied] = {}

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Count a transition for its rule and for its gateway."""
        plain = self._rules.get(rule.id)
        if plain is None:
            plain = self._rules[rule.id] = BySubject(rule)
        plain.add(rule, entry)
        gateway = device_key(entry)
        tallied = self._gateways.get(gateway)
        if tallied is not None:
            tallied.add(entry)
        elif len(self._gateways) < CLIENTS_WATCHED:
            self._gateways[gateway] = _Tallied(entry, WAN_FLAP_WINDOW_MS)

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Each rule's findings, then the gateways that changed often within an hour."""
        ranked = [item for plain in self._rules.values() for item in plain.findings(since_ms)]
        for gateway in self._gateways.values():
            peak = gateway.peak.peak
            if peak < WAN_FLAP_COUNT or gateway.tally.last.time_ms < since_ms:
                continue
            rule_id = (
                EngineRule.WAN_FLAPPING_SEVERE
                if peak >= WAN_FLAP_SEVERE_COUNT
                else EngineRule.WAN_FLAPPING
            )
            ranked.append(
                finding(
                    self._catalogue.get(rule_id),
                    gateway.tally,
                    window_fields(peak, WAN_FLAP_WINDOW_MS),
                )
            )
        return ranked


class LostContacts:
    """Escalate devices that drop off repeatedly into one finding instead of the plain ones."""

    def __init__(self, catalogue: RuleCatalogue) -> None:
        """Report escalations with the catalogue's engine rule."""
        self._repeated_rule = catalogue.get(EngineRule.LOST_CONTACT_REPEATED)
        self._rules: dict[str, BySubject] = {}
        self._devices: dict[str, Tally] = {}

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Count a lost contact for its rule and for its device."""
        plain = self._rules.get(rule.id)
        if plain is None:
            plain = self._rules[rule.id] = BySubject(rule)
        plain.add(rule, entry)
        device = device_key(entry)
        if device not in plain.tallies:
            return  # one of the rule's others: counted there, never escalated
        tally = self._devices.get(device)
        if tally is None:
            self._devices[device] = Tally(entry)
        else:
            tally.add(entry)

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Plain findings for devices lost now and then, one each for the others."""
        repeated = {
            device
            for device, tally in self._devices.items()
            if device and tally.count >= LOST_CONTACT_REPEATED_COUNT
        }
        ranked = [
            item
            for plain in self._rules.values()
            for item in plain.findings(since_ms, leave_out=repeated)
        ]
        ranked.extend(
            finding(self._repeated_rule, tally)
            for device, tally in self._devices.items()
            if device in repeated and tally.last.time_ms >= since_ms
        )
        return ranked


AGGREGATORS: dict[Aggregate, type[Roams | FailedLogins | WanTransitions | LostContacts]] = {
    Aggregate.ROAM: Roams,
    Aggregate.FAILED_LOGIN: FailedLogins,
    Aggregate.WAN_TRANSITION: WanTransitions,
    Aggregate.LOST_CONTACT: LostContacts,
}
