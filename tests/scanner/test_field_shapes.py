"""Rows shaped like field captures, served by the simulator, through the real client and engine.

The ``field`` scenario serves rows from ``tests/corpus`` beside generated traffic: v2 threat
rows without signature or action roles, key variants, legacy IPS rows that were let through,
documentation addresses, rows a reader cannot place, and gateways that report WAN quality
oddly. Each test reads them over HTTPS the way a scan does and checks what a user would see.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.unifi_scanner.scanner.auth import LocalAccount
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.models import SkippedRows, Source
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.report import build_report
from custom_components.unifi_scanner.scanner.threat_catalogue import Outcome
from custom_components.unifi_scanner.scanner.wording import TITLE_VALUE_LENGTH
from tests.corpus import corpus_row
from tests.simulator import GatewaySimulator, Mode

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis, ThreatGroup
    from custom_components.unifi_scanner.scanner.models import FetchResult
    from custom_components.unifi_scanner.scanner.report import Report

pytestmark = pytest.mark.usefixtures("socket_enabled")

CATALOGUE = load_catalogue()
OUTCOMES = CATALOGUE.threat_categories.outcomes
DOCUMENTATION = re.compile(r"^(?:192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|198\.1[89]\.)")
BAD_PLURALS = re.compile(r"\b1 (?:times|alerts|source addresses|devices|connections)\b")


async def _scan(mode: Mode, site: str = "default") -> tuple[FetchResult, Analysis, Report]:
    now = datetime.now(UTC)
    async with (
        GatewaySimulator(scenario="field", mode=mode) as sim,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        client = UnifiClient(
            session=session,
            host=sim.host,
            port=sim.port,
            site=site,
            credentials=LocalAccount(sim.username, sim.password),
        )
        fetched = await client.fetch_since(now - timedelta(hours=24), until=now)
    analysis = analyze(
        fetched.entries,
        catalogue=CATALOGUE,
        devices=fetched.devices,
        health=fetched.health,
        now=now,
    )
    report = build_report(
        analysis,
        gateway="Field Office",
        site=site,
        period_start=fetched.since,
        period_end=fetched.until,
        generated_at=now,
        skipped=fetched.skipped,
    )
    return fetched, analysis, report


def _group(analysis: Analysis, signature: str) -> ThreatGroup:
    (group,) = [group for group in analysis.threats.groups if group.signature == signature]
    return group


def _finding(analysis: Analysis, title_start: str) -> Any:
    (finding,) = [f for f in analysis.findings if f.title.startswith(title_start)]
    return finding


def _outputs(report: Report) -> list[str]:
    return [render_markdown(report), render_text(report, width=400), render_html(report)]


async def test_unreadable_rows_are_counted_shown_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.unifi_scanner.scanner.client")
    fetched, _, report = await _scan(Mode.UNIFI_OS)
    assert dict(fetched.skipped) == {
        Source.EVENT: SkippedRows(unreadable=2),
        Source.SYSTEM_LOG: SkippedRows(unreadable=2, conflicting=1),
    }
    (line,) = [r.getMessage() for r in caplog.records if "could not be used" in r.getMessage()]
    assert "system_log 2 without a usable id or time, 1 with a repeated id" in line
    for output in _outputs(report):
        assert "5 rows could not be read" in output
    assert report_to_dict(report)["skipped_rows"]["system_log"] == {
        "unreadable": 2,
        "conflicting": 1,
    }


async def test_key_variants_match_through_their_event() -> None:
    _, analysis, report = await _scan(Mode.NETWORK10)
    variants = {(variant.key, variant.event) for variant in analysis.key_variants}
    assert {
        ("ADMIN_LOGIN_FAILED_SSH", "ADMIN_LOGIN_FAILED"),
        ("ROGUE_AP_DETECTED_SPOOFED_SSID", "ROGUE_AP_DETECTED"),
        ("DEVICE_DISCONNECTED_AP", "DEVICE_DISCONNECTED"),
        ("THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT", "THREAT_BLOCKED"),
        ("THREAT_BLOCKED_V3", "THREAT_BLOCKED"),
    } <= variants
    rules = {finding.rule_id for finding in analysis.findings}
    assert {"admin_login_failed", "rogue_ap_detected"} <= rules
    for key in ("ADMIN_LOGIN_FAILED_SSH", "THREAT_BLOCKED_V3"):
        assert key not in analysis.unknown_keys
    # Keys whose event is unknown too stay unknown, and are still counted.
    assert "WIFI_EXPERIENCE_DEGRADED_CHANNEL_UTILIZATION" in analysis.unknown_keys
    assert "IPS_SIGNATURE_UPDATE_FAILED" in analysis.unknown_keys
    dumped = {item["key"] for item in report_to_dict(report)["key_variants"]}
    assert "ADMIN_LOGIN_FAILED_SSH" in dumped
    assert dict(report.skipped) == {Source.SYSTEM_LOG: SkippedRows(unreadable=2, conflicting=1)}


async def test_v2_threat_rows_read_as_what_happened() -> None:
    _, analysis, report = await _scan(Mode.NETWORK10)
    attempts = _group(analysis, "Threat blocked known destination client")
    assert attempts.count == 2
    assert len(attempts.sources) == 2  # two outside addresses, one group
    assert attempts.outcome == Outcome.BLOCKED_INBOUND
    assert attempts.severity.value == "medium"  # the console said HIGH and VERY_HIGH
    assert attempts.category_label == "Intrusion attempt"
    assert attempts.remediation.startswith(OUTCOMES[Outcome.BLOCKED_INBOUND])
    assert not any(":" in source and source.count(":") == 5 for source in attempts.sources)

    beacon = _group(analysis, "Threat Detected")
    assert beacon.outcome == Outcome.DETECTED_OUTBOUND
    assert beacon.severity.value == "severe"
    finding = _finding(analysis, "High-severity threat: Threat Detected")
    assert "Disconnect that device now" in finding.remediation[0]

    unmapped = [g for g in analysis.threats.groups if g.category == "SECURITY_SOMETHING_NEW"]
    assert [group.category_label for group in unmapped] == ["Other security event"]
    for output in _outputs(report):
        assert "SECURITY_SOMETHING_NEW" not in output
        assert "SECURITY\\_SOMETHING\\_NEW" not in output


async def test_a_title_quotes_only_part_of_a_long_sentence() -> None:
    _, analysis, report = await _scan(Mode.NETWORK10)
    finding = _finding(analysis, "High-severity threat: Potentially unwanted traffic")
    assert finding.title.endswith("…")
    assert len(finding.title) <= len("High-severity threat: ") + TITLE_VALUE_LENGTH
    assert "credential phishing campaign was detected" in finding.explanation
    assert finding.title in render_text(report, width=400)


async def test_legacy_rows_let_through_and_documentation_addresses() -> None:
    _, analysis, report = await _scan(Mode.CLASSIC)
    spamhaus = _group(analysis, "ET DROP Spamhaus DROP Listed Traffic Inbound group 12")
    assert spamhaus.category_label == "Reputation-listed address let through"
    assert "Keep these blocked" not in spamhaus.remediation
    assert spamhaus.outcome == Outcome.DETECTED_INBOUND
    scan = _group(analysis, "ET SCAN NMAP -sS window 1024")
    assert scan.outcome == Outcome.BLOCKED_INBOUND
    assert scan.severity.value in {"medium", "low"}
    outside = [s for s in analysis.threats.top_sources if DOCUMENTATION.match(s.ip)]
    assert outside
    assert not any(source.internal for source in outside)
    for output in _outputs(report):
        assert "192.0.2.14 (internal)" not in output.replace("\\", "")
    assert dict(report.skipped) == {Source.EVENT: SkippedRows(unreadable=2)}


@pytest.mark.parametrize("mode", [Mode.UNIFI_OS, Mode.NETWORK10, Mode.CLASSIC])
async def test_no_report_says_one_of_many(mode: Mode) -> None:
    _, _, report = await _scan(mode)
    for output in _outputs(report):
        assert BAD_PLURALS.search(output) is None


async def test_odd_wan_reports_reach_the_findings() -> None:
    fetched, analysis, _ = await _scan(Mode.UNIFI_OS, site="d3p0tx7k")
    assert "wan_monitors_failing" in {finding.rule_id for finding in analysis.findings}
    fetched, analysis, _ = await _scan(Mode.UNIFI_OS, site="k1osk9qz")
    (router,) = [device for device in fetched.devices if device.model == "UDR"]
    # The gateway reports no WAN latency of its own: the link takes its last speed test's.
    served = corpus_row("devices:gateway_speedtest_latency_only").row["speedtest-status"]
    reported_latency = float(served["latency"])  # a field of the row, not a time we measure
    assert router.wan[0].latency_ms == reported_latency
