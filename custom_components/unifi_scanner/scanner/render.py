"""Render a ``Report`` as Markdown, HTML, plain text or JSON-safe data.

Every renderer reads one view model, built by ``_build_view``: the single place where gateway
strings are cleaned (controls, invisible characters, length) and URLs defanged. Markdown then
escapes each value once more; HTML relies on Jinja2 autoescape; plain text additionally breaks
template delimiters. Gateway data is only ever a *value*, never a template or a format string.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import jinja2

from .models import Category, Severity
from .sanitize import clean, defang_urls, escape_markdown, neutralize_templates

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import DeviceHealth, Finding, HealthSubsystem, ThreatGroup, ThreatSource
    from .report import Report

_FALLBACK_VERSION: Final = "0.0.0"
_TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
_HTML_TEMPLATE: Final = "report.html.j2"
PRODUCT: Final = "UniFi Scanner"
_TIMES: Final = "\u00d7"  # the multiplication sign of "3 times"

# Length caps per kind of gateway string (characters, before Markdown escaping).
_LEN_NAME: Final = 120
_LEN_TITLE: Final = 200
_LEN_TEXT: Final = 1000
_LEN_STEP: Final = 500
_LEN_ISSUE: Final = 300
_MAX_STEPS: Final = 10
_MAX_GROUPS: Final = 10
_MAX_SOURCES: Final = 10
_MAX_DEVICES: Final = 50
_MAX_ISSUES: Final = 5
_MAX_UNKNOWN: Final = 25
# Markdown goes to notifications: shorter lists there.
_MD_MAX_LIST: Final = 5

SEVERITY_LABELS: Final[dict[Severity, str]] = {
    Severity.SEVERE: "Severe",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}
CATEGORY_LABELS: Final[dict[Category, str]] = {
    Category.SECURITY: "Security",
    Category.CONNECTIVITY: "Connectivity",
    Category.WIRELESS: "Wireless",
    Category.FIRMWARE_SYSTEM: "Firmware and system",
    Category.POWER_POE: "Power and PoE",
    Category.PERFORMANCE: "Performance",
    Category.HEALTH: "Device health",
}
_DEVICE_STATUS_LABELS: Final = {
    "healthy": "healthy",
    "warning": "warning",
    "critical": "critical",
    "offline": "offline",
}


def _read_version() -> str:
    """Read the integration version from ``manifest.json`` once, at import (outside the loop)."""
    try:
        manifest = json.loads(
            (Path(__file__).parent.parent / "manifest.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return _FALLBACK_VERSION
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return clean(version, max_len=40) if isinstance(version, str) and version else _FALLBACK_VERSION


VERSION: Final = _read_version()


# --- view model: the one place gateway strings are cleaned --------------------------------------


def _plain(value: object, max_len: int) -> str:
    """Gateway string → one inert, bounded line: no URL to click, no template to expand."""
    return neutralize_templates(defang_urls(clean(value, max_len=max_len)))


def _time(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _FindingView:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _ThreatGroupView:
    signature: str
    category: str
    severity: Severity
    severity_label: str
    count: int
    blocked: int
    detected: int
    sources: int
    cybersecure: bool
    remediation: str
    last_seen: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _SourceView:
    ip: str
    count: int
    internal: bool
    categories: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _DeviceView:
    name: str
    model: str
    status: str
    issues: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _View:
    gateway: str
    site: str
    period_start: str
    period_end: str
    generated_at: str
    nothing_new: bool
    entry_count: int
    findings: tuple[_FindingView, ...]
    severity_counts: tuple[tuple[Severity, str, int], ...]
    category_counts: tuple[tuple[str, int], ...]
    threat_total: int
    threat_blocked: int
    threat_detected: int
    threat_cybersecure: int
    detection_only: bool
    threat_groups: tuple[_ThreatGroupView, ...]
    threat_groups_more: int
    sources: tuple[_SourceView, ...]
    devices_total: int
    device_status_counts: tuple[tuple[str, int], ...]
    unhealthy: tuple[_DeviceView, ...]
    unhealthy_more: int
    subsystems: tuple[tuple[str, str], ...]
    unknown_keys: tuple[tuple[str, int], ...]
    unknown_more: int
    version: str

    def at_least(self, severity: Severity) -> tuple[_FindingView, ...]:
        return tuple(item for item in self.findings if item.severity.rank <= severity.rank)

    def of(self, severity: Severity) -> tuple[_FindingView, ...]:
        return tuple(item for item in self.findings if item.severity is severity)


def _subject(finding: Finding, title: str) -> str:
    """Name (MAC, IP) of what the finding is about; empty when the title already says it all."""
    name = _plain(finding.subject_name, _LEN_NAME)
    extra = [
        _plain(value, 64)
        for value in (finding.subject_mac, finding.subject_ip)
        if value and _plain(value, 64) != name
    ]
    if name and extra:
        return f"{name} ({', '.join(extra)})"
    if name and name in title:
        return ""
    return name or ", ".join(extra)


def _finding_view(finding: Finding, tz: tzinfo) -> _FindingView:
    title = _plain(finding.title, _LEN_TITLE) or _plain(finding.rule_id, _LEN_NAME) or "Finding"
    return _FindingView(
        severity=finding.severity,
        severity_label=SEVERITY_LABELS[finding.severity],
        category=CATEGORY_LABELS.get(finding.category, str(finding.category)),
        title=title,
        subject=_subject(finding, title),
        explanation=_plain(finding.explanation, _LEN_TEXT),
        remediation=tuple(
            step
            for step in (_plain(step, _LEN_STEP) for step in finding.remediation[:_MAX_STEPS])
            if step
        ),
        count=max(finding.count, 1),
        first_seen=_time(finding.first_seen, tz),
        last_seen=_time(finding.last_seen, tz),
    )


def _group_view(group: ThreatGroup, tz: tzinfo) -> _ThreatGroupView:
    return _ThreatGroupView(
        signature=_plain(group.signature, _LEN_TITLE) or "Unnamed signature",
        category=_plain(group.category_label or group.category, _LEN_NAME),
        severity=group.severity,
        severity_label=SEVERITY_LABELS[group.severity],
        count=group.count,
        blocked=group.blocked,
        detected=group.detected,
        sources=len(group.sources),
        cybersecure=group.cybersecure,
        remediation=_plain(group.remediation, _LEN_TEXT),
        last_seen=_time(group.last_seen, tz),
    )


def _source_view(source: ThreatSource) -> _SourceView:
    return _SourceView(
        ip=_plain(source.ip, 64),
        count=source.count,
        internal=source.internal,
        categories=_plain(", ".join(source.categories[:5]), _LEN_NAME),
    )


def _device_view(device: DeviceHealth) -> _DeviceView:
    return _DeviceView(
        name=_plain(device.name, _LEN_NAME) or _plain(device.mac, 64) or "Unnamed device",
        model=_plain(device.model, 40),
        status=_DEVICE_STATUS_LABELS.get(device.status, _plain(device.status, 20)),
        issues=tuple(_plain(issue, _LEN_ISSUE) for issue in device.issues[:_MAX_ISSUES]),
    )


def _bad_subsystems(subsystems: Iterable[HealthSubsystem]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_plain(item.subsystem, 20), _plain(item.status, 20))
        for item in subsystems
        if item.status.lower() not in {"ok", "unknown"}
    )


def _build_view(report: Report, tz: tzinfo) -> _View:
    threats = report.threats
    groups = sorted(threats.groups, key=lambda group: (group.severity.rank, -group.count))
    sources = sorted(threats.top_sources, key=lambda source: -source.count)
    devices = report.health.devices
    unhealthy = [device for device in devices if device.status != "healthy"]
    status_counts: dict[str, int] = {}
    for device in devices:
        label = _DEVICE_STATUS_LABELS.get(device.status, "other")
        status_counts[label] = status_counts.get(label, 0) + 1
    unknown = list(report.unknown_keys.items())
    return _View(
        gateway=_plain(report.gateway, _LEN_NAME) or "UniFi gateway",
        site=_plain(report.site, _LEN_NAME) or "default",
        period_start=_time(report.period_start, tz),
        period_end=_time(report.period_end, tz),
        generated_at=_time(report.generated_at, tz),
        nothing_new=report.nothing_new,
        entry_count=report.entry_count,
        findings=tuple(_finding_view(finding, tz) for finding in report.findings),
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
        threat_groups=tuple(_group_view(group, tz) for group in groups[:_MAX_GROUPS]),
        threat_groups_more=max(len(groups) - _MAX_GROUPS, 0),
        sources=tuple(_source_view(source) for source in sources[:_MAX_SOURCES]),
        devices_total=len(devices),
        device_status_counts=tuple(sorted(status_counts.items())),
        unhealthy=tuple(_device_view(device) for device in unhealthy[:_MAX_DEVICES]),
        unhealthy_more=max(len(unhealthy) - _MAX_DEVICES, 0),
        subsystems=_bad_subsystems(report.health.subsystems),
        unknown_keys=tuple(
            (_plain(key, _LEN_NAME), count) for key, count in unknown[:_MAX_UNKNOWN]
        ),
        unknown_more=max(len(unknown) - _MAX_UNKNOWN, 0),
        version=VERSION,
    )


def _findings_phrase(view: _View) -> str:
    total = sum(count for _, _, count in view.severity_counts)
    parts = [f"{count} {label.lower()}" for _, label, count in view.severity_counts if count]
    if not parts:
        return "no findings"
    return ", ".join(parts) + (" finding" if total == 1 else " findings")


def _threat_phrase(view: _View) -> str:
    if not view.threat_total:
        return "no IPS alerts"
    return (
        f"{_plural(view.threat_total, 'IPS alert')} "
        f"({view.threat_blocked} blocked, {view.threat_detected} detected only)"
    )


def _device_phrase(view: _View) -> str:
    if not view.devices_total:
        return "no device data"
    bad = len(view.unhealthy) + view.unhealthy_more
    if not bad:
        return f"all {_plural(view.devices_total, 'device')} healthy"
    return f"{bad} of {_plural(view.devices_total, 'device')} need attention"


def _nothing_new_sentence(view: _View) -> str:
    return f"Nothing new since {view.period_start}."


_DETECTION_ONLY_NOTE: Final = (
    "Nothing was blocked: intrusion prevention runs in detection-only (IDS) mode. "
    "Switch it to a blocking mode (IPS) in the Network application's security settings "
    "so these threats are stopped, not only reported."
)
_UNKNOWN_NOTE: Final = (
    "These event keys are not in the rule catalogue yet. Reporting them (key and count) "
    "helps add rules for them."
)


# --- title -------------------------------------------------------------------------------------


def render_title(report: Report, *, tz: tzinfo = UTC) -> str:
    """Return a one-line title free of gateway strings (titles are often template-rendered)."""
    if report.nothing_new:
        return f"{PRODUCT}: nothing new since {_time(report.period_start, tz)}"
    parts: list[str] = []
    counts = [
        (label, report.counts_by_severity.get(sev, 0)) for sev, label in SEVERITY_LABELS.items()
    ]
    total = sum(count for _, count in counts)
    if total:
        parts.append(
            ", ".join(f"{count} {label.lower()}" for label, count in counts if count)
            + (" finding" if total == 1 else " findings")
        )
    if report.threats.total:
        parts.append(_plural(report.threats.total, "IPS alert"))
    if report.health.unhealthy:
        parts.append(_plural(report.health.unhealthy, "unhealthy device"))
    return f"{PRODUCT}: {', '.join(parts)}"


# --- Markdown ----------------------------------------------------------------------------------


def _md(value: str) -> str:
    """Escape an already cleaned view string (clean is idempotent, so no length change)."""
    return escape_markdown(value, max_len=max(len(value), 1))


def _md_head(view: _View) -> str:
    lines = [
        f"## {PRODUCT}: {_md(view.gateway)} · site {_md(view.site)}",
        "",
        f"**Period:** {view.period_start} → {view.period_end}  ",
        f"**Generated:** {view.generated_at}",
        "",
    ]
    if view.nothing_new:
        lines.append(
            f"**{_nothing_new_sentence(view)}** No findings, no IPS alerts and no unhealthy "
            f"devices in {_plural(view.entry_count, 'log entry', 'log entries')}."
        )
    else:
        lines.append(
            f"**Summary:** {_findings_phrase(view)}; {_threat_phrase(view)}; "
            f"{_device_phrase(view)}."
        )
        if view.category_counts:
            lines.append("")
            lines.append(
                "By category: "
                + " · ".join(f"{label} {count}" for label, count in view.category_counts)
            )
        lines.append("")
        lines.append(f"Log entries analysed: {view.entry_count}")
    return "\n".join(lines) + "\n"


def _md_finding(item: _FindingView) -> str:
    if item.severity is Severity.LOW:
        subject = f" — {_md(item.subject)}" if item.subject else ""
        times = f" ({_TIMES}{item.count})" if item.count > 1 else ""
        return f"- {_md(item.title)}{subject}{times}\n"
    lines = [""]
    headline = f"**{_md(item.title)}**"
    if item.subject:
        headline += f" — {_md(item.subject)}"
    if item.count > 1:
        headline += f" ({_TIMES}{item.count})"
    lines.append(headline)
    lines.append(f"_{item.category} · last seen {item.last_seen}_")
    if item.explanation:
        lines += ["", _md(item.explanation)]
    if item.remediation:
        lines += ["", "What to do:"]
        lines += [f"{number}. {_md(step)}" for number, step in enumerate(item.remediation, 1)]
    return "\n".join(lines) + "\n"


def _md_finding_blocks(findings: tuple[_FindingView, ...]) -> list[str]:
    blocks: list[str] = []
    current: Severity | None = None
    for item in findings:
        text = _md_finding(item)
        if item.severity is not current:
            current = item.severity
            heading = f"\n### {SEVERITY_LABELS[current]}\n"
            text = heading + ("\n" + text if current is Severity.LOW else text)
        blocks.append(text)
    return blocks


def _md_threats(view: _View) -> str:
    if not view.threat_total:
        return ""
    lines = ["", "### Threats (IPS)", "", f"{_threat_phrase(view)}."]
    if view.detection_only:
        lines += ["", _DETECTION_ONLY_NOTE]
    if view.threat_cybersecure:
        lines += [
            "",
            f"{_plural(view.threat_cybersecure, 'alert')} matched CyberSecure signatures.",
        ]
    if view.threat_groups:
        lines.append("")
        lines += [
            f"- {_md(group.signature)} — {_md(group.category)}, {group.severity_label.lower()}, "
            f"{_TIMES}{group.count} ({group.blocked} blocked)"
            + (" · CyberSecure" if group.cybersecure else "")
            for group in view.threat_groups[:_MD_MAX_LIST]
        ]
    if view.sources:
        lines += ["", "Top sources:", ""]
        lines += [
            f"- {_md(source.ip)} ({'internal' if source.internal else 'external'}): "
            f"{_plural(source.count, 'alert')}"
            for source in view.sources[:_MD_MAX_LIST]
        ]
    return "\n".join(lines) + "\n"


def _md_health(view: _View) -> str:
    if not view.devices_total and not view.subsystems:
        return ""
    lines = ["", "### Device health", "", f"{_device_phrase(view).capitalize()}."]
    if view.unhealthy:
        lines.append("")
        for device in view.unhealthy[:_MD_MAX_LIST]:
            model = f" ({_md(device.model)})" if device.model else ""
            issues = "; ".join(_md(issue) for issue in device.issues[:2])
            lines.append(
                f"- {_md(device.name)}{model}: {_md(device.status)}"
                + (f" — {issues}" if issues else "")
            )
        more = len(view.unhealthy) + view.unhealthy_more - _MD_MAX_LIST
        if more > 0:
            lines.append(f"- …and {_plural(more, 'more device')}")
    if view.subsystems:
        lines += [
            "",
            "Subsystems: "
            + ", ".join(f"{_md(name)} {_md(status)}" for name, status in view.subsystems),
        ]
    return "\n".join(lines) + "\n"


def _md_unknown(view: _View) -> str:
    if not view.unknown_keys:
        return ""
    lines = ["", "### Unknown event keys", "", _UNKNOWN_NOTE, ""]
    shown = view.unknown_keys[: _MD_MAX_LIST * 2]
    lines += [f"- {_md(key)} {_TIMES}{count}" for key, count in shown]
    more = len(view.unknown_keys) + view.unknown_more - len(shown)
    if more > 0:
        lines.append(f"- …and {_plural(more, 'more key')}")
    return "\n".join(lines) + "\n"


def _more_line(count: int) -> str:
    return f"\n…and {_plural(count, 'more finding')}\n"


def render_markdown(
    report: Report,
    *,
    tz: tzinfo = UTC,
    max_chars: int = 12000,
    min_severity: Severity = Severity.LOW,
) -> str:
    """Markdown for notifications: at most ``max_chars`` characters, severe findings first.

    When findings do not fit, the last shown one is followed by "…and N more findings". The
    threat, health and unknown-key sections are kept only while they use at most half the
    budget (their totals are always in the summary).
    """
    view = _build_view(report, tz)
    head = _md_head(view)
    findings = view.at_least(min_severity)
    hidden = len(view.findings) - len(findings)
    blocks = _md_finding_blocks(findings)
    if hidden:
        blocks.append(
            f"\n{_plural(hidden, 'finding')} below {SEVERITY_LABELS[min_severity].lower()} "
            "severity not shown.\n"
        )
    footer = f"\n---\n_{PRODUCT} {view.version}_\n"
    sections = [
        section for section in (_md_threats(view), _md_health(view), _md_unknown(view)) if section
    ]

    full = head + "".join(blocks) + "".join(sections) + footer
    if len(full) <= max_chars:
        return full

    reserve = len(_more_line(len(blocks)))
    kept_sections: list[str] = []
    used = len(head) + len(footer) + reserve
    for section in sections:
        if used + len(section) > max_chars // 2:
            break
        kept_sections.append(section)
        used += len(section)
    shown: list[str] = []
    for block in blocks:
        if used + len(block) > max_chars:
            break
        shown.append(block)
        used += len(block)
    rest = len(findings) - len(shown)
    text = head + "".join(shown)
    if rest > 0:
        text += _more_line(rest)
    text += "".join(kept_sections) + footer
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


# --- plain text --------------------------------------------------------------------------------


def _wrap(text: str, width: int, indent: str, subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _text_finding(item: _FindingView, number: int, width: int) -> list[str]:
    if item.severity is Severity.LOW:
        subject = f" — {item.subject}" if item.subject else ""
        times = f" ({_TIMES}{item.count})" if item.count > 1 else ""
        return _wrap(f"- {item.title}{subject}{times}", width, "  ", "    ")
    lines = _wrap(f"{number}. {item.title}", width, "  ", "     ")
    if item.subject:
        lines += _wrap(f"Subject: {item.subject}", width, "     ")
    lines += _wrap(
        f"{item.category} · {_plural(item.count, 'occurrence')} · "
        f"first {item.first_seen} · last {item.last_seen}",
        width,
        "     ",
    )
    if item.explanation:
        lines += _wrap(item.explanation, width, "     ")
    if item.remediation:
        lines.append("     What to do:")
        for step_number, step in enumerate(item.remediation, 1):
            lines += _wrap(f"{step_number}) {step}", width, "       ", "          ")
    return lines


def render_text(report: Report, *, tz: tzinfo = UTC, width: int = 72) -> str:
    """Plain text (terminal, e-mail text part): no markup, one cleaned line per value, wrapped."""
    width = max(width, 30)
    view = _build_view(report, tz)
    heading = f"{PRODUCT} report"
    lines = [heading, "=" * len(heading)]
    lines += _wrap(f"Gateway:   {view.gateway} (site {view.site})", width, "", "           ")
    lines += _wrap(f"Period:    {view.period_start} → {view.period_end}", width, "", " " * 11)
    lines += _wrap(f"Generated: {view.generated_at}", width, "", " " * 11)
    lines.append("")
    if view.nothing_new:
        lines += _wrap(
            f"{_nothing_new_sentence(view)} No findings, no IPS alerts and no unhealthy devices "
            f"in {_plural(view.entry_count, 'log entry', 'log entries')}.",
            width,
            "",
        )
    else:
        lines.append("SUMMARY")
        lines += _wrap(f"Findings: {_findings_phrase(view)}", width, "  ", "    ")
        if view.category_counts:
            lines += _wrap(
                "By category: "
                + ", ".join(f"{label} {count}" for label, count in view.category_counts),
                width,
                "  ",
                "    ",
            )
        lines += _wrap(f"Threats: {_threat_phrase(view)}", width, "  ", "    ")
        lines += _wrap(f"Devices: {_device_phrase(view)}", width, "  ", "    ")
        lines.append(f"  Log entries analysed: {view.entry_count}")
    for severity in Severity:
        items = view.of(severity)
        if not items:
            continue
        lines += ["", f"{SEVERITY_LABELS[severity].upper()} FINDINGS ({len(items)})"]
        for number, item in enumerate(items, 1):
            if number > 1 and severity is not Severity.LOW:
                lines.append("")
            lines += _text_finding(item, number, width)
    lines += _text_threats(view, width)
    lines += _text_health(view, width)
    lines += _text_unknown(view, width)
    lines += ["", "--", f"{PRODUCT} {view.version}"]
    return "\n".join(_fit_width(lines, width)).strip("\n") + "\n"


def _fit_width(lines: list[str], width: int) -> Iterable[str]:
    """Wrap any line still wider than ``width``, keeping its indentation."""
    for line in lines:
        if len(line) <= width:
            yield line.rstrip()
            continue
        indent = line[: len(line) - len(line.lstrip())]
        yield from _wrap(line.strip(), width, indent, indent + "  ")


def _text_threats(view: _View, width: int) -> list[str]:
    if not view.threat_total:
        return []
    lines = ["", "THREATS (IPS)"]
    lines += _wrap(_threat_phrase(view), width, "  ")
    if view.detection_only:
        lines += _wrap(_DETECTION_ONLY_NOTE, width, "  ")
    if view.threat_cybersecure:
        lines.append(
            f"  {_plural(view.threat_cybersecure, 'alert')} matched CyberSecure signatures."
        )
    for group in view.threat_groups:
        badge = " [CyberSecure]" if group.cybersecure else ""
        lines += _wrap(
            (
                f"- {group.signature}{badge}: {group.category}, {group.severity_label.lower()}, "
                f"{_TIMES}{group.count} ({group.blocked} blocked, {group.detected} detected, "
                f"{_plural(group.sources, 'source')})"
            ),
            width,
            "  ",
            "    ",
        )
        if group.remediation and group.detected:
            lines += _wrap(group.remediation, width, "    ")
    if view.threat_groups_more:
        lines.append(f"  …and {_plural(view.threat_groups_more, 'more signature')}")
    if view.sources:
        lines.append("  Top sources:")
        for source in view.sources:
            where = "internal" if source.internal else "external"
            lines += _wrap(
                (f"- {source.ip} ({where}): {_plural(source.count, 'alert')}; {source.categories}"),
                width,
                "    ",
                "      ",
            )
    return lines


def _text_health(view: _View, width: int) -> list[str]:
    if not view.devices_total and not view.subsystems:
        return []
    lines = ["", "DEVICE HEALTH"]
    counts = ", ".join(f"{count} {label}" for label, count in view.device_status_counts)
    lines += _wrap(
        f"{_device_phrase(view).capitalize()}" + (f" ({counts})" if counts else ""), width, "  "
    )
    for device in view.unhealthy:
        model = f" ({device.model})" if device.model else ""
        lines += _wrap(f"- {device.name}{model}: {device.status}", width, "  ", "    ")
        for issue in device.issues:
            lines += _wrap(f"* {issue}", width, "    ", "      ")
    if view.unhealthy_more:
        lines.append(f"  …and {_plural(view.unhealthy_more, 'more device')}")
    if view.subsystems:
        lines += _wrap(
            ("Subsystems: " + ", ".join(f"{name} {status}" for name, status in view.subsystems)),
            width,
            "  ",
        )
    return lines


def _text_unknown(view: _View, width: int) -> list[str]:
    if not view.unknown_keys:
        return []
    lines = ["", "UNKNOWN EVENT KEYS"]
    lines += _wrap(_UNKNOWN_NOTE, width, "  ")
    for key, count in view.unknown_keys:
        lines += _wrap(f"- {key} {_TIMES}{count}", width, "  ", "    ")
    if view.unknown_more:
        lines.append(f"  …and {_plural(view.unknown_more, 'more key')}")
    return lines


# --- HTML --------------------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    """One Jinja2 environment per process; autoescape on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@functools.cache
def _html_template() -> jinja2.Template:
    return _environment().get_template(_HTML_TEMPLATE)


def render_html(report: Report, *, tz: tzinfo = UTC) -> str:
    """Render a self-contained, inline-styled HTML e-mail; every finding, LOW included, shows."""
    view = _build_view(report, tz)
    return _html_template().render(
        view=view,
        product=PRODUCT,
        detailed_severities=(Severity.SEVERE, Severity.MEDIUM),
        low=Severity.LOW,
        severity_labels=SEVERITY_LABELS,
        findings_phrase=_findings_phrase(view),
        threat_phrase=_threat_phrase(view),
        device_phrase=_device_phrase(view).capitalize(),
        nothing_new_sentence=_nothing_new_sentence(view),
        detection_only_note=_DETECTION_ONLY_NOTE,
        unknown_note=_UNKNOWN_NOTE,
        title=render_title(report, tz=tz),
    )


# Read the template now: module import runs outside Home Assistant's event loop.
_html_template()


# --- JSON-safe data ----------------------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _str(value: object, max_len: int = _LEN_TEXT) -> str:
    return neutralize_templates(clean(value, max_len=max_len))


def _opt(value: object, max_len: int = _LEN_NAME) -> str | None:
    return None if value is None else _str(value, max_len)


def _num(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": _str(finding.rule_id, _LEN_NAME),
        "severity": finding.severity.value,
        "category": finding.category.value,
        "title": _str(finding.title, _LEN_TITLE),
        "explanation": _str(finding.explanation),
        "remediation": [_str(step, _LEN_STEP) for step in finding.remediation[:_MAX_STEPS]],
        "subject_name": _opt(finding.subject_name),
        "subject_mac": _opt(finding.subject_mac, 64),
        "subject_ip": _opt(finding.subject_ip, 64),
        "count": finding.count,
        "first_seen": _iso(finding.first_seen),
        "last_seen": _iso(finding.last_seen),
        "keys": [_str(key, _LEN_NAME) for key in finding.keys[:_MAX_UNKNOWN]],
    }


def _group_dict(group: ThreatGroup) -> dict[str, Any]:
    return {
        "signature": _str(group.signature, _LEN_TITLE),
        "signature_id": group.signature_id,
        "category": _str(group.category, _LEN_NAME),
        "category_label": _str(group.category_label, _LEN_NAME),
        "severity": group.severity.value,
        "count": group.count,
        "blocked": group.blocked,
        "detected": group.detected,
        "sources": [_str(source, 64) for source in group.sources[:_MAX_SOURCES]],
        "cybersecure": group.cybersecure,
        "remediation": _str(group.remediation),
        "first_seen": _iso(group.first_seen),
        "last_seen": _iso(group.last_seen),
    }


def _subsystem_dict(item: HealthSubsystem) -> dict[str, Any]:
    return {
        "subsystem": _str(item.subsystem, 40),
        "status": _str(item.status, 40),
        "latency_ms": _num(item.latency_ms),
        "availability": _num(item.availability),
        "num_disconnected": item.num_disconnected,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """Return the report as JSON-safe data (ISO-8601 UTC times, cleaned strings, enum values)."""
    unknown: dict[str, int] = {}
    for key, count in report.unknown_keys.items():
        name = _str(key, _LEN_NAME)
        unknown[name] = unknown.get(name, 0) + count
    threats = report.threats
    return {
        "version": VERSION,
        "title": render_title(report),
        "gateway": _str(report.gateway, _LEN_NAME),
        "site": _str(report.site, _LEN_NAME),
        "period_start": _iso(report.period_start),
        "period_end": _iso(report.period_end),
        "generated_at": _iso(report.generated_at),
        "nothing_new": report.nothing_new,
        "entry_count": report.entry_count,
        "counts_by_severity": {
            key.value: count for key, count in report.counts_by_severity.items()
        },
        "counts_by_category": {
            key.value: count for key, count in report.counts_by_category.items()
        },
        "findings": [_finding_dict(finding) for finding in report.findings],
        "threats": {
            "total": threats.total,
            "blocked": threats.blocked,
            "detected": threats.detected,
            "cybersecure": threats.cybersecure,
            "detection_only": threats.detection_only,
            "groups": [_group_dict(group) for group in threats.groups],
            "top_sources": [
                {
                    "ip": _str(source.ip, 64),
                    "count": source.count,
                    "internal": source.internal,
                    "categories": [_str(item, _LEN_NAME) for item in source.categories[:10]],
                }
                for source in threats.top_sources
            ],
        },
        "health": {
            "unhealthy": report.health.unhealthy,
            "devices": [
                {
                    "mac": _str(device.mac, 64),
                    "name": _str(device.name, _LEN_NAME),
                    "model": _opt(device.model, 40),
                    "status": _str(device.status, 20),
                    "issues": [_str(issue, _LEN_ISSUE) for issue in device.issues[:_MAX_ISSUES]],
                }
                for device in report.health.devices
            ],
            "subsystems": [_subsystem_dict(item) for item in report.health.subsystems],
        },
        "unknown_keys": unknown,
    }
