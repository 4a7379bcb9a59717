"""IPS analysis from rows shaped like real `stat/ips/event` captures (flat `inner_alert_*`)."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.addresses import by_ipaddress, is_internal
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.models import LogEntry, Severity, Source, Threat
from custom_components.unifi_scanner.scanner.normalize import normalize_ips, normalize_system_log
from custom_components.unifi_scanner.scanner.threats import (
    ThreatTally,
    is_cybersecure,
    summarize_threats,
    threat_severity,
)

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis

CATALOGUE = load_catalogue()
BASE_S = 1_735_689_600  # 2025-01-01T00:00:00Z, IPS rows carry seconds
NOW = datetime(2025, 1, 2, tzinfo=UTC)
_ids = itertools.count(1)


def ips_row(**overrides: Any) -> LogEntry:
    """Normalise a flat IPS row as the legacy endpoint returns it."""
    row: dict[str, Any] = {
        "_id": f"{next(_ids):024x}",
        "archived": False,
        "timestamp": BASE_S,
        "datetime": "2025-01-01T00:00:00Z",
        "key": "EVT_IPS_IpsAlert",
        "subsystem": "www",
        "event_type": "alert",
        "src_ip": "185.220.101.4",
        "src_port": 51515,
        "dest_ip": "192.168.1.20",
        "dest_port": 22,
        "proto": "TCP",
        "inner_alert_action": "allowed",
        "inner_alert_signature": "ET SCAN Potential SSH Scan",
        "inner_alert_signature_id": 2001219,
        "inner_alert_category": "Attempted Information Leak",
        "inner_alert_severity": 2,
        "catname": ["scan"],
        "srcipCountry": "DE",
        "srcipGeo": [],
        "dstipCountry": False,
    }
    row.update(overrides)
    entry = normalize_ips(row)
    assert entry is not None
    return entry


def run(entries: list[LogEntry]) -> Analysis:
    return analyze(entries, catalogue=CATALOGUE, now=NOW)


def test_flat_row_with_seconds_and_string_numbers() -> None:
    entry = ips_row(
        timestamp=str(BASE_S + 30),
        inner_alert_severity="1",
        inner_alert_signature_id="2810002",
        # Command-and-control traffic goes out: from the infected client to its operator.
        src_ip="192.168.1.20",
        dest_ip="185.220.101.4",
        inner_alert_signature="ETPRO TROJAN Win32/Emotet CnC Activity (POST) M9",
        inner_alert_category="A Network Trojan was Detected",
        catname="emerging-malware",
    )
    analysis = run([entry])
    summary = analysis.threats
    assert summary.total == 1
    (group,) = summary.groups
    assert group.severity is Severity.SEVERE
    assert group.category == "TROJAN"
    assert group.category_label == "Trojan activity"
    assert group.cybersecure
    assert summary.cybersecure == 1
    assert group.first_seen == datetime.fromtimestamp(BASE_S + 30, UTC)
    assert "Isolate the internal device" in group.remediation


def test_grouping_by_signature_with_blocked_and_detected() -> None:
    entries = [
        ips_row(src_ip="185.220.101.4", inner_alert_action="blocked", timestamp=BASE_S),
        ips_row(src_ip="185.220.101.5", inner_alert_action="drop", timestamp=BASE_S + 60),
        ips_row(src_ip="185.220.101.4", inner_alert_severity=1, timestamp=BASE_S + 120),
        ips_row(
            inner_alert_signature="ET INFO Observed DNS Query to .cloud TLD",
            inner_alert_severity=3,
        ),
    ]
    summary = run(entries).threats
    assert (summary.total, summary.blocked, summary.detected) == (4, 2, 2)
    assert not summary.detection_only
    scan, info = summary.groups
    assert scan.signature == "ET SCAN Potential SSH Scan"
    assert (scan.count, scan.blocked, scan.detected) == (3, 2, 1)
    assert scan.severity is Severity.SEVERE  # the worst alert of the group
    assert set(scan.sources) == {"185.220.101.4", "185.220.101.5"}
    assert scan.sources[0] == "185.220.101.4"  # busiest first
    assert scan.last_seen == datetime.fromtimestamp(BASE_S + 120, UTC)
    assert info.severity is Severity.LOW
    assert info.category_label == "Informational"


def test_detection_only_when_nothing_was_blocked() -> None:
    summary = run([ips_row(), ips_row()]).threats
    assert summary.detection_only


def test_unmapped_classtype_is_shown_verbatim() -> None:
    entry = ips_row(
        inner_alert_signature="ET CINS Active Threat Intelligence Poor Reputation IP group 45",
        inner_alert_category="Misc Attack",
    )
    (group,) = run([entry]).threats.groups
    assert group.category_label == "Misc Attack"
    assert group.remediation  # the generic advice


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(1, Severity.SEVERE), (2, Severity.MEDIUM), (3, Severity.LOW), (None, Severity.LOW)],
)
def test_severity_mapping(severity: int | None, expected: Severity) -> None:
    threat = Threat(
        signature="x",
        signature_id=None,
        category="",
        action="allowed",
        blocked=False,
        severity=severity,
        src_ip=None,
        src_port=None,
        dest_ip=None,
        dest_port=None,
        proto=None,
        src_country=None,
    )
    assert threat_severity(threat) is expected
    assert not is_cybersecure(threat)


@pytest.mark.parametrize(
    ("ip", "internal"),
    [
        ("192.168.1.5", True),
        ("10.0.0.1", True),
        ("fd00::1", True),
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("not-an-ip", False),
        ("", False),
        # Documentation and benchmark ranges are public in a report, whatever is_private says.
        ("192.0.2.5", False),
        ("198.51.100.1", False),
        ("203.0.113.4", False),
        ("198.18.0.1", False),
        ("2001:db8::1", False),
        ("100.64.1.1", False),  # carrier-grade NAT belongs to the provider
        ("172.16.0.1", True),
        ("172.32.0.1", False),
        ("169.254.1.1", True),
        ("127.0.0.1", True),
        ("fe80::1", True),
        ("::1", True),
        ("::ffff:192.168.1.1", True),
    ],
)
def test_internal_versus_external(ip: str, internal: bool) -> None:
    assert is_internal(ip) is internal


def test_carrier_grade_nat_is_internal_only_when_the_site_says_so() -> None:
    assert is_internal("100.64.1.1", cgnat_is_internal=True)
    assert not is_internal("8.8.8.8", cgnat_is_internal=True)


def test_top_sources_with_ten_or_more_events() -> None:
    entries = [ips_row(src_ip="45.155.205.66", timestamp=BASE_S + i) for i in range(12)]
    entries += [ips_row(src_ip=f"198.51.100.{i}") for i in range(5)]
    entries.append(ips_row(src_ip="192.168.1.30", dest_ip="203.0.113.1"))
    top = run(entries).threats.top_sources
    assert [(source.ip, source.count, source.internal) for source in top] == [
        ("45.155.205.66", 12, False)
    ]
    assert top[0].categories == ("Reconnaissance (port scan)",)


def test_top_sources_fall_back_to_the_busiest_ten() -> None:
    entries = [ips_row(src_ip=f"198.51.100.{i}") for i in range(15)]
    entries += [ips_row(src_ip="192.168.1.30", timestamp=BASE_S + 1)] * 1
    entries.append(ips_row(src_ip="192.168.1.30", timestamp=BASE_S + 2))
    top = run(entries).threats.top_sources
    assert len(top) == 10
    assert (top[0].ip, top[0].count, top[0].internal) == ("192.168.1.30", 2, True)


def test_severe_and_medium_groups_become_findings() -> None:
    entries = [
        ips_row(inner_alert_severity=1, inner_alert_signature="ET MALWARE Bad Thing"),
        ips_row(inner_alert_severity=2),
        ips_row(inner_alert_severity=3, inner_alert_signature="ET INFO Something"),
    ]
    analysis = run(entries)
    by_rule = {finding.rule_id: finding for finding in analysis.findings}
    assert set(by_rule) == {"threat_severe", "threat_medium"}
    severe = by_rule["threat_severe"]
    assert severe.severity is Severity.SEVERE
    assert "ET MALWARE Bad Thing" in severe.title
    assert severe.subject_ip == "185.220.101.4"
    assert any("antivirus" in step for step in severe.remediation)
    assert analysis.findings[0] is severe


def test_v2_threat_entry_is_analysed() -> None:
    entry = normalize_system_log(
        {
            "id": "650000000000000000000002",
            "key": "THREAT_DETECTED",
            "timestamp": BASE_S * 1000,
            "severity": "HIGH",
            "category": "SECURITY",
            "message": "ET POLICY Suspicious inbound to Oracle SQL port 1521",
            "source": {"ip": "203.0.113.8", "port": 40000},
            "destination": {"ip": "192.168.1.10", "port": 1521},
        }
    )
    assert entry is not None
    analysis = run([entry])
    (group,) = analysis.threats.groups
    assert group.severity is Severity.SEVERE
    assert group.category == "POLICY"
    assert "false positive" in group.remediation
    assert analysis.unknown_keys == {}


def test_summary_without_threats_is_empty() -> None:
    summary, findings = summarize_threats([], catalogue=CATALOGUE)
    assert summary.total == 0
    assert summary.groups == ()
    assert not summary.detection_only
    assert findings == []


def test_entries_without_threat_details_are_ignored() -> None:
    entry = LogEntry(
        source=Source.EVENT,
        id="1",
        key="EVT_IPS_IpsAlert",
        time_ms=int(NOW.timestamp() * 1000),
        message="IPS Alert",
    )
    summary, _ = summarize_threats([entry], catalogue=CATALOGUE)
    assert summary.total == 0


# Octets ipaddress refuses or reads differently: leading zeros, signs, spaces, other digits.
_ODD_OCTETS = ["0", "00", "010", "1", "172", "31", "+1", " 1", "\u0661", "256"]


@given(
    st.one_of(
        st.tuples(*[st.integers(0, 300)] * 4).map(lambda o: ".".join(map(str, o))),
        st.tuples(*[st.sampled_from(_ODD_OCTETS)] * 4).map(".".join),
        st.text(alphabet="0123456789.:abcdef ", max_size=20),
    ),
    st.booleans(),
)
def test_the_quick_ipv4_path_agrees_with_ipaddress(ip: str, cgnat: bool) -> None:
    assert is_internal(ip, cgnat_is_internal=cgnat) == by_ipaddress(ip, cgnat_is_internal=cgnat)


def test_a_group_lists_its_busiest_sources_and_counts_them_all() -> None:
    """40 addresses, some tied: the 20 busiest by count then address, and all 40 counted."""
    counts = {f"203.0.113.{n}": (n % 7) + 1 for n in range(40)}
    rows = [
        ips_row(src_ip=ip, timestamp=BASE_S + n)
        for n, (ip, count) in enumerate(counts.items())
        for _ in range(count)
    ]
    other = ips_row(src_ip="203.0.113.6", inner_alert_signature="ET POLICY Other", timestamp=BASE_S)
    summary, findings = summarize_threats([*reversed(rows), other], catalogue=CATALOGUE)
    (group,) = (group for group in summary.groups if group.signature.startswith("ET SCAN"))
    expected = sorted(counts, key=lambda ip: (-counts[ip], ip))[:20]
    assert group.sources == tuple(expected)
    (finding,) = (item for _, item in findings if item.subject_name == group.signature)
    assert "from 40 source addresses" in finding.explanation
    # The address that matched two signatures is counted once overall, with both labels.
    (source,) = (source for source in summary.top_sources if source.ip == "203.0.113.6")
    assert source.count == counts["203.0.113.6"] + 1
    assert len(source.categories) == 2


def test_many_addresses_share_one_copy_of_their_signature() -> None:
    """A scan from 20 000 addresses: the tally keeps each address, not a signature per address.

    Each row's signature is a string of its own, as a decoder hands them over; the rows are
    freed as they go, as a scan frees its pages. Counted in bytes allocated (not time), so it is
    the same on every machine (strings are made here, not by orjson, whose frees tracemalloc
    does not see): about 95 bytes per address (the address and its counts), where
    keeping every row's copy of the signature cost 162.
    """
    addresses, name = 20_000, "Potential SSH Scan"
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tally = ThreatTally()
        for n in range(addresses):
            signature = f"ET SCAN {name}"  # a string of its own per row
            tally.add(ips_row(src_ip=f"198.51.{n >> 8}.{n & 255}", inner_alert_signature=signature))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / addresses < 128
    summary, _ = tally.summary(catalogue=CATALOGUE)
    (group,) = summary.groups
    assert group.count == addresses
    assert len(group.sources) == 20
