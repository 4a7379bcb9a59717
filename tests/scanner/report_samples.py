"""Hand-built analyses and reports for the report and renderer tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.unifi_scanner.scanner.analysis import (
    Analysis,
    DeviceHealth,
    HealthSummary,
    ThreatGroup,
    ThreatSource,
    ThreatSummary,
)
from custom_components.unifi_scanner.scanner.models import (
    Category,
    Finding,
    HealthSubsystem,
    Severity,
)
from custom_components.unifi_scanner.scanner.report import Report, build_report

START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
END = START + timedelta(hours=24)
GENERATED = END + timedelta(seconds=5)


def finding(
    rule_id: str = "wan_down",
    *,
    severity: Severity = Severity.MEDIUM,
    category: Category = Category.CONNECTIVITY,
    title: str = "WAN connection lost",
    explanation: str = "The internet uplink went down.",
    remediation: tuple[str, ...] = ("Check the modem.", "Call the ISP."),
    subject_name: str | None = "Gateway",
    subject_mac: str | None = "aa:bb:cc:00:00:01",
    subject_ip: str | None = None,
    count: int = 1,
    offset_minutes: int = 0,
) -> Finding:
    """One finding, seen ``offset_minutes`` after the period start."""
    seen = START + timedelta(minutes=offset_minutes)
    return Finding(
        rule_id=rule_id,
        severity=severity,
        category=category,
        title=title,
        explanation=explanation,
        remediation=remediation,
        subject_name=subject_name,
        subject_mac=subject_mac,
        subject_ip=subject_ip,
        count=count,
        first_seen=seen,
        last_seen=seen + timedelta(minutes=5),
        keys=("EVT_GW_WANTransition",),
    )


def threat_group(
    signature: str = "ET SCAN Nmap Scripting Engine User-Agent Detected",
    *,
    blocked: int = 3,
    detected: int = 1,
    sources: tuple[str, ...] = ("203.0.113.9",),
    cybersecure: bool = False,
) -> ThreatGroup:
    """One IPS signature group."""
    return ThreatGroup(
        signature=signature,
        signature_id=2009358,
        category="SCAN",
        category_label="Reconnaissance",
        severity=Severity.MEDIUM,
        count=blocked + detected,
        blocked=blocked,
        detected=detected,
        sources=sources,
        source_count=len(sources),
        cybersecure=cybersecure,
        remediation="Someone is mapping your network; keep exposed services to a minimum.",
        first_seen=START,
        last_seen=END,
    )


def threats(*groups: ThreatGroup, sources: tuple[ThreatSource, ...] = ()) -> ThreatSummary:
    """Summarise ``groups`` with totals that add up."""
    blocked = sum(group.blocked for group in groups)
    detected = sum(group.detected for group in groups)
    return ThreatSummary(
        total=blocked + detected,
        blocked=blocked,
        detected=detected,
        cybersecure=sum(group.count for group in groups if group.cybersecure),
        groups=groups,
        top_sources=sources,
    )


def device(
    name: str = "Office AP", *, status: str = "healthy", issues: tuple[str, ...] = ()
) -> DeviceHealth:
    """One device health verdict."""
    return DeviceHealth(
        mac="aa:bb:cc:00:00:02", name=name, model="U6-Lite", status=status, issues=issues
    )


def analysis(
    findings: tuple[Finding, ...] = (),
    *,
    threat_summary: ThreatSummary | None = None,
    devices: tuple[DeviceHealth, ...] = (),
    subsystems: tuple[HealthSubsystem, ...] = (),
    unknown_keys: dict[str, int] | None = None,
    entry_count: int = 42,
) -> Analysis:
    """Build an analysis from the given parts (empty by default)."""
    return Analysis(
        findings=findings,
        threats=threat_summary or ThreatSummary(),
        health=HealthSummary(devices=devices, subsystems=subsystems),
        unknown_keys=unknown_keys or {},
        entry_count=entry_count,
    )


def report(
    result: Analysis | None = None, *, gateway: str = "Home UDM", site: str = "default"
) -> Report:
    """Build a report over the sample period."""
    return build_report(
        result or analysis(),
        gateway=gateway,
        site=site,
        period_start=START,
        period_end=END,
        generated_at=GENERATED,
    )


def full_report() -> Report:
    """Build a report with every section filled: all severities, threats, health, unknown keys."""
    return report(
        analysis(
            (
                finding(
                    "rogue_dhcp",
                    severity=Severity.SEVERE,
                    category=Category.SECURITY,
                    title="Rogue DHCP server detected",
                    explanation="A device is handing out addresses.",
                    remediation=("Find the device on port 7.", "Enable DHCP guarding."),
                    offset_minutes=30,
                ),
                finding(offset_minutes=10, count=3),
                finding(
                    "client_connected",
                    severity=Severity.LOW,
                    category=Category.WIRELESS,
                    title="Client connected",
                    explanation="",
                    remediation=(),
                    subject_name="Kitchen tablet",
                    count=14,
                ),
                finding(
                    "admin_login",
                    severity=Severity.LOW,
                    category=Category.SECURITY,
                    title="Administrator logged in",
                    remediation=(),
                    subject_name="admin",
                    offset_minutes=5,
                ),
            ),
            threat_summary=threats(
                threat_group(),
                threat_group("ET PRO MALWARE Something", blocked=2, detected=0, cybersecure=True),
                sources=(
                    ThreatSource(
                        ip="203.0.113.9", count=12, internal=False, categories=("Reconnaissance",)
                    ),
                    ThreatSource(
                        ip="192.168.1.23", count=10, internal=True, categories=("Malware Activity",)
                    ),
                ),
            ),
            devices=(
                device(),
                device(
                    "Garage switch",
                    status="critical",
                    issues=("Temperature 93 °C (critical above 90 °C)",),
                ),
            ),
            subsystems=(HealthSubsystem(subsystem="wan", status="error"),),
            unknown_keys={"EVT_NEW_Thing": 4, "NEW_V2_KEY": 1},
        )
    )
