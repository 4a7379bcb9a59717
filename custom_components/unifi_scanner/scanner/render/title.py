"""The one-line report title, shared by notifications, e-mail subjects and the JSON data."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.wording import plural

from .labels import PRODUCT, SEVERITY_LABELS, format_time

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.report import Report


def render_title(report: Report, *, tz: tzinfo = UTC) -> str:
    """Return a one-line title free of gateway strings (titles are often template-rendered)."""
    if report.nothing_new:
        return f"{PRODUCT}: nothing new since {format_time(report.period_start, tz)}"
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
        parts.append(plural(report.threats.total, "IPS alert"))
    if report.health.unhealthy:
        parts.append(plural(report.health.unhealthy, "unhealthy device"))
    return f"{PRODUCT}: {', '.join(parts)}"
