"""v2 threat rows as a Network 10.3 console sends them: no SIGNATURE, ACTION or DST_IP role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.normalize import normalize_system_log
from custom_components.unifi_scanner.scanner.render import report_to_dict
from custom_components.unifi_scanner.scanner.report import build_report

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis
    from custom_components.unifi_scanner.scanner.models import LogEntry

CATALOGUE = load_catalogue()
NOW = datetime(2025, 10, 9, 10, tzinfo=UTC)
BASE_MS = 1_760_000_000_000


def blocked_attempt(number: int, **overrides: Any) -> dict[str, Any]:
    """One captured-shape row; ``number`` picks the outside address and the id."""
    source = f"198.51.100.{number % 250 + 1}" if number < 250 else f"203.0.113.{number % 250 + 1}"
    row: dict[str, Any] = {
        "id": f"{number:024x}",
        "key": "THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT",
        "event": "THREAT_BLOCKED",
        "category": "SECURITY",
        "subcategory": "SECURITY_INTRUSION_PREVENTION",
        "type": "THREAT_DETECTION_AND_PREVENTION",
        "severity": "HIGH",
        "message_raw": (
            "A network intrusion attempt from {SRC_IP} to {DST_CLIENT} has been detected and "
            "blocked."
        ),
        "parameters": {
            "SRC_IP": {"id": source, "name": source},
            "DST_CLIENT": {"id": "bc:24:11:aa:bb:cc", "name": "<internal device>"},
            "DEVICE": {"id": "d8:b3:70:00:00:01", "name": "UCG Ultra"},
        },
        "timestamp": BASE_MS + number * 1000,
    }
    return row | overrides


def entries(rows: list[dict[str, Any]]) -> list[LogEntry]:
    parsed = [normalize_system_log(row) for row in rows]
    return [entry for entry in parsed if entry is not None]


def run(rows: list[dict[str, Any]]) -> Analysis:
    return analyze(
        entries(rows), catalogue=CATALOGUE, devices=[], health=[], thresholds=Thresholds(), now=NOW
    )


def test_a_client_role_id_is_a_mac_never_an_address() -> None:
    (entry,) = entries([blocked_attempt(1)])
    assert entry.threat is not None
    assert entry.threat.src_ip == "198.51.100.2"
    assert entry.threat.dest_ip is None  # not "bc:24:11:aa:bb:cc"
    assert entry.client_mac == "bc:24:11:aa:bb:cc"
    assert entry.client_name == "<internal device>"
    assert entry.device_name == "UCG Ultra"


def test_a_source_client_role_is_not_taken_for_an_address() -> None:
    parameters = {"SRC_CLIENT": {"id": "bc:24:11:aa:bb:cc", "name": "Laptop"}}
    (entry,) = entries([blocked_attempt(1, parameters=parameters)])
    assert entry.threat is not None
    assert entry.threat.src_ip is None
    with_ip = {"SRC_CLIENT": {"id": "bc:24:11:aa:bb:cc", "ip": "192.168.1.20"}}
    (entry,) = entries([blocked_attempt(2, parameters=with_ip)])
    assert entry.threat is not None
    assert entry.threat.src_ip == "192.168.1.20"


def test_a_hundred_attempts_from_a_hundred_addresses_are_one_group() -> None:
    analysis = run([blocked_attempt(number) for number in range(100)])
    (group,) = analysis.threats.groups
    assert group.count == 100
    assert group.blocked == 100
    assert "198.51.100" not in group.signature  # the sentence quoting an address is not a name
    assert group.signature == "Threat blocked known destination client"
    threat_findings = [f for f in analysis.findings if f.rule_id.startswith("threat_")]
    assert len(threat_findings) == 1
    assert "from 100 source addresses" in threat_findings[0].explanation


def test_the_title_names_the_group_when_the_console_sends_one() -> None:
    rows = [blocked_attempt(number, title_raw="Threat Blocked") for number in range(3)]
    (group,) = run(rows).threats.groups
    assert group.signature == "Threat Blocked"
    templated = [blocked_attempt(number, title_raw="Blocked {SRC_IP}") for number in range(3)]
    (group,) = run(templated).threats.groups
    assert group.signature == "Threat blocked known destination client"


def test_console_enums_are_shown_in_words_and_kept_raw_in_json_only() -> None:
    analysis = run([blocked_attempt(1)])
    (group,) = analysis.threats.groups
    assert group.category_label == "Intrusion attempt"
    unknown = run([blocked_attempt(1, subcategory="SECURITY_BRAND_NEW", type=None)])
    (group,) = unknown.threats.groups
    assert group.category_label == "Other security event"
    report = build_report(
        unknown,
        gateway="UCG Ultra",
        site="default",
        period_start=NOW,
        period_end=NOW,
        generated_at=NOW,
    )
    (dumped,) = report_to_dict(report)["threats"]["groups"]
    assert dumped["category"] == "SECURITY_BRAND_NEW"
    assert dumped["category_label"] == "Other security event"


def _severity_of(**overrides: Any) -> str:
    analysis = run([blocked_attempt(1, **overrides)])
    (group,) = analysis.threats.groups
    return group.severity.value


def test_a_blocked_attempt_from_outside_is_worth_knowing_not_an_emergency() -> None:
    assert _severity_of() == "medium"  # the console said HIGH
    assert _severity_of(severity="LOW") == "low"


def test_outbound_traffic_that_was_only_detected_is_an_emergency() -> None:
    beacon = {
        "key": "THREAT_DETECTED_KNOWN_SOURCE_CLIENT",
        "event": "THREAT_DETECTED",
        "severity": "MEDIUM",
        "parameters": {
            "SRC_CLIENT": {"id": "bc:24:11:aa:bb:cc", "name": "Old laptop", "ip": "192.168.1.23"},
            "DST_IP": {"id": "203.0.113.66", "name": "203.0.113.66"},
        },
    }
    assert _severity_of(**beacon) == "severe"
    blocked_beacon = beacon | {"key": "THREAT_BLOCKED_KNOWN_SOURCE_CLIENT"}
    assert _severity_of(**blocked_beacon) == "medium"  # as the console rated it


def test_without_a_direction_the_console_decides() -> None:
    inside_out_unknown = {"parameters": {"SRC_IP": {"id": "192.168.1.5"}}}
    assert _severity_of(**inside_out_unknown) == "severe"
