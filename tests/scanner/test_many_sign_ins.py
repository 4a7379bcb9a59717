"""Failed sign-ins naming ever new accounts and addresses: bounded memory, bounded findings.

A sprayer tries a new made-up account with every attempt, a botnet a new address: password
guessing must still be found, every attempt must still count, and neither the analysis's memory
nor the report may grow with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.findings import state_key
from custom_components.unifi_scanner.scanner import guessing
from custom_components.unifi_scanner.scanner.by_subject import SUBJECTS_PER_RULE
from custom_components.unifi_scanner.scanner.guessing import ACCOUNTS_WATCHED
from tests.scanner.crowd import address, event, of, peak_while_analysing, run

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

    from custom_components.unifi_scanner.scanner.models import LogEntry

FAILED = "EVT_AD_LoginFailed"
PLAIN = "admin_login_failed"
GUESSING = "admin_brute_force"
MINUTE_MS = 60_000


def _count_attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the attempt groups the analysis keeps apart, as they are made."""
    made = [0]
    real = guessing._Attempts.__init__

    def counted(self: Any, entry: LogEntry) -> None:
        made[0] += 1
        real(self, entry)

    monkeypatch.setattr(guessing._Attempts, "__init__", counted)
    return made


def _sprayed(count: int) -> Iterator[LogEntry]:
    """One address trying a new account every second, newest first."""
    for number in range(count, 0, -1):
        yield event(FAILED, number * 1000, admin=f"user{number}", ip="203.0.113.9")


def test_one_address_trying_endless_accounts_is_one_guessing_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = _count_attempts(monkeypatch)
    analysis = run(list(_sprayed(5_000)))
    (guess,) = of(analysis, GUESSING)
    assert guess.subject_ip == "203.0.113.9"
    assert guess.subject_name is None  # many accounts, so none is named
    assert guess.count == 5_000
    assert "900 failed sign-ins within 15 minutes" in guess.explanation
    assert of(analysis, PLAIN) == []
    assert made[0] == 4  # the attempts before the address burst, then one tally for all


def test_accounts_past_the_newest_are_one_finding_about_other_accounts() -> None:
    """The first accounts judged and those past ACCOUNTS_WATCHED add up to the same finding."""
    total = ACCOUNTS_WATCHED + 476
    attempts = [event(FAILED, number * 1000, admin=f"user{number}") for number in range(total)]
    findings = of(run(attempts), PLAIN)
    assert len(findings) == SUBJECTS_PER_RULE + 1
    own = [finding for finding in findings if finding.subject_name != "other accounts"]
    newest = {f"user{number}" for number in range(total - SUBJECTS_PER_RULE, total)}
    assert {finding.subject_name for finding in own} == newest
    (others,) = [finding for finding in findings if finding.subject_name == "other accounts"]
    rest = total - SUBJECTS_PER_RULE
    assert others.count == rest
    assert others.title.endswith(f"(and {rest - 1} more accounts)")
    assert f"counts the {rest} others together ({rest} events)" in others.explanation
    assert others.first_seen == attempts[0].time
    assert others.last_seen == attempts[rest - 1].time
    assert of(run(attempts), GUESSING) == []


def test_an_account_called_other_accounts_is_not_the_finding_about_the_others() -> None:
    """The newest account calls itself "other accounts": its finding and keys stay its own."""
    total = SUBJECTS_PER_RULE + 3
    attempts = [
        event(
            FAILED, number * 1000, admin="other accounts" if number == total - 1 else f"u{number}"
        )
        for number in range(total)
    ]
    findings = [f for f in of(run(attempts), PLAIN) if f.subject == "other accounts"]
    own, others = sorted(findings, key=lambda finding: finding.others)
    assert (own.count, others.count) == (1, 3)
    assert others.title.endswith("(and 2 more accounts)")
    assert own.finding_id != others.finding_id
    assert state_key(own) != state_key(others)  # what their events are announced once by


def _round_robin(accounts: int, addresses: int, *, gap_ms: int) -> list[LogEntry]:
    """Each address tries each account once, account after account, ``gap_ms`` apart."""
    return [
        event(
            FAILED,
            (account * addresses + number) * gap_ms,
            admin=f"user{account}",
            ip=address(number),
        )
        for account in range(accounts)
        for number in range(addresses)
    ]


def test_pairs_past_the_watched_ones_are_judged_by_account_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten accounts sprayed from a hundred addresses, each address too slow to burst."""
    attempts = _round_robin(10, 100, gap_ms=10_000)
    unbounded = run(attempts)
    made = _count_attempts(monkeypatch)
    monkeypatch.setattr(guessing, "PAIRS_WATCHED", 20)
    bounded = run(attempts)
    assert made[0] == 20 + 10  # the watched pairs, then one per account without an address
    assert bounded.findings == unbounded.findings
    guesses = of(bounded, GUESSING)
    assert sorted(finding.subject_name or "" for finding in guesses) == [
        f"user{account}" for account in range(10)
    ]
    assert all(finding.count == 100 and finding.subject_ip is None for finding in guesses)


def test_slow_attempts_past_the_watched_pairs_stay_plain_and_all_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guessing, "PAIRS_WATCHED", 20)
    attempts = _round_robin(10, 100, gap_ms=4 * MINUTE_MS)  # 4 in any 15 minutes at most
    analysis = run(attempts)
    assert of(analysis, GUESSING) == []
    plain = of(analysis, PLAIN)
    assert len(plain) == 10
    assert all(finding.count == 100 for finding in plain)


def _bursts(subjects: int, **who: str) -> list[LogEntry]:
    """Five attempts a minute apart per subject, an hour between subjects."""
    return [
        event(
            FAILED,
            number * 60 * MINUTE_MS + attempt * MINUTE_MS,
            **{field: value.format(number) for field, value in who.items()},
        )
        for number in range(subjects)
        for attempt in range(5)
    ]


def test_addresses_guessing_past_the_newest_are_one_finding() -> None:
    findings = of(run(_bursts(SUBJECTS_PER_RULE + 50, ip="198.51.{}.7", admin="admin")), GUESSING)
    assert len(findings) == SUBJECTS_PER_RULE + 1
    (others,) = [finding for finding in findings if finding.subject_name == "other addresses"]
    assert others.count == 250
    assert others.title == (
        "Password guessing against the UniFi console: 198.51.49.7 (and 49 more addresses)"
    )
    assert all(finding.count == 5 for finding in findings if finding is not others)


def test_accounts_guessed_past_the_newest_are_one_finding() -> None:
    findings = of(run(_bursts(SUBJECTS_PER_RULE + 3, admin="user{}")), GUESSING)
    assert len(findings) == SUBJECTS_PER_RULE + 1
    (others,) = [finding for finding in findings if finding.subject_name == "other accounts"]
    assert others.count == 15
    assert others.title.endswith("user2 (and 2 more accounts)")


def _sign_ins(count: int) -> Iterator[LogEntry]:
    """Failed sign-ins each naming someone new: from a new address, none, or a sprayer."""
    for number in range(count, 0, -1):
        at = number * 1000
        match number % 3:
            case 0:
                yield event(FAILED, at, admin=f"user{number}", ip=address(number))
            case 1:
                yield event(FAILED, at, admin=f"user{number}")
            case _:
                yield event(FAILED, at, admin=f"user{number}", ip="203.0.113.9")


def test_memory_stays_flat_however_many_accounts_and_addresses_fail() -> None:
    smaller = peak_while_analysing(_sign_ins(30_000))
    larger = peak_while_analysing(_sign_ins(120_000))
    assert larger < smaller + 256 * 1024
