"""Device and subsystem health at collection time: one verdict per device, findings for issues.

Pure and synchronous. Every threshold comparison is strict (``>``; availability ``<``), so a
value exactly at a threshold does not alert. A device that is offline reports only that: its
last statistics are stale. The words of every issue come from the rule catalogue.

``stat/health`` subsystems: ``wan`` and ``www`` (the internet) and ``vpn`` raise findings when
not ``ok``. ``lan`` and ``wlan`` deliberately do not: their status only summarises switches and
access points that are offline or pending, and each of those is its own device finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .analysis import DeviceHealth, HealthSummary
from .catalogue import EngineRule
from .models import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from .catalogue import Rule, RuleCatalogue
    from .models import Device, HealthSubsystem, WanLink

# ``stat/device`` state codes (UNIFI_API.md section 4.6).
STATE_OFFLINE = 0
STATE_HEARTBEAT_MISSED = 6
STATE_ADOPTION_FAILED = 10
STATE_ISOLATED = 11

_STATE_RULES = {
    STATE_HEARTBEAT_MISSED: EngineRule.HEARTBEAT_MISSED,
    STATE_ADOPTION_FAILED: EngineRule.ADOPTION_FAILED,
    STATE_ISOLATED: EngineRule.DEVICE_ISOLATED,
}
# A device's WAN finding that makes the subsystem's like one redundant.
_WAN_QUALITY = {
    EngineRule.WAN_LATENCY_HIGH: EngineRule.WAN_LATENCY_HIGH,
    EngineRule.WAN_MONITOR_LATENCY_HIGH: EngineRule.WAN_LATENCY_HIGH,
    EngineRule.WAN_AVAILABILITY_LOW: EngineRule.WAN_AVAILABILITY_LOW,
    EngineRule.WAN_MONITOR_AVAILABILITY_LOW: EngineRule.WAN_AVAILABILITY_LOW,
    EngineRule.WAN_MONITORS_FAILING: EngineRule.WAN_AVAILABILITY_LOW,
}
# Subsystem statuses that say nothing is wrong (``unknown``: nothing of that kind is set up).
_QUIET = frozenset({"ok", "unknown", ""})
# Subsystems of ``stat/health`` that describe the internet connection.
_INTERNET_SUBSYSTEMS = ("wan", "www")


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Alert thresholds; defaults are the predecessor's (percent, °C, ms)."""

    temperature_warning: float = 80
    temperature_critical: float = 90
    cpu_warning: float = 80
    cpu_critical: float = 95
    memory_warning: float = 85
    memory_critical: float = 95
    storage_warning: float = 85
    storage_critical: float = 95
    poe_warning: float = 90
    wan_latency_warning_ms: float = 100
    wan_availability_warning: float = 99


def number(value: float) -> str:
    """Format a measurement for text: at most one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")


@dataclass(slots=True)
class _Issue:
    rule: Rule
    fields: dict[str, str]


def assess_health(
    devices: Sequence[Device],
    subsystems: Sequence[HealthSubsystem],
    *,
    catalogue: RuleCatalogue,
    thresholds: Thresholds,
    now: datetime,
) -> tuple[HealthSummary, list[Finding]]:
    """Judge every device and the internet subsystems; return the summary and its findings."""
    verdicts: list[DeviceHealth] = []
    findings: list[Finding] = []
    wan_rules_seen: set[str] = set()
    for device in devices:
        issues = list(_device_issues(device, catalogue, thresholds))
        device_findings = [_finding(issue, device, now) for issue in issues]
        findings.extend(device_findings)
        wan_rules_seen.update(
            _WAN_QUALITY[EngineRule(finding.rule_id)]
            for finding in device_findings
            if finding.rule_id in _WAN_QUALITY
        )
        verdicts.append(
            DeviceHealth(
                mac=device.mac,
                name=device.name,
                model=device.model,
                status=_status(device, device_findings),
                issues=tuple(finding.title for finding in device_findings),
            )
        )
    findings.extend(
        _finding(issue, None, now)
        for issue in _subsystem_issues(subsystems, catalogue, thresholds, wan_rules_seen)
    )
    return HealthSummary(devices=tuple(verdicts), subsystems=tuple(subsystems)), findings


def _status(device: Device, findings: list[Finding]) -> str:
    if device.state == STATE_OFFLINE:
        return "offline"
    severities = {finding.severity for finding in findings}
    if Severity.SEVERE in severities:
        return "critical"
    if Severity.MEDIUM in severities:
        return "warning"
    return "healthy"


def _device_issues(
    device: Device, catalogue: RuleCatalogue, thresholds: Thresholds
) -> Iterable[_Issue]:
    get = catalogue.get
    base = {"model": device.model or "", "version": device.version or ""}
    if device.raw.get("disabled") is True:
        return
    if device.state == STATE_OFFLINE:
        yield _Issue(get(EngineRule.DEVICE_OFFLINE), base)
        return
    state_rule = _STATE_RULES.get(device.state) if device.state is not None else None
    if state_rule is not None:
        yield _Issue(get(state_rule), base)
    if device.upgradable:
        yield _Issue(
            get(EngineRule.FIRMWARE_UPGRADABLE), base | {"upgrade_to": device.upgrade_to or ""}
        )

    yield from _load_issues(device, catalogue, thresholds, base)
    volumes = [(v.used * 100 / v.size, v.name) for v in device.storage if v.size > 0]
    if volumes:
        fill, volume = max(volumes)
        yield from _metric(
            catalogue,
            fill,
            thresholds.storage_warning,
            thresholds.storage_critical,
            EngineRule.STORAGE_HIGH,
            EngineRule.STORAGE_CRITICAL,
            base | {"volume": volume},
        )
    if device.poe_used_w is not None and device.poe_budget_w:
        share = device.poe_used_w * 100 / device.poe_budget_w
        if share > thresholds.poe_warning:
            yield _Issue(
                get(EngineRule.POE_BUDGET_HIGH),
                base | {"value": number(share), "threshold": number(thresholds.poe_warning)},
            )
    for link in device.wan:
        fields = base | {"link": link.name}
        if link.up is False:
            yield _Issue(get(EngineRule.WAN_LINK_DOWN), fields)
            continue
        if link.monitors:
            yield from _monitor_quality(catalogue, link, thresholds, fields)
        else:
            yield from _wan_quality(
                catalogue, link.latency_ms, link.availability, thresholds, fields
            )


def _load_issues(
    device: Device, catalogue: RuleCatalogue, thresholds: Thresholds, base: dict[str, str]
) -> Iterable[_Issue]:
    """Heat, CPU and memory: each at most one issue, critical before warning."""
    if device.overheating:
        yield _Issue(catalogue.get(EngineRule.OVERHEATING), base)
    if device.temperatures:
        hottest = max(device.temperatures, key=lambda sensor: sensor.value)
        yield from _metric(
            catalogue,
            hottest.value,
            thresholds.temperature_warning,
            thresholds.temperature_critical,
            EngineRule.TEMPERATURE_HIGH,
            EngineRule.TEMPERATURE_CRITICAL,
            base | {"sensor": hottest.name},
        )
    if device.cpu is not None:
        yield from _metric(
            catalogue,
            device.cpu,
            thresholds.cpu_warning,
            thresholds.cpu_critical,
            EngineRule.CPU_HIGH,
            EngineRule.CPU_CRITICAL,
            base,
        )
    if device.mem is not None:
        yield from _metric(
            catalogue,
            device.mem,
            thresholds.memory_warning,
            thresholds.memory_critical,
            EngineRule.MEMORY_HIGH,
            EngineRule.MEMORY_CRITICAL,
            base,
        )


def _metric(
    catalogue: RuleCatalogue,
    value: float,
    warning: float,
    critical: float,
    warning_rule: EngineRule,
    critical_rule: EngineRule,
    fields: dict[str, str],
) -> Iterable[_Issue]:
    """At most one issue per metric: critical wins over warning; both strictly above."""
    if value > critical:
        yield _Issue(
            catalogue.get(critical_rule),
            fields | {"value": number(value), "threshold": number(critical)},
        )
    elif value > warning:
        yield _Issue(
            catalogue.get(warning_rule),
            fields | {"value": number(value), "threshold": number(warning)},
        )


def _wan_quality(
    catalogue: RuleCatalogue,
    latency: float | None,
    availability: float | None,
    thresholds: Thresholds,
    fields: dict[str, str],
) -> Iterable[_Issue]:
    if latency is not None and latency > thresholds.wan_latency_warning_ms:
        yield _Issue(
            catalogue.get(EngineRule.WAN_LATENCY_HIGH),
            fields
            | {"value": number(latency), "threshold": number(thresholds.wan_latency_warning_ms)},
        )
    if availability is not None and availability < thresholds.wan_availability_warning:
        yield _Issue(
            catalogue.get(EngineRule.WAN_AVAILABILITY_LOW),
            fields
            | {
                "value": number(availability),
                "threshold": number(thresholds.wan_availability_warning),
            },
        )


def _monitor_quality(
    catalogue: RuleCatalogue, link: WanLink, thresholds: Thresholds, fields: dict[str, str]
) -> Iterable[_Issue]:
    """Judge a link by its per-target monitors; the findings name the targets."""
    measured = [monitor for monitor in link.monitors if monitor.availability is not None]
    targets = ", ".join(monitor.target for monitor in link.monitors)
    fields = fields | {"targets": targets}
    if measured and all(monitor.availability == 0 for monitor in measured):
        yield _Issue(catalogue.get(EngineRule.WAN_MONITORS_FAILING), fields)
        return
    latency, availability = link.latency_ms, link.availability
    if availability is not None and availability < thresholds.wan_availability_warning:
        worst = min(measured, key=lambda monitor: monitor.availability or 0.0)
        yield _Issue(
            catalogue.get(EngineRule.WAN_MONITOR_AVAILABILITY_LOW),
            fields
            | {
                "target": worst.target,
                "value": number(availability),
                "threshold": number(thresholds.wan_availability_warning),
            },
        )
    if latency is not None and latency > thresholds.wan_latency_warning_ms:
        yield _Issue(
            catalogue.get(EngineRule.WAN_MONITOR_LATENCY_HIGH),
            fields
            | {"value": number(latency), "threshold": number(thresholds.wan_latency_warning_ms)},
        )


def _vpn_issues(subsystem: HealthSubsystem, catalogue: RuleCatalogue) -> Iterable[_Issue]:
    """Report a VPN that is not ``ok``: the tunnels down when known, else the bare status."""
    status = subsystem.status.lower()
    if status in _QUIET:
        return
    fields = {"link": "VPN", "status": status}
    if subsystem.tunnels_inactive:
        yield _Issue(
            catalogue.get(EngineRule.VPN_TUNNEL_DOWN),
            fields
            | {
                "inactive": str(subsystem.tunnels_inactive),
                "active": str(subsystem.tunnels_active or 0),
            },
        )
    else:
        yield _Issue(catalogue.get(EngineRule.VPN_ERROR), fields)


def _subsystem_issues(
    subsystems: Sequence[HealthSubsystem],
    catalogue: RuleCatalogue,
    thresholds: Thresholds,
    already: set[str],
) -> Iterable[_Issue]:
    """Internet status from ``stat/health``; quality only when no device already reported it."""
    for subsystem in subsystems:
        name = subsystem.subsystem.lower()
        if name == "vpn":
            yield from _vpn_issues(subsystem, catalogue)
            continue
        if name not in _INTERNET_SUBSYSTEMS:
            continue
        status = subsystem.status.lower()
        gateway = subsystem.raw.get("gw_name")
        fields = {
            "link": name.upper(),
            "status": status,
            "subject": gateway if isinstance(gateway, str) and gateway else "",
        }
        if status == "error":
            yield _Issue(catalogue.get(EngineRule.INTERNET_ERROR), fields)
        elif status == "warning":
            yield _Issue(catalogue.get(EngineRule.INTERNET_WARNING), fields)
        for issue in _wan_quality(
            catalogue, subsystem.latency_ms, subsystem.availability, thresholds, fields
        ):
            if issue.rule.id not in already:
                already.add(issue.rule.id)
                yield issue


def _finding(issue: _Issue, device: Device | None, now: datetime) -> Finding:
    fields = issue.fields
    name: str | None = None
    mac: str | None = None
    ip: str | None = None
    if device is not None:
        name, mac = device.name, device.mac
        raw_ip = device.raw.get("ip")
        ip = raw_ip if isinstance(raw_ip, str) and raw_ip else None
        fields = fields | {
            "subject": device.name or device.mac,
            "subject_mac": device.mac,
            "subject_ip": ip or "",
        }
    elif fields.get("subject"):
        name = fields["subject"]
    return issue.rule.finding(
        fields | {"count": "1"},
        subject=(name, mac, ip),
        count=1,
        first_seen=now,
        last_seen=now,
    )
