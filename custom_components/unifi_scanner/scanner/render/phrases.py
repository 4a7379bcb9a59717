"""Wording every format shares, so Markdown, text and HTML summarise a report identically.

The phrases read only the view model's counts and cleaned strings; the notes are fixed text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from custom_components.unifi_scanner.scanner.wording import plural

if TYPE_CHECKING:
    from .view import MutedView, View

TIMES: Final = "\u00d7"  # the multiplication sign of "3 times"

DETECTION_ONLY_NOTE: Final = (
    "Nothing was blocked: intrusion prevention runs in detection-only (IDS) mode. "
    "Switch it to a blocking mode (IPS) in the Network application's security settings "
    "so these threats are stopped, not only reported."
)
ACKNOWLEDGED: Final = "acknowledged"
MUTED_NOTE: Final = "Muted findings are analysed but never notify or count as a problem."
UNKNOWN_NOTE: Final = (
    "These event keys are not in the rule catalogue yet. Reporting them (key and count) "
    "helps add rules for them."
)


def findings_phrase(view: View) -> str:
    """Return the findings per severity, e.g. "1 severe, 2 low findings"."""
    total = sum(count for _, _, count in view.severity_counts)
    parts = [f"{count} {label.lower()}" for _, label, count in view.severity_counts if count]
    if not parts:
        return "no findings"
    return ", ".join(parts) + (" finding" if total == 1 else " findings")


def threat_phrase(view: View) -> str:
    """Return the IPS alert total with its blocked/detected split."""
    if not view.threat_total:
        return "no IPS alerts"
    return (
        f"{plural(view.threat_total, 'IPS alert')} "
        f"({view.threat_blocked} blocked, {view.threat_detected} detected only)"
    )


def device_phrase(view: View) -> str:
    """Return how many devices need attention out of all."""
    if not view.devices_total:
        return "no device data"
    bad = len(view.unhealthy) + view.unhealthy_more
    if not bad:
        return f"all {plural(view.devices_total, 'device')} healthy"
    return f"{bad} of {plural(view.devices_total, 'device')} need attention"


def skipped_sentence(view: View) -> str:
    """Say how many rows could not be read, and why, per source; empty when none.

    Rows are never dropped without a trace: a report that silently lost rows would claim more
    than it knows.
    """
    total = sum(unreadable + conflicting for _, unreadable, conflicting in view.skipped)
    if not total:
        return ""
    parts = []
    for label, unreadable, conflicting in view.skipped:
        reasons = []
        if unreadable:
            reasons.append(f"{unreadable} without a usable id or time")
        if conflicting:
            reasons.append(
                f"{conflicting} repeating an earlier id with different content"
                if conflicting == 1
                else f"{conflicting} repeating earlier ids with different content"
            )
        parts.append(f"{label}: {' and '.join(reasons)}")
    verb = "row could not be read" if total == 1 else "rows could not be read"
    return f"{total} {verb} ({'; '.join(parts)})."


def ignored_sentence(view: View) -> str:
    """Say what the rules the user turned off kept out of the report; empty when nothing."""
    parts = []
    if view.ignored_entries:
        parts.append(plural(view.ignored_entries, "log entry", "log entries"))
    if view.ignored_findings:
        parts.append(plural(view.ignored_findings, "finding"))
    if not parts:
        return ""
    return f"Ignored by your settings: {' and '.join(parts)} of rules you turned off."


def footer_sentences(view: View) -> list[str]:
    """Every note the footer carries: rows that could not be read, what settings ignored."""
    return [sentence for sentence in (skipped_sentence(view), ignored_sentence(view)) if sentence]


def muted_line(item: MutedView) -> str:
    """Describe one muted finding in one line: what, for whom, until when and why."""
    subject = f" — {item.subject}" if item.subject else ""
    reason = f"; {item.reason}" if item.reason else ""
    return f"{item.title}{subject} ({item.severity_label.lower()}, muted {item.until}{reason})"


def nothing_new_sentence(view: View) -> str:
    """Return the sentence that replaces the summary of an empty period."""
    return f"Nothing new since {view.period_start}."
