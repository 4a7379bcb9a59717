"""Findings over time windows: roaming flaps, password guessing, WAN flapping, lost contact.

A rule with an ``aggregate`` hands its deduplicated entries, newest first, to one of these
instead of becoming one finding per subject; each decides what its pattern means and which
engine rule reports it. They keep tallies and the times a window still needs, never entries.
"""

from __future__ import annotations

import heapq
from array import array
from collections import deque
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

from .by_subject import BySubject
from .catalogue import Aggregate, EngineRule
from .subjects import SUBJECT_KEYS, admin_name, client_key, device_key, ip_key
from .tally import ALL, Tally, finding, merged

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .catalogue import Rule, RuleCatalogue
    from .models import LogEntry
    from .subjects import Ranked

ROAM_FLAP_COUNT = 5
ROAM_FLAP_WINDOW_MS = 60 * 60_000
BRUTE_FORCE_COUNT = 5
BRUTE_FORCE_WINDOW_MS = 15 * 60_000
WAN_FLAP_COUNT = 3
WAN_FLAP_SEVERE_COUNT = 6
WAN_FLAP_WINDOW_MS = 60 * 60_000
LOST_CONTACT_REPEATED_COUNT = 3
ADDRESSES_WATCHED = 4_096
"""Addresses per rule whose failed sign-ins are judged on their own.

Each costs a tally and a window (about 3 KiB). Beyond it, as in password spraying from a
botnet, further new addresses are judged by account only, like attempts that carry no address:
memory stays flat however many addresses the log holds, and spraying still adds up to password
guessing against the account.
"""
CLIENTS_WATCHED = 1_024
"""Clients per roaming rule, and gateways, whose changes over time are judged.

The first seen (the most recently active, as entries arrive newest first); later ones still
count in the rule's own findings, they are only not judged for flapping. It keeps memory flat
where a venue's randomised MACs would make every visit a new client.
"""


class Peak:
    """The most entries inside any window of ``width_ms``, fed times newest first.

    The busiest window can be taken to start at one of its entries, so each entry only needs
    the newer ones less than a window away: the deque never holds more than one window.
    """

    __slots__ = ("_times", "_width", "peak")

    def __init__(self, width_ms: int) -> None:
        """Start empty."""
        self._width = width_ms
        self._times: deque[int] = deque()
        self.peak = 0

    def add(self, time_ms: int) -> int:
        """Count one entry (no newer than any before it); return the peak so far."""
        times = self._times
        while times and times[0] - time_ms >= self._width:
            times.popleft()
        times.append(time_ms)
        self.peak = max(self.peak, len(times))
        return self.peak


def max_in_window(runs: Iterable[array[int]], width_ms: int) -> int:
    """Count the most times inside any window of ``width_ms``, over several runs of times.

    Runs arrive newest first but for the odd late row; such a run is sorted on its own. The
    runs are merged lazily, so judging a flood of sign-ins does not make an object per time.
    """
    ordered = [run if _newest_first(run) else array("q", sorted(run, reverse=True)) for run in runs]
    peak = Peak(width_ms)
    for time_ms in heapq.merge(*ordered, reverse=True):
        peak.add(time_ms)
    return peak.peak


def _newest(group: Iterable[_Attempts]) -> int:
    """Return when the newest attempt among ``group``'s tallies was made."""
    return max(held.tally.last.time_ms for held in group)


def _newest_first(run: array[int]) -> bool:
    return all(newer >= older for newer, older in pairwise(run))


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


def _window(peak: int, window_ms: int) -> dict[str, str]:
    return {"window_count": str(peak), "window_minutes": str(window_ms // 60_000)}


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
            finding(self._flap_rule, client.tally, _window(client.peak.peak, ROAM_FLAP_WINDOW_MS))
            for client in self._clients.values()
            if client.peak.peak >= ROAM_FLAP_COUNT and client.tally.last.time_ms >= since_ms
        )
        return ranked


class _Attempts:
    """Failed sign-ins of one address, account and subject: a tally and their times."""

    __slots__ = ("tally", "times")

    def __init__(self, entry: LogEntry) -> None:
        self.tally = Tally(entry, admins=True)
        self.times = array("q", (entry.time_ms,))  # 8 bytes a time, not an int object each


class FailedLogins:
    """Split failed sign-ins into password guessing and ordinary failures.

    A burst from one address is checked first, then a burst against one account from the
    addresses that did not burst. Whether an address burst is known for sure once its window
    peak reached the count, so the times of its attempts are dropped then; an account's
    window is judged at the end, over the attempts of addresses that never burst. Past
    ``ADDRESSES_WATCHED`` addresses, the attempts of new ones count as attempts without one.
    """

    def __init__(self, catalogue: RuleCatalogue) -> None:
        """Report bursts with the catalogue's engine rule."""
        self._brute_rule = catalogue.get(EngineRule.BRUTE_FORCE)
        self._rules: dict[str, Rule] = {}
        # per rule: (address, account, subject) -> attempts, and address -> its window peak
        self._attempts: dict[str, dict[tuple[str, str, str], _Attempts]] = {}
        self._peaks: dict[str, dict[str, Peak]] = {}

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Count one failed sign-in."""
        attempts = self._attempts.get(rule.id)
        if attempts is None:
            self._rules[rule.id] = rule
            attempts = self._attempts[rule.id] = {}
            self._peaks[rule.id] = {}
        peaks = self._peaks[rule.id]
        ip, admin = ip_key(entry), admin_name(entry)
        if ip and ip not in peaks and len(peaks) >= ADDRESSES_WATCHED:
            ip = ""
        part = (ip, admin, SUBJECT_KEYS[rule.subject](entry))
        held = attempts.get(part)
        if held is None:
            held = attempts[part] = _Attempts(entry)
        else:
            held.tally.add(entry)
            held.times.append(entry.time_ms)
        if not ip:
            return
        peak = peaks.get(ip)
        if peak is None:
            peak = peaks[ip] = Peak(BRUTE_FORCE_WINDOW_MS)
        if peak.peak >= BRUTE_FORCE_COUNT:
            del held.times[:]
            peak.add(entry.time_ms)
        elif peak.add(entry.time_ms) >= BRUTE_FORCE_COUNT:
            for (other_ip, _, _), other in attempts.items():
                if other_ip == ip:
                    del other.times[:]  # this address burst: its times are not needed again

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Bursts per address, then per account, then one finding per remaining subject.

        Which attempts make a burst is judged on all of them; only the findings built from
        them are left out when their newest attempt is older than ``since_ms``.
        """
        ranked: list[Ranked] = []
        for rule_id, attempts in self._attempts.items():
            ranked.extend(self._rule_findings(self._rules[rule_id], attempts, since_ms))
        return ranked

    def _rule_findings(
        self, rule: Rule, attempts: dict[tuple[str, str, str], _Attempts], since_ms: float
    ) -> list[Ranked]:
        peaks = self._peaks[rule.id]
        bursts: list[tuple[list[_Attempts], str | None, int]] = []
        by_ip: dict[str, list[_Attempts]] = {}
        by_admin: dict[str, list[tuple[str, _Attempts]]] = {}
        leftover: dict[str, list[_Attempts]] = {}
        for (ip, admin, subject), held in attempts.items():
            tracker = peaks.get(ip)
            if tracker is not None and tracker.peak >= BRUTE_FORCE_COUNT:
                by_ip.setdefault(ip, []).append(held)
            elif admin:
                by_admin.setdefault(admin, []).append((subject, held))
            else:
                leftover.setdefault(subject, []).append(held)
        bursts.extend((group, ip, peaks[ip].peak) for ip, group in by_ip.items())
        for parts in by_admin.values():
            peak = max_in_window((held.times for _, held in parts), BRUTE_FORCE_WINDOW_MS)
            if peak >= BRUTE_FORCE_COUNT:
                bursts.append(([held for _, held in parts], None, peak))
                continue
            for subject, held in parts:
                leftover.setdefault(subject, []).append(held)
        ranked = [
            self._burst(group, ip=ip, peak=peak)
            for group, ip, peak in bursts
            if _newest(group) >= since_ms
        ]
        ranked.extend(
            finding(rule, tally)
            for group in leftover.values()
            if _newest(group) >= since_ms and (tally := merged(held.tally for held in group))
        )
        return ranked

    def _burst(self, group: list[_Attempts], *, ip: str | None, peak: int) -> Ranked:
        """Build a password-guessing finding for one address (``ip``) or one account."""
        tally = merged(held.tally for held in group)
        assert tally is not None  # noqa: S101 - a burst has attempts
        admins = (tally.admins or set()) - {""}
        admin = next(iter(admins)) if len(admins) == 1 else None
        extra = _window(peak, BRUTE_FORCE_WINDOW_MS)
        if ip is not None:
            return finding(self._brute_rule, tally, {"subject": ip} | extra, (admin, None, ip))
        return finding(
            self._brute_rule, tally, {"subject": admin or ""} | extra, (admin, None, None)
        )


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
                    self._catalogue.get(rule_id), gateway.tally, _window(peak, WAN_FLAP_WINDOW_MS)
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
