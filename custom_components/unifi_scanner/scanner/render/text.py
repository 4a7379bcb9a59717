"""Plain text for terminals and the text part of e-mails: no markup, wrapped to a width."""

from __future__ import annotations

import textwrap
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.models import Severity
from custom_components.unifi_scanner.scanner.wording import plural

from .labels import PRODUCT, SEVERITY_LABELS
from .phrases import (
    ACKNOWLEDGED,
    DETECTION_ONLY_NOTE,
    MUTED_NOTE,
    TIMES,
    UNKNOWN_NOTE,
    device_phrase,
    findings_phrase,
    footer_sentences,
    muted_line,
    nothing_new_sentence,
    threat_phrase,
)
from .view import build_view

if TYPE_CHECKING:
    from collections.abc import Iterable

    from custom_components.unifi_scanner.scanner.report import Report

    from .view import FindingView, View


def _wrap(text: str, width: int, indent: str, subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _text_finding(item: FindingView, number: int, width: int) -> list[str]:
    mark = f" [{ACKNOWLEDGED}]" if item.acknowledged else ""
    mark += f" [{item.announced}]" if item.announced else ""
    if item.severity is Severity.LOW:
        subject = f" — {item.subject}" if item.subject else ""
        times = f" ({TIMES}{item.count})" if item.count > 1 else ""
        return _wrap(f"- {item.title}{subject}{times}{mark}", width, "  ", "    ")
    lines = _wrap(f"{number}. {item.title}{mark}", width, "  ", "     ")
    if item.subject:
        lines += _wrap(f"Subject: {item.subject}", width, "     ")
    lines += _wrap(
        f"{item.category} · {plural(item.count, 'occurrence')} · "
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
    view = build_view(report, tz)
    heading = f"{PRODUCT} report"
    lines = [heading, "=" * len(heading)]
    lines += _wrap(f"Gateway:   {view.gateway} (site {view.site})", width, "", "           ")
    lines += _wrap(f"Period:    {view.period_start} → {view.period_end}", width, "", " " * 11)
    lines += _wrap(f"Generated: {view.generated_at}", width, "", " " * 11)
    lines.append("")
    if view.nothing_new:
        lines += _wrap(
            f"{nothing_new_sentence(view)} No findings, no IPS alerts and no unhealthy devices "
            f"in {plural(view.entry_count, 'log entry', 'log entries')}.",
            width,
            "",
        )
    else:
        lines.append("SUMMARY")
        lines += _wrap(f"Findings: {findings_phrase(view)}", width, "  ", "    ")
        if view.category_counts:
            lines += _wrap(
                "By category: "
                + ", ".join(f"{label} {count}" for label, count in view.category_counts),
                width,
                "  ",
                "    ",
            )
        lines += _wrap(f"Threats: {threat_phrase(view)}", width, "  ", "    ")
        lines += _wrap(f"Devices: {device_phrase(view)}", width, "  ", "    ")
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
    lines += _text_muted(view, width)
    lines += ["", "--"]
    for sentence in footer_sentences(view):
        lines += _wrap(sentence, width, "", "")
    lines.append(f"{PRODUCT} {view.version}")
    return "\n".join(_fit_width(lines, width)).strip("\n") + "\n"


def _fit_width(lines: list[str], width: int) -> Iterable[str]:
    """Wrap any line still wider than ``width``, keeping its indentation."""
    for line in lines:
        if len(line) <= width:
            yield line.rstrip()
            continue
        indent = line[: len(line) - len(line.lstrip())]
        yield from _wrap(line.strip(), width, indent, indent + "  ")


def _text_threats(view: View, width: int) -> list[str]:
    if not view.threat_total:
        return []
    lines = ["", "THREATS (IPS)"]
    lines += _wrap(threat_phrase(view), width, "  ")
    if view.detection_only:
        lines += _wrap(DETECTION_ONLY_NOTE, width, "  ")
    if view.threat_cybersecure:
        lines.append(
            f"  {plural(view.threat_cybersecure, 'alert')} matched CyberSecure signatures."
        )
    for group in view.threat_groups:
        badge = " [CyberSecure]" if group.cybersecure else ""
        lines += _wrap(
            (
                f"- {group.signature}{badge}: {group.category}, {group.severity_label.lower()}, "
                f"{TIMES}{group.count} ({group.blocked} blocked, {group.detected} detected, "
                f"{group.sources})"
            ),
            width,
            "  ",
            "    ",
        )
        if group.remediation and group.detected:
            lines += _wrap(group.remediation, width, "    ")
    if view.threat_groups_more:
        lines.append(f"  …and {plural(view.threat_groups_more, 'more signature')}")
    if view.sources:
        lines.append("  Top sources:")
        for source in view.sources:
            where = "internal" if source.internal else "external"
            lines += _wrap(
                (f"- {source.ip} ({where}): {plural(source.count, 'alert')}; {source.categories}"),
                width,
                "    ",
                "      ",
            )
        if view.unranked:
            lines += _wrap(view.unranked, width, "  ")
    return lines


def _text_health(view: View, width: int) -> list[str]:
    if not view.devices_total and not view.subsystems:
        return []
    lines = ["", "DEVICE HEALTH"]
    counts = ", ".join(f"{count} {label}" for label, count in view.device_status_counts)
    lines += _wrap(
        f"{device_phrase(view).capitalize()}" + (f" ({counts})" if counts else ""), width, "  "
    )
    for device in view.unhealthy:
        model = f" ({device.model})" if device.model else ""
        lines += _wrap(f"- {device.name}{model}: {device.status}", width, "  ", "    ")
        for issue in device.issues:
            lines += _wrap(f"* {issue}", width, "    ", "      ")
    if view.unhealthy_more:
        lines.append(f"  …and {plural(view.unhealthy_more, 'more device')}")
    if view.subsystems:
        lines += _wrap(
            ("Subsystems: " + ", ".join(f"{name} {status}" for name, status in view.subsystems)),
            width,
            "  ",
        )
    return lines


def _text_muted(view: View, width: int) -> list[str]:
    if not view.muted and not view.mutes_ended:
        return []
    lines = ["", "MUTED"]
    if view.muted:
        lines += _wrap(MUTED_NOTE, width, "  ")
    for item in view.muted:
        lines += _wrap(f"- {muted_line(item)}", width, "  ", "    ")
    for ended in view.mutes_ended:
        lines += _wrap(f"- Mute ended: {ended}", width, "  ", "    ")
    return lines


def _text_unknown(view: View, width: int) -> list[str]:
    if not view.unknown_keys:
        return []
    lines = ["", "UNKNOWN EVENT KEYS"]
    lines += _wrap(UNKNOWN_NOTE, width, "  ")
    for key, count in view.unknown_keys:
        lines += _wrap(f"- {key} {TIMES}{count}", width, "  ", "    ")
    if view.unknown_more:
        lines.append(f"  …and {plural(view.unknown_more, 'more key')}")
    return lines
