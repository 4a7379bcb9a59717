"""A threat's words follow what happened: blocked or let through, from outside or from inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.normalize import normalize_ips, normalize_system_log
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.report import build_report
from custom_components.unifi_scanner.scanner.threat_catalogue import Outcome

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis
    from custom_components.unifi_scanner.scanner.models import LogEntry

from .test_threat_shapes import blocked_attempt as v2_row

CATALOGUE = load_catalogue()
NOW = datetime(2025, 10, 9, 10, tzinfo=UTC)
BASE_MS = 1_760_000_000_000
OUTCOMES = CATALOGUE.threat_categories.outcomes


BEACON = {
    "key": "THREAT_DETECTED_KNOWN_SOURCE_CLIENT",
    "event": "THREAT_DETECTED",
    "severity": "MEDIUM",
    "parameters": {
        "SRC_CLIENT": {"id": "bc:24:11:aa:bb:dd", "name": "Old laptop", "ip": "192.168.1.23"},
        "DST_IP": {"id": "203.0.113.66", "name": "203.0.113.66"},
    },
}


def ips_row(number: int, **overrides: Any) -> dict[str, Any]:
    """Build a legacy stat/ips/event row: a blocked reputation-list hit from outside."""
    row: dict[str, Any] = {
        "_id": f"{number:024x}",
        "time": BASE_MS + number * 1000,
        "key": "EVT_IPS_IpsAlert",
        "src_ip": "198.51.100.7",
        "dest_ip": "203.0.113.2",
        "usgip": "203.0.113.2",
        "inner_alert_action": "blocked",
        "inner_alert_signature": "ET DROP Spamhaus DROP Listed Traffic Inbound group 12",
        "inner_alert_signature_id": 2400011,
        "inner_alert_category": "Misc Attack",
        "inner_alert_severity": 2,
    }
    return row | overrides


def _entries(rows: list[dict[str, Any]]) -> list[LogEntry]:
    parsed = [normalize_ips(row) if "_id" in row else normalize_system_log(row) for row in rows]
    return [entry for entry in parsed if entry is not None]


def run(rows: list[dict[str, Any]]) -> Analysis:
    return analyze(_entries(rows), catalogue=CATALOGUE, now=NOW)


def _threat_finding(analysis: Analysis) -> Any:
    (finding,) = [f for f in analysis.findings if f.rule_id.startswith("threat_")]
    return finding


def test_a_blocked_attempt_from_outside_says_nothing_got_in() -> None:
    analysis = run([v2_row(number) for number in range(3)])
    (group,) = analysis.threats.groups
    assert group.outcome == "blocked_inbound"
    assert group.remediation.startswith(OUTCOMES[Outcome.BLOCKED_INBOUND])
    finding = _threat_finding(analysis)
    assert finding.severity.value == "medium"
    assert finding.remediation[0].startswith("The gateway blocked this traffic from outside")
    advice = " ".join(finding.remediation)
    for alarming in ("Disconnect", "isolate", "Isolate", "reinstall"):
        assert alarming not in advice
    assert "3 blocked and 0 only detected" in finding.explanation


def test_a_beacon_that_got_out_is_an_emergency_with_advice_to_disconnect() -> None:
    analysis = run([v2_row(1, **BEACON)])
    (group,) = analysis.threats.groups
    assert group.outcome == "detected_outbound"
    finding = _threat_finding(analysis)
    assert finding.severity.value == "severe"
    assert finding.remediation[0].startswith(
        "A device inside your network sent this traffic and the gateway let it through"
    )
    assert "Disconnect that device now" in finding.remediation[0]
    assert "1 time from 1 source address: 0 blocked and 1 only detected" in finding.explanation


def test_the_most_serious_outcome_of_a_group_leads() -> None:
    rows = [v2_row(number, title_raw="Botnet traffic") for number in range(3)]
    beacon = v2_row(9, **(BEACON | {"title_raw": "Botnet traffic"}))
    (group,) = run([*rows, beacon]).threats.groups
    assert group.outcome == "detected_outbound"
    assert group.blocked == 3
    assert group.detected == 1


def test_a_compromise_family_from_outside_gets_no_advice_to_clean_your_device() -> None:
    trojan = {"inner_alert_signature": "ET TROJAN Known Bot C2 Traffic", "inner_alert_severity": 1}
    inbound = run([ips_row(1, **trojan)])
    (group,) = inbound.threats.groups
    assert group.category_label == "Trojan activity"
    assert "Isolate the internal device" not in group.remediation
    assert "Trojan traffic sent to your network from outside" in group.remediation
    outbound = run([ips_row(2, src_ip="192.168.1.40", dest_ip="198.51.100.7", **trojan)])
    (group,) = outbound.threats.groups
    assert "Isolate the internal device" in group.remediation


@pytest.mark.parametrize(
    ("action", "label", "advice", "outcome"),
    [
        ("blocked", "Blocked by reputation list", "Keep these blocked", "blocked_inbound"),
        ("allowed", "Reputation-listed address let through", "only detected, not blocked", None),
    ],
)
def test_a_reputation_hit_is_named_by_what_happened(
    action: str, label: str, advice: str, outcome: str | None
) -> None:
    analysis = run([ips_row(1, inner_alert_action=action)])
    (group,) = analysis.threats.groups
    assert group.category_label == label
    assert advice in group.remediation
    assert group.outcome == (outcome or "detected_inbound")
    if action == "allowed":
        assert "Keep these blocked" not in group.remediation
        assert group.remediation.startswith(OUTCOMES[Outcome.DETECTED_INBOUND])
    (source,) = analysis.threats.top_sources
    assert source.categories == (label,)


def test_a_legacy_beacon_from_inside_is_judged_like_a_v2_one() -> None:
    row = ips_row(
        1,
        src_ip="192.168.1.40",
        dest_ip="203.0.113.99",
        inner_alert_action="allowed",
        inner_alert_signature="ET MALWARE Win32/Agent Beacon",
        inner_alert_severity=3,
    )
    (entry,) = _entries([row])
    assert entry.threat is not None
    assert entry.threat.direction == "outbound"
    assert entry.threat.severity == 1
    (group,) = run([row]).threats.groups
    assert group.severity.value == "severe"


def test_a_legacy_attempt_on_the_wan_address_is_inbound() -> None:
    (entry,) = _entries([ips_row(1, inner_alert_severity=1)])
    assert entry.threat is not None
    assert entry.threat.direction == "inbound"
    assert entry.threat.severity == 2  # blocked from outside: never an emergency
    (unknown,) = _entries([ips_row(2, src_ip="10.0.0.5", dest_ip="10.0.0.6")])
    assert unknown.threat is not None
    assert unknown.threat.direction is None


def test_every_format_shows_the_outcome_words() -> None:
    analysis = run([ips_row(1, inner_alert_action="allowed")])
    report = build_report(
        analysis,
        gateway="UCG Ultra",
        site="default",
        period_start=NOW,
        period_end=NOW,
        generated_at=NOW,
    )
    for text in (render_markdown(report), render_text(report), render_html(report)):
        assert "Reputation-listed address let through" in text
        assert "Blocked by reputation list" not in text
    (group,) = report_to_dict(report)["threats"]["groups"]
    assert group["outcome"] == "detected_inbound"
