"""Markdown for Home Assistant notifications: bounded length, severe findings first.

Every view string is escaped once more here, so no gateway text can turn into a link, an image
or a heading in the rendered notification.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Final

from custom_components.unifi_scanner.scanner.models import Severity
from custom_components.unifi_scanner.scanner.sanitize import escape_markdown
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
    from custom_components.unifi_scanner.scanner.report import Report

    from .view import FindingView, View

# Notifications are read on phones: shorter lists than the other formats.
_MD_MAX_LIST: Final = 5


def _md(value: str) -> str:
    """Escape an already cleaned view string (clean is idempotent, so no length change)."""
    return escape_markdown(value, max_len=max(len(value), 1))


def _md_head(view: View) -> str:
    lines = [
        f"## {PRODUCT}: {_md(view.gateway)} · site {_md(view.site)}",
        "",
        f"**Period:** {view.period_start} → {view.period_end}  ",
        f"**Generated:** {view.generated_at}",
        "",
    ]
    if view.nothing_new:
        lines.append(
            f"**{nothing_new_sentence(view)}** No findings, no IPS alerts and no unhealthy "
            f"devices in {plural(view.entry_count, 'log entry', 'log entries')}."
        )
    else:
        lines.append(
            f"**Summary:** {findings_phrase(view)}; {threat_phrase(view)}; {device_phrase(view)}."
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


def _md_finding(item: FindingView) -> str:
    mark = f" _({ACKNOWLEDGED})_" if item.acknowledged else ""
    mark += f" _({item.announced})_" if item.announced else ""
    if item.severity is Severity.LOW:
        subject = f" — {_md(item.subject)}" if item.subject else ""
        times = f" ({TIMES}{item.count})" if item.count > 1 else ""
        return f"- {_md(item.title)}{subject}{times}{mark}\n"
    lines = [""]
    headline = f"**{_md(item.title)}**"
    if item.subject:
        headline += f" — {_md(item.subject)}"
    if item.count > 1:
        headline += f" ({TIMES}{item.count})"
    headline += mark
    lines.append(headline)
    lines.append(f"_{item.category} · last seen {item.last_seen}_")
    if item.explanation:
        lines += ["", _md(item.explanation)]
    if item.remediation:
        lines += ["", "What to do:"]
        lines += [f"{number}. {_md(step)}" for number, step in enumerate(item.remediation, 1)]
    return "\n".join(lines) + "\n"


def _md_finding_blocks(findings: tuple[FindingView, ...]) -> list[str]:
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


def _md_threats(view: View) -> str:
    if not view.threat_total:
        return ""
    lines = ["", "### Threats (IPS)", "", f"{threat_phrase(view)}."]
    if view.detection_only:
        lines += ["", DETECTION_ONLY_NOTE]
    if view.threat_cybersecure:
        lines += [
            "",
            f"{plural(view.threat_cybersecure, 'alert')} matched CyberSecure signatures.",
        ]
    if view.threat_groups:
        lines.append("")
        lines += [
            f"- {_md(group.signature)} — {_md(group.category)}, {group.severity_label.lower()}, "
            f"{TIMES}{group.count} ({group.blocked} blocked)"
            + (" · CyberSecure" if group.cybersecure else "")
            for group in view.threat_groups[:_MD_MAX_LIST]
        ]
    if view.sources:
        lines += ["", "Top sources:", ""]
        lines += [
            f"- {_md(source.ip)} ({'internal' if source.internal else 'external'}): "
            f"{plural(source.count, 'alert')}"
            for source in view.sources[:_MD_MAX_LIST]
        ]
        if view.unranked:
            lines += ["", _md(view.unranked)]
    return "\n".join(lines) + "\n"


def _md_health(view: View) -> str:
    if not view.devices_total and not view.subsystems:
        return ""
    lines = ["", "### Device health", "", f"{device_phrase(view).capitalize()}."]
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
            lines.append(f"- …and {plural(more, 'more device')}")
    if view.subsystems:
        lines += [
            "",
            "Subsystems: "
            + ", ".join(f"{_md(name)} {_md(status)}" for name, status in view.subsystems),
        ]
    return "\n".join(lines) + "\n"


def _md_unknown(view: View) -> str:
    if not view.unknown_keys:
        return ""
    lines = ["", "### Unknown event keys", "", UNKNOWN_NOTE, ""]
    shown = view.unknown_keys[: _MD_MAX_LIST * 2]
    lines += [f"- {_md(key)} {TIMES}{count}" for key, count in shown]
    more = len(view.unknown_keys) + view.unknown_more - len(shown)
    if more > 0:
        lines.append(f"- …and {plural(more, 'more key')}")
    return "\n".join(lines) + "\n"


def _md_muted(view: View) -> str:
    if not view.muted and not view.mutes_ended:
        return ""
    lines = ["", "### Muted", ""]
    if view.muted:
        lines += [MUTED_NOTE, ""]
    lines += [f"- {_md(muted_line(item))}" for item in view.muted[:_MD_MAX_LIST]]
    if len(view.muted) > _MD_MAX_LIST:
        lines.append(f"- …and {len(view.muted) - _MD_MAX_LIST} more")
    lines += [f"- Mute ended: {_md(ended)}" for ended in view.mutes_ended]
    return "\n".join(lines) + "\n"


def _more_line(count: int) -> str:
    return f"\n…and {plural(count, 'more finding')}\n"


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
    view = build_view(report, tz)
    head = _md_head(view)
    findings = view.at_least(min_severity)
    hidden = len(view.findings) - len(findings)
    blocks = _md_finding_blocks(findings)
    if hidden:
        blocks.append(
            f"\n{plural(hidden, 'finding')} below {SEVERITY_LABELS[min_severity].lower()} "
            "severity not shown.\n"
        )
    notes = "".join(f"{_md(sentence)}\n\n" for sentence in footer_sentences(view))
    footer = f"\n---\n{notes}_{PRODUCT} {view.version}_\n"
    sections = [
        section
        for section in (_md_threats(view), _md_health(view), _md_unknown(view), _md_muted(view))
        if section
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
