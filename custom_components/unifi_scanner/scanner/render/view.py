"""The view model every renderer reads: the one place gateway strings are cleaned for display.

Building it strips controls and invisible characters, caps lengths, defangs URLs and breaks
template delimiters, so each format only has to add its own escaping on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner import threat_sources
from custom_components.unifi_scanner.scanner.models import Category, Severity
from custom_components.unifi_scanner.scanner.wording import plural

from .labels import (
    ANNOUNCED_AT,
    CATEGORY_LABELS,
    DEVICE_STATUS_LABELS,
    LEN_ISSUE,
    LEN_NAME,
    LEN_STEP,
    LEN_TEXT,
    LEN_TITLE,
    MAX_DEVICES,
    MAX_GROUPS,
    MAX_ISSUES,
    MAX_MUTED,
    MAX_SOURCES,
    MAX_STEPS,
    MAX_UNKNOWN,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    VERSION,
    format_time,
    plain,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, tzinfo

    from custom_components.unifi_scanner.scanner.analysis import (
        DeviceHealth,
        ThreatGroup,
        ThreatSource,
        ThreatSummary,
    )
    from custom_components.unifi_scanner.scanner.models import Finding, HealthSubsystem
    from custom_components.unifi_scanner.scanner.quiet import Mute, MutedFinding
    from custom_components.unifi_scanner.scanner.report import Report


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    """One finding, display-ready."""

    severity: Severity
    severity_label: str
    category: str
    title: str
    subject: str
    explanation: str
    remediation: tuple[str, ...]
    count: int
    first_seen: str
    last_seen: str
    acknowledged: bool = False
    announced: str = ""
    """"announced at 14:02" when the live path announced it already, else empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MutedView:
    """One muted finding, display-ready: what it is, why it is muted and until when."""

    severity_label: str
    title: str
    subject: str
    until: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatGroupView:
    """One IPS signature group, display-ready."""

    signature: str
    category: str
    severity: Severity
    severity_label: str
    count: int
    blocked: int
    detected: int
    sources: str
    """How many source addresses, in words ("1 source", "at least 10000 sources")."""
    cybersecure: bool
    remediation: str
    last_seen: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceView:
    """One top threat source, display-ready."""

    ip: str
    count: int
    internal: bool
    categories: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceView:
    """One unhealthy device, display-ready."""

    name: str
    model: str
    status: str
    issues: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """The whole report, cleaned, capped and sorted for display."""

    gateway: str
    site: str
    period_start: str
    period_end: str
    generated_at: str
    nothing_new: bool
    entry_count: int
    findings: tuple[FindingView, ...]
    severity_counts: tuple[tuple[Severity, str, int], ...]
    category_counts: tuple[tuple[str, int], ...]
    threat_total: int
    threat_blocked: int
    threat_detected: int
    threat_cybersecure: int
    detection_only: bool
    threat_groups: tuple[ThreatGroupView, ...]
    threat_groups_more: int
    sources: tuple[SourceView, ...]
    unranked: str
    """What the top sources leave out after a flood of addresses, or empty."""
    devices_total: int
    device_status_counts: tuple[tuple[str, int], ...]
    unhealthy: tuple[DeviceView, ...]
    unhealthy_more: int
    subsystems: tuple[tuple[str, str], ...]
    unknown_keys: tuple[tuple[str, int], ...]
    unknown_more: int
    version: str
    skipped: tuple[tuple[str, int, int], ...] = ()
    """Per source with any: its label, rows without a usable id or time, conflicting rows."""
    muted: tuple[MutedView, ...] = ()
    mutes_ended: tuple[str, ...] = ()
    """What each mute that ended silenced, and when it ended."""
    ignored_entries: int = 0
    ignored_findings: int = 0

    def at_least(self, severity: Severity) -> tuple[FindingView, ...]:
        """Return the findings of ``severity`` or worse."""
        return tuple(item for item in self.findings if item.severity.rank <= severity.rank)

    def of(self, severity: Severity) -> tuple[FindingView, ...]:
        """Return the findings of exactly ``severity``."""
        return tuple(item for item in self.findings if item.severity is severity)


def _subject(finding: Finding, title: str) -> str:
    """Name (MAC, IP) of what the finding is about; empty when the title already says it all."""
    name = plain(finding.subject_name, LEN_NAME)
    extra = [
        plain(value, 64)
        for value in (finding.subject_mac, finding.subject_ip)
        if value and plain(value, 64) != name
    ]
    if name and extra:
        return f"{name} ({', '.join(extra)})"
    if name and name in title:
        return ""
    return name or ", ".join(extra)


def _muted_view(item: MutedFinding, tz: tzinfo) -> MutedView:
    finding, mute = item.finding, item.mute
    title = plain(finding.title, LEN_TITLE) or plain(finding.rule_id, LEN_NAME)
    return MutedView(
        severity_label=SEVERITY_LABELS[finding.severity],
        title=title,
        subject=_subject(finding, title),
        until="forever" if mute.until is None else f"until {format_time(mute.until, tz)}",
        reason=plain(mute.reason, LEN_NAME),
    )


def _ended_view(mute: Mute, tz: tzinfo) -> str:
    what = plain(mute.rule_id, LEN_NAME)
    if mute.subject:
        what += f" for {plain(mute.subject, LEN_NAME)}"
    ended = format_time(mute.until, tz) if mute.until is not None else ""
    return f"{what} (ended {ended})"


def _finding_view(
    finding: Finding,
    tz: tzinfo,
    *,
    acknowledged: bool = False,
    announced: datetime | None = None,
) -> FindingView:
    title = plain(finding.title, LEN_TITLE) or plain(finding.rule_id, LEN_NAME) or "Finding"
    return FindingView(
        severity=finding.severity,
        severity_label=SEVERITY_LABELS[finding.severity],
        category=CATEGORY_LABELS.get(finding.category, str(finding.category)),
        title=title,
        subject=_subject(finding, title),
        explanation=plain(finding.explanation, LEN_TEXT),
        remediation=tuple(
            step
            for step in (plain(step, LEN_STEP) for step in finding.remediation[:MAX_STEPS])
            if step
        ),
        count=max(finding.count, 1),
        first_seen=format_time(finding.first_seen, tz),
        last_seen=format_time(finding.last_seen, tz),
        acknowledged=acknowledged,
        announced=""
        if announced is None
        else ANNOUNCED_AT.format(time=announced.astimezone(tz).strftime("%H:%M")),
    )


def _unranked(threats: ThreatSummary) -> str:
    if not threats.unranked_alerts:
        return ""
    more = plural(threats.unranked_sources, "more address", "more addresses")
    return (
        f"Not ranked: {plural(threats.unranked_alerts, 'alert')} from "
        f"{'at least ' if threats.unranked_at_least else ''}{more}, past the "
        f"{threat_sources.SOURCES_WATCHED} most recently active addresses."
    )


def _group_view(group: ThreatGroup, tz: tzinfo) -> ThreatGroupView:
    return ThreatGroupView(
        signature=plain(group.signature, LEN_TITLE) or "Unnamed signature",
        category=plain(group.category_label or group.category, LEN_NAME),
        severity=group.severity,
        severity_label=SEVERITY_LABELS[group.severity],
        count=group.count,
        blocked=group.blocked,
        detected=group.detected,
        sources=("at least " if group.sources_at_least else "")
        + plural(group.source_count, "source"),
        cybersecure=group.cybersecure,
        remediation=plain(group.remediation, LEN_TEXT),
        last_seen=format_time(group.last_seen, tz),
    )


def _source_view(source: ThreatSource) -> SourceView:
    return SourceView(
        ip=plain(source.ip, 64),
        count=source.count,
        internal=source.internal,
        categories=plain(", ".join(source.categories[:5]), LEN_NAME),
    )


def _device_view(device: DeviceHealth) -> DeviceView:
    return DeviceView(
        name=plain(device.name, LEN_NAME) or plain(device.mac, 64) or "Unnamed device",
        model=plain(device.model, 40),
        status=DEVICE_STATUS_LABELS.get(device.status, plain(device.status, 20)),
        issues=tuple(plain(issue, LEN_ISSUE) for issue in device.issues[:MAX_ISSUES]),
    )


def _bad_subsystems(subsystems: Iterable[HealthSubsystem]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (plain(item.subsystem, 20), plain(item.status, 20))
        for item in subsystems
        if item.status.lower() not in {"ok", "unknown"}
    )


# The last view built: a report's formats are rendered one after the other.
_LAST_VIEW: list[tuple[Report, tzinfo, View]] = []


def build_view(report: Report, tz: tzinfo) -> View:
    """Clean, cap and sort ``report`` once; every format renders from the result.

    Markdown, HTML and text of one report share one view (building it is most of the cost of
    rendering: every gateway string is cleaned and defanged).
    """
    if _LAST_VIEW:
        last_report, last_tz, last_view = _LAST_VIEW[0]
        if last_report is report and last_tz == tz:
            return last_view
    view = _view(report, tz)
    _LAST_VIEW[:] = [(report, tz, view)]
    return view


def _view(report: Report, tz: tzinfo) -> View:
    threats = report.threats
    groups = sorted(threats.groups, key=lambda group: (group.severity.rank, -group.count))
    sources = sorted(threats.top_sources, key=lambda source: -source.count)
    devices = report.health.devices
    unhealthy = [device for device in devices if device.status != "healthy"]
    status_counts: dict[str, int] = {}
    for device in devices:
        label = DEVICE_STATUS_LABELS.get(device.status, "other")
        status_counts[label] = status_counts.get(label, 0) + 1
    unknown = list(report.unknown_keys.items())
    return View(
        gateway=plain(report.gateway, LEN_NAME) or "UniFi gateway",
        site=plain(report.site, LEN_NAME) or "default",
        period_start=format_time(report.period_start, tz),
        period_end=format_time(report.period_end, tz),
        generated_at=format_time(report.generated_at, tz),
        nothing_new=report.nothing_new,
        entry_count=report.entry_count,
        findings=tuple(
            _finding_view(
                finding,
                tz,
                acknowledged=not report.is_open(finding),
                announced=report.announced.get(finding.finding_id),
            )
            for finding in report.findings
        ),
        severity_counts=tuple(
            (severity, SEVERITY_LABELS[severity], report.counts_by_severity.get(severity, 0))
            for severity in Severity
        ),
        category_counts=tuple(
            (CATEGORY_LABELS[category], count)
            for category in Category
            if (count := report.counts_by_category.get(category, 0))
        ),
        threat_total=threats.total,
        threat_blocked=threats.blocked,
        threat_detected=threats.detected,
        threat_cybersecure=threats.cybersecure,
        detection_only=threats.detection_only,
        threat_groups=tuple(_group_view(group, tz) for group in groups[:MAX_GROUPS]),
        threat_groups_more=max(len(groups) - MAX_GROUPS, 0),
        sources=tuple(_source_view(source) for source in sources[:MAX_SOURCES]),
        unranked=_unranked(threats),
        devices_total=len(devices),
        device_status_counts=tuple(sorted(status_counts.items())),
        unhealthy=tuple(_device_view(device) for device in unhealthy[:MAX_DEVICES]),
        unhealthy_more=max(len(unhealthy) - MAX_DEVICES, 0),
        subsystems=_bad_subsystems(report.health.subsystems),
        unknown_keys=tuple((plain(key, LEN_NAME), count) for key, count in unknown[:MAX_UNKNOWN]),
        unknown_more=max(len(unknown) - MAX_UNKNOWN, 0) + report.unknown_keys_more,
        version=VERSION,
        skipped=tuple(
            (SOURCE_LABELS[source], rows.unreadable, rows.conflicting)
            for source, rows in report.skipped.items()
        ),
        muted=tuple(_muted_view(item, tz) for item in report.muted[:MAX_MUTED]),
        mutes_ended=tuple(_ended_view(mute, tz) for mute in report.mutes_ended[:MAX_MUTED]),
        ignored_entries=report.ignored_entries,
        ignored_findings=report.ignored_findings,
    )
