"""IPS alerts from a flood of addresses or signatures: true counts in every format, memory flat.

Spoofed or botnet sources can put a new address in every alert, a broken gateway a new
signature. The report must still say how many addresses a signature had, rank the sources it
counted, say what it did not rank, and keep no per-address or per-signature record past a bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner import by_subject, threat_sources
from custom_components.unifi_scanner.scanner.quiet import Mute, split_muted
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.threat_sources import GROUP_SOURCE_LIMIT
from custom_components.unifi_scanner.scanner.threats import SIGNATURES_KEPT
from tests.scanner.crowd import NOW, peak_while_analysing
from tests.scanner.report_samples import report
from tests.scanner.test_render import visible_text
from tests.scanner.test_threats import BASE_S, ips_row, run

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import pytest

    from custom_components.unifi_scanner.scanner.models import LogEntry


def source(number: int) -> str:
    return f"45.{number // 65_536 % 256}.{number // 256 % 256}.{number % 256}"


def flood(addresses: int, *, severity: int = 2) -> list[LogEntry]:
    """One alert per address, a second apart, the first address the oldest."""
    return [
        ips_row(timestamp=BASE_S + number, src_ip=source(number), inner_alert_severity=severity)
        for number in range(addresses)
    ]


def test_a_group_with_more_sources_than_it_lists_says_how_many_it_had() -> None:
    sample = report(run(flood(GROUP_SOURCE_LIMIT + 5)))
    (group,) = sample.threats.groups
    assert len(group.sources) == GROUP_SOURCE_LIMIT
    assert group.source_count == 25
    assert "25 sources" in render_text(sample)
    assert "25 sources" in visible_text(render_html(sample))
    assert report_to_dict(sample)["threats"]["groups"][0]["source_count"] == 25


def test_addresses_past_the_watched_ones_are_counted_but_not_ranked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threat_sources, "SOURCES_WATCHED", 50)
    analysis = run(flood(80))
    summary = analysis.threats
    assert (summary.unranked_alerts, summary.unranked_sources) == (30, 30)
    assert not summary.unranked_at_least
    (group,) = summary.groups
    assert (group.source_count, group.sources_at_least, group.count) == (80, False, 80)
    (finding,) = analysis.findings
    assert "from 80 source addresses" in finding.explanation
    # The newest are ranked: the 30 oldest came after 50 others had been seen.
    assert {item.ip for item in summary.top_sources} <= {source(n) for n in range(30, 80)}
    sample = report(analysis)
    line = "Not ranked: 30 alerts from 30 more addresses, past the 50 most recently active"
    for text in (render_markdown(sample), render_text(sample, width=200)):
        assert line in text
    assert line in visible_text(render_html(sample))
    data = report_to_dict(sample)["threats"]["unranked"]
    assert data == {"alerts": 30, "sources": 30, "at_least": False}


def test_past_the_counted_addresses_the_counts_say_at_least(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threat_sources, "SOURCES_WATCHED", 50)
    monkeypatch.setattr(threat_sources, "OTHERS_COUNTED", 10)  # the groups' share
    monkeypatch.setattr(by_subject, "OTHERS_COUNTED", 10)  # the addresses in all
    analysis = run(flood(80))
    summary = analysis.threats
    assert (summary.unranked_alerts, summary.unranked_sources) == (30, 10)
    assert summary.unranked_at_least
    (group,) = summary.groups
    assert (group.source_count, group.sources_at_least) == (60, True)
    (finding,) = analysis.findings
    assert "from at least 60 source addresses" in finding.explanation
    assert finding.subject_ip is None
    sample = report(analysis)
    assert "at least 60 sources" in render_text(sample)
    assert "Not ranked: 30 alerts from at least 10 more addresses" in render_markdown(sample)


def test_one_source_past_the_watched_ones_is_not_named_as_the_subject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threat_sources, "SOURCES_WATCHED", 1)
    other = ips_row(timestamp=BASE_S + 9, src_ip="45.9.9.9", inner_alert_signature="ET OTHER")
    alerts = [*flood(1), other]
    analysis = run(alerts)
    lone = next(group for group in analysis.threats.groups if group.signature != "ET OTHER")
    assert (lone.source_count, lone.sources) == (1, ())
    assert all(finding.subject_ip != source(0) for finding in analysis.findings)


def _alerts(count: int) -> Iterator[LogEntry]:
    for number in range(count, 0, -1):
        yield ips_row(
            timestamp=BASE_S + number,
            src_ip=source(number),
            inner_alert_signature=f"ET SCAN {number % 7}",
        )


def test_memory_stays_flat_however_many_addresses_send_alerts() -> None:
    smaller = peak_while_analysing(_alerts(30_000))
    larger = peak_while_analysing(_alerts(120_000))
    assert larger < smaller + 256 * 1024


def signatures(
    count: int, *, severe: int | None = None, called: Mapping[int, str] | None = None
) -> list[LogEntry]:
    """One alert per new signature, a second apart; alert number ``severe`` is high-severity.

    ``called`` names the signatures of some alerts instead (by alert number).
    """
    return [
        ips_row(
            timestamp=BASE_S + number,
            src_ip=source(number % 3),
            inner_alert_signature=(called or {}).get(number, f"ET INVENTED {number}"),
            inner_alert_signature_id=9_000_000 + number,
            inner_alert_severity=1 if number == severe else 2,
        )
        for number in range(count)
    ]


def test_signatures_past_the_kept_ones_are_one_group_and_one_finding() -> None:
    analysis = run(signatures(SIGNATURES_KEPT + 50))
    groups = analysis.threats.groups
    assert len(groups) == SIGNATURES_KEPT + 1
    (other,) = [group for group in groups if "other" in group.signature]
    assert other.signature == "50 other signatures"
    assert (other.count, other.signature_id, other.source_count) == (50, None, 3)
    assert sum(group.count for group in groups) == SIGNATURES_KEPT + 50
    findings = [f for f in analysis.findings if f.rule_id == "threat_medium"]
    assert len(findings) == SIGNATURES_KEPT + 1
    (finding,) = [f for f in findings if f.subject_name == "other signatures"]
    assert finding.title == "Threat detected: 50 other signatures"
    assert "More than 200 signatures matched in this period" in finding.explanation
    sample = report(analysis)
    assert "50 other signatures" in render_text(sample, width=200)


def test_the_other_signatures_keep_their_identity_and_their_worst_severity() -> None:
    medium = run(signatures(SIGNATURES_KEPT + 5))
    fewer = run(signatures(SIGNATURES_KEPT + 5, severe=3))
    more = run(signatures(SIGNATURES_KEPT + 90, severe=3))
    (plain,) = [f for f in medium.findings if f.subject_name == "other signatures"]
    (before,) = [f for f in fewer.findings if f.subject_name == "other signatures"]
    (after,) = [f for f in more.findings if f.subject_name == "other signatures"]
    assert (plain.rule_id, before.rule_id) == ("threat_medium", "threat_severe")
    assert (before.title, after.title) == (
        "High-severity threat: 5 other signatures",
        "High-severity threat: 90 other signatures",
    )
    assert after.finding_id == before.finding_id  # so a mute holds whatever the count


def test_a_signature_called_other_signatures_is_not_the_group_of_others() -> None:
    """A gateway's own "Other Signatures" keeps a finding and a mute apart from the others'."""
    count = SIGNATURES_KEPT + 6
    # At both ends: whichever is read first, it has a group of its own.
    alerts = signatures(count, called={0: "Other Signatures", count - 1: "Other Signatures"})
    findings = [f for f in run(alerts).findings if f.subject == "other signatures"]
    own, others = sorted(findings, key=lambda finding: finding.others)
    assert (own.title, others.title) == (
        "Threat detected: Other Signatures",
        "Threat detected: 5 other signatures",
    )
    assert own.finding_id != others.finding_id
    mute = Mute(rule_id=own.rule_id, finding_id=own.finding_id, created=NOW)
    shown, muted, _ended = split_muted(findings, (mute,), now=NOW)
    assert ([item.finding for item in muted], list(shown)) == ([own], [others])


def test_past_the_counted_signatures_the_group_says_at_least(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(by_subject, "OTHERS_COUNTED", 10)
    groups = run(signatures(SIGNATURES_KEPT + 30)).threats.groups
    (other,) = [group for group in groups if "other" in group.signature]
    assert (other.signature, other.count) == ("at least 10 other signatures", 30)


def _invented(count: int) -> Iterator[LogEntry]:
    for number in range(count, 0, -1):
        yield ips_row(timestamp=BASE_S + number, inner_alert_signature=f"ET INVENTED {number}")


def test_memory_stays_flat_however_many_signatures_a_gateway_invents() -> None:
    smaller = peak_while_analysing(_invented(30_000))
    larger = peak_while_analysing(_invented(120_000))
    assert larger < smaller + 256 * 1024
