"""A log naming ever new subjects: findings of their own for the first, one finding for the rest.

Alerts from thousands of internet addresses or a gateway inventing device MACs must neither
grow the analysis's memory with the log nor bury the report under findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner import aggregations, by_subject, tally
from custom_components.unifi_scanner.scanner.by_subject import OTHERS_COUNTED, SUBJECTS_PER_RULE
from custom_components.unifi_scanner.scanner.quiet import Mute, split_muted
from tests.scanner.crowd import NOW, address, event, mac, of, peak_while_analysing, run

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

    from custom_components.unifi_scanner.scanner.models import LogEntry


def reputation_alerts(addresses: int, *, per_address: int = 1) -> list[LogEntry]:
    """Alerts about known-bad addresses, one address after another, a second apart."""
    return [
        event("EVT_GW_IpReputationAlert", (number * per_address + n) * 1000, ip=address(number))
        for number in range(addresses)
        for n in range(per_address)
    ]


def test_the_newest_subjects_have_findings_and_the_others_one_together() -> None:
    alerts = reputation_alerts(SUBJECTS_PER_RULE + 300, per_address=2)
    findings = of(run(alerts), "ip_reputation_alert")
    assert len(findings) == SUBJECTS_PER_RULE + 1
    own = [finding for finding in findings if finding.subject_ip]
    newest = {address(number) for number in range(300, SUBJECTS_PER_RULE + 300)}
    assert {finding.subject_ip for finding in own} == newest  # read newest first
    assert all(finding.count == 2 for finding in own)
    (others,) = [finding for finding in findings if not finding.subject_ip]
    assert others.subject_name == "other addresses"
    assert others.count == 600  # every alert of the 300 oldest addresses
    assert others.severity == own[0].severity
    assert others.first_seen == alerts[0].time
    assert others.last_seen == alerts[599].time
    # The text is the rule's own about the last of them, then how many there were.
    assert others.title == (
        f"Traffic with a known-bad address: {address(299)} (and 299 more addresses)"
    )
    assert "This rule matched more than 200 addresses in this period" in others.explanation
    assert "counts the 300 others together (600 events)" in others.explanation
    assert any(address(299) in step for step in others.remediation)


def test_a_few_subjects_change_nothing() -> None:
    findings = of(run(reputation_alerts(SUBJECTS_PER_RULE, per_address=3)), "ip_reputation_alert")
    assert len(findings) == SUBJECTS_PER_RULE
    assert all(finding.subject_ip and finding.count == 3 for finding in findings)
    assert not any("more addresses" in finding.title for finding in findings)


def test_one_other_subject_is_named_without_a_count_of_more() -> None:
    findings = of(run(reputation_alerts(SUBJECTS_PER_RULE + 1)), "ip_reputation_alert")
    (others,) = [finding for finding in findings if not finding.subject_ip]
    assert others.title == f"Traffic with a known-bad address: {address(0)}"
    assert "counts the 1 other together (1 event)" in others.explanation


def test_the_others_finding_keeps_its_identity_so_a_mute_holds_next_time() -> None:
    """However many others there are and whoever came last, it is the same finding."""
    first = of(run(reputation_alerts(SUBJECTS_PER_RULE + 10)), "ip_reputation_alert")
    later = of(run(reputation_alerts(SUBJECTS_PER_RULE + 900)), "ip_reputation_alert")
    (before,) = [finding for finding in first if not finding.subject_ip]
    (after,) = [finding for finding in later if not finding.subject_ip]
    assert before.title != after.title
    assert before.finding_id == after.finding_id
    mute = Mute(rule_id=before.rule_id, subject=before.subject, created=NOW)
    shown, muted, _ended = split_muted(later, (mute,), now=NOW)
    assert [item.finding for item in muted] == [after]
    assert len(shown) == SUBJECTS_PER_RULE


def test_past_the_counted_others_the_finding_says_at_least(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(by_subject, "OTHERS_COUNTED", 50)
    findings = of(run(reputation_alerts(SUBJECTS_PER_RULE + 80)), "ip_reputation_alert")
    (others,) = [finding for finding in findings if not finding.subject_ip]
    assert others.count == 80  # every event still counts
    assert others.title.endswith("(and at least 49 more addresses)")
    assert "counts at least 50 others together (80 events)" in others.explanation


def test_devices_past_the_first_are_counted_together_and_never_escalated() -> None:
    """Repeated lost contact still escalates a device with findings of its own."""
    lost = [
        event("EVT_AP_Lost_Contact", number * 1000, ap=mac(number), ap_name=f"AP {number}")
        for number in range(SUBJECTS_PER_RULE + 50)
    ]
    # The newest device dropped off three times; the oldest, among the others, too.
    lost += [
        event("EVT_AP_Lost_Contact", 10**7 + repeat, ap=mac(SUBJECTS_PER_RULE + 49))
        for repeat in range(2)
    ]
    lost += [event("EVT_AP_Lost_Contact", 1 + repeat, ap=mac(0)) for repeat in range(2)]
    analysis = run(lost)
    (repeated,) = of(analysis, "device_lost_contact_repeated")
    assert repeated.subject_mac == mac(SUBJECTS_PER_RULE + 49)
    assert repeated.count == 3
    plain = of(analysis, "device_lost_contact")
    assert len(plain) == SUBJECTS_PER_RULE  # 199 own findings and the others
    (others,) = [finding for finding in plain if not finding.subject_mac]
    assert others.subject_name == "other devices"
    assert others.count == 52  # the 50 oldest devices, the first one three times
    assert sum(finding.count for finding in plain) + repeated.count == len(lost)


def test_clients_past_the_watched_ones_are_not_judged_for_flapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aggregations, "CLIENTS_WATCHED", 2)
    roams = [
        event("EVT_WU_Roam", client * 10**7 + step * 60_000, user=mac(client), ap=mac(1000))
        for client in range(3)
        for step in range(6)
    ]
    flapping = of(run(roams), "client_roaming_flap")
    assert sorted(finding.subject_mac or "" for finding in flapping) == [mac(1), mac(2)]


def _new_subjects(count: int) -> Iterator[LogEntry]:
    """Entries each about a new address, client (blocked or connecting), device or account."""
    for number in range(count, 0, -1):
        at = number * 1000
        match number % 5:
            case 4:
                yield event("EVT_WU_Connected", at, user=mac(number), ap=mac(0))
            case 0:
                yield event("EVT_GW_IpReputationAlert", at, ip=address(number))
            case 1:
                yield event("EVT_WC_Blocked", at, user=mac(number))
            case 2:
                yield event("EVT_AP_Lost_Contact", at, ap=mac(number))
            case _:
                yield event("EVT_AD_Login", at, admin=f"user{number}", ip=address(number))


def test_memory_stays_flat_however_many_subjects_the_log_names() -> None:
    """Four times the subjects past the counted ones: the same peak, give or take a page."""
    assert OTHERS_COUNTED * 4 < 48_000
    smaller = peak_while_analysing(_new_subjects(48_000))
    larger = peak_while_analysing(_new_subjects(192_000))
    assert larger < smaller + 256 * 1024


def test_a_site_wide_finding_counts_clients_up_to_a_bound_then_says_at_least(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tally, "CLIENTS_COUNTED", 50)
    few = [event("EVT_WU_Connected", n * 1000, user=mac(n % 49), ap=mac(0)) for n in range(98)]
    (finding,) = of(run(few), "client_connected")
    assert finding.title == "98 client connections from 49 devices"
    many = [event("EVT_WU_Connected", n * 1000, user=mac(n), ap=mac(0)) for n in range(80)]
    (finding,) = of(run(many), "client_connected")
    assert finding.title == "80 client connections from at least 50 devices"
    assert "(at least 50 different devices)" in finding.explanation
