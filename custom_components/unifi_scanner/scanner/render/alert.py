"""The message of a live alert: findings announced the moment they happened.

The body shows each finding as the Markdown report does; the title, like the report's, holds no
gateway string (notify titles are often rendered as templates).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from .markdown import _md_finding
from .view import PRODUCT, SEVERITY_LABELS, _finding_view

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.unifi_scanner.scanner.models import Finding

ALERT_NOTE = "Announced as it happened; the next report lists it again with its full count."


def render_alert(findings: Sequence[Finding], *, tz: tzinfo = UTC) -> tuple[str, str]:
    """Return the title and the Markdown body announcing ``findings`` (most urgent first)."""
    ordered = sorted(findings, key=lambda finding: finding.severity.rank)
    counts = [
        (label, sum(1 for finding in ordered if finding.severity is severity))
        for severity, label in SEVERITY_LABELS.items()
    ]
    summary = ", ".join(f"{count} {label.lower()}" for label, count in counts if count)
    noun = "finding" if len(ordered) == 1 else "findings"
    title = f"{PRODUCT} alert: {summary} {noun}"
    body = "".join(_md_finding(_finding_view(finding, tz)) for finding in ordered)
    return title, f"{body}\n_{ALERT_NOTE}_\n"
