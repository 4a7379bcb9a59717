"""Failed sign-ins: password guessing from one address or against one account, else plain failures.

A burst from one address is checked first, then a burst against one account from the
addresses that did not burst; what is left becomes the rule's own findings, one per account.
Whether an address bursts is known for sure once its window peak reaches the count, so from
then on its attempts are one tally, whatever accounts they try. Until then they are kept apart
by account, with their times, because the address may never burst and the account may.

Memory is flat whatever the log names: addresses, accounts and the pairs of them kept apart
are each bounded, and past a bound attempts are judged with less detail, never dropped.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Final

from .by_subject import SUBJECTS_PER_RULE, Others, as_others, newest_first
from .catalogue import EngineRule
from .subjects import SUBJECT_KEYS, admin_name, ip_key
from .tally import ALL, Tally, finding, merged
from .windows import Peak, max_in_window, window_fields

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .catalogue import Rule, RuleCatalogue
    from .models import LogEntry
    from .subjects import Ranked

BRUTE_FORCE_COUNT: Final = 5
BRUTE_FORCE_WINDOW_MS: Final = 15 * 60_000
ADDRESSES_WATCHED = 4_096
"""Addresses per rule whose failed sign-ins are judged on their own.

Beyond it, as in password spraying from a botnet, further new addresses are judged by account
only, like attempts that carry no address: spraying still adds up to password guessing against
the account.
"""
PAIRS_WATCHED = 4_096
"""Pairs of a watched address and an account kept apart while the address has not burst.

Each costs a tally (about 3 KiB with the entries it keeps) and the times of its attempts.
Beyond it, an attempt of a new pair is judged by its account only, as if it had no address.
"""
ACCOUNTS_WATCHED = 1_024
"""Accounts per rule that are judged at all: for bursts against them and for findings of their own.

Beyond it, as with thousands of made-up account names, attempts that did not come from an
address already guessing count together in the rule's finding about its "other accounts".
"""


class _Attempts:
    """Failed sign-ins of one address (or none) and one account: a tally and their times."""

    __slots__ = ("tally", "times")

    def __init__(self, entry: LogEntry) -> None:
        self.tally = Tally(entry, admins=True)
        self.times = array("q", (entry.time_ms,))  # 8 bytes a time, not an int object each

    def add(self, entry: LogEntry) -> None:
        self.tally.add(entry)
        self.times.append(entry.time_ms)


type _Pairs = dict[tuple[str, str], _Attempts]  # (account, subject) -> attempts


class _RuleAttempts:
    """One failed sign-in rule's attempts, as far as they are judged yet."""

    __slots__ = ("accounts", "bursts", "others", "pairs", "peaks", "rule", "subject_of", "watched")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.subject_of = SUBJECT_KEYS[rule.subject]
        self.peaks: dict[str, Peak] = {}  # watched address -> its window
        self.bursts: dict[str, Tally] = {}  # address that burst -> all its attempts
        self.pairs: dict[str, _Pairs] = {}  # address ("" for none) -> its attempts by account
        self.watched = 0  # pairs held for addresses, towards PAIRS_WATCHED
        self.accounts: set[str] = set()  # subjects judged, towards ACCOUNTS_WATCHED
        self.others: Others | None = None

    def add(self, entry: LogEntry) -> None:
        """Count one failed sign-in where it will be judged."""
        ip, subject = ip_key(entry), self.subject_of(entry)
        pair = (admin_name(entry), subject)
        judged = subject in self.accounts or len(self.accounts) < ACCOUNTS_WATCHED
        peak = self._peak(ip, pair, new=judged)
        if peak is not None and (burst := self.bursts.get(ip)) is not None:
            burst.add(entry)
            peak.add(entry.time_ms)
            return
        if not judged:
            if self.others is None:
                self.others = Others(entry, subject)
            else:
                self.others.add(entry, subject)
            return
        if peak is None:
            ip = ""
        elif peak.add(entry.time_ms) >= BRUTE_FORCE_COUNT:
            self._burst(ip, entry)
            return
        pairs = self.pairs.setdefault(ip, {})
        held = pairs.get(pair)
        if held is not None:
            held.add(entry)
        else:
            self.accounts.add(subject)
            pairs[pair] = _Attempts(entry)
            self.watched += bool(ip)

    def _peak(self, ip: str, pair: tuple[str, str], *, new: bool) -> Peak | None:
        """Return the window of the address ``ip`` when it is judged on its own, else None.

        A window is only opened (``new``) for an attempt on an account that is judged.
        """
        if not ip:
            return None
        peak = self.peaks.get(ip)
        if peak is None:
            if not new or len(self.peaks) >= ADDRESSES_WATCHED or self.watched >= PAIRS_WATCHED:
                return None
            peak = self.peaks[ip] = Peak(BRUTE_FORCE_WINDOW_MS)
        elif ip not in self.bursts and self.watched >= PAIRS_WATCHED:
            pairs = self.pairs.get(ip)
            if pairs is None or pair not in pairs:
                return None
        return peak

    def _burst(self, ip: str, entry: LogEntry) -> None:
        """Fold the attempts of ``ip``, which just burst with ``entry``, into one tally."""
        tally = Tally(entry, admins=True)
        held = self.pairs.pop(ip, {})
        for attempts in held.values():
            tally.merge(attempts.tally)
        self.watched -= len(held)
        self.bursts[ip] = tally

    def findings(self, brute_rule: Rule, since_ms: float) -> list[Ranked]:
        """Bursts per address, then per account, then the rule's findings per account."""
        by_account: dict[str, list[tuple[str, _Attempts]]] = {}
        plain: dict[str, list[Tally]] = {}
        for pairs in self.pairs.values():
            for (account, subject), held in pairs.items():
                if account:
                    by_account.setdefault(account, []).append((subject, held))
                else:
                    plain.setdefault(subject, []).append(held.tally)
        guessed: list[tuple[Tally, int, str]] = []
        for account, parts in by_account.items():
            peak = max_in_window((held.times for _, held in parts), BRUTE_FORCE_WINDOW_MS)
            if peak >= BRUTE_FORCE_COUNT:
                guessed.append((_folded(held.tally for _, held in parts), peak, account))
                continue
            for subject, held in parts:
                plain.setdefault(subject, []).append(held.tally)
        burst = [(tally, self.peaks[ip].peak, ip) for ip, tally in self.bursts.items()]
        ranked = _guessing(brute_rule, burst, since_ms, by_address=True)
        ranked.extend(_guessing(brute_rule, guessed, since_ms, by_address=False))
        ranked.extend(self._plain([_folded(group) for group in plain.values()], since_ms))
        return ranked

    def _plain(self, tallies: list[Tally], since_ms: float) -> list[Ranked]:
        """Make the rule's own finding per account, for the newest, and one for the others."""
        rule = self.rule
        tallies.sort(key=newest_first)
        own, rest = tallies[:SUBJECTS_PER_RULE], tallies[SUBJECTS_PER_RULE:]
        ranked = [finding(rule, tally) for tally in own if tally.last.time_ms >= since_ms]
        subjects = len(rest)  # accounts past the newest, then those never judged on their own
        if self.others is not None:
            rest.append(self.others.tally)
            subjects += len(self.others.seen)
        together = merged(rest)
        if together is not None and together.last.time_ms >= since_ms:
            ranked.append(as_others(finding(rule, together), subjects, kind=rule.subject))
        return ranked


class FailedLogins:
    """Split failed sign-ins into password guessing and ordinary failures (see the module)."""

    def __init__(self, catalogue: RuleCatalogue) -> None:
        """Report bursts with the catalogue's engine rule."""
        self._brute_rule = catalogue.get(EngineRule.BRUTE_FORCE)
        self._rules: dict[str, _RuleAttempts] = {}

    def add(self, rule: Rule, entry: LogEntry) -> None:
        """Count one failed sign-in."""
        attempts = self._rules.get(rule.id)
        if attempts is None:
            attempts = self._rules[rule.id] = _RuleAttempts(rule)
        attempts.add(entry)

    def findings(self, since_ms: float = ALL) -> list[Ranked]:
        """Judge every rule's attempts.

        Which attempts make a burst is judged on all of them; only the findings built from
        them are left out when their newest attempt is older than ``since_ms``.
        """
        return [
            item
            for attempts in self._rules.values()
            for item in attempts.findings(self._brute_rule, since_ms)
        ]


def _folded(tallies: Iterable[Tally]) -> Tally:
    """Fold tallies known to be at least one."""
    tally = merged(tallies)
    assert tally is not None  # noqa: S101 - every group here has attempts
    return tally


def _guessing(
    rule: Rule, bursts: list[tuple[Tally, int, str]], since_ms: float, *, by_address: bool
) -> list[Ranked]:
    """Password guessing findings: the newest bursts each, the others of them together."""
    bursts.sort(key=lambda burst: newest_first(burst[0]))
    own, rest = bursts[:SUBJECTS_PER_RULE], bursts[SUBJECTS_PER_RULE:]
    ranked = [
        _burst_finding(rule, tally, peak, who, by_address=by_address)
        for tally, peak, who in own
        if tally.last.time_ms >= since_ms
    ]
    if rest:
        together = _folded(tally for tally, _, _ in rest)
        _, peak, who = rest[0]  # the newest of the others, whom the text is about
        if together.last.time_ms >= since_ms:
            last = _burst_finding(rule, together, peak, who, by_address=by_address)
            ranked.append(as_others(last, len(rest), kind="ip" if by_address else "admin"))
    return ranked


def _burst_finding(rule: Rule, tally: Tally, peak: int, who: str, *, by_address: bool) -> Ranked:
    """Build a password-guessing finding about one address or one account (``who``)."""
    admin = tally.sole_admin()
    extra = window_fields(peak, BRUTE_FORCE_WINDOW_MS)
    if by_address:
        return finding(rule, tally, {"subject": who} | extra, (admin, None, who))
    return finding(rule, tally, {"subject": who} | extra, (who, None, None))
