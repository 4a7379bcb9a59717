"""The message of a live alert: findings announced the moment they happened.

The body shows each finding as the Markdown report does; the title, like the report's, holds no
gateway string (notify titles are often rendered as templates).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Final

from .labels import PRODUCT, SEVERITY_LABELS
from .markdown import _md_finding, _more_line
from .view import _finding_view

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.unifi_scanner.scanner.models import Finding

ALERT_NOTE = "Announced as it happened; the next report lists it again with its full count."
ALERT_MAX_CHARS: Final = 4_000
"""The longest alert body: what a phone's push takes, as for the report's notify message."""


def render_alert(
    findings: Sequence[Finding], *, tz: tzinfo = UTC, max_chars: int = ALERT_MAX_CHARS
) -> tuple[str, str]:
    """Return the title and the Markdown body announcing ``findings`` (most urgent first).

    The title counts them all; the body shows as many as fit in ``max_chars`` (always the
    first), then how many more there are. A burst of live findings makes one readable message,
    and the findings past the budget are never rendered.
    """
    ordered = sorted(findings, key=lambda finding: finding.severity.rank)
    counts = [
        (label, sum(1 for finding in ordered if finding.severity is severity))
        for severity, label in SEVERITY_LABELS.items()
    ]
    summary = ", ".join(f"{count} {label.lower()}" for label, count in counts if count)
    noun = "finding" if len(ordered) == 1 else "findings"
    title = f"{PRODUCT} alert: {summary} {noun}"
    note = f"\n_{ALERT_NOTE}_\n"
    used = len(note) + len(_more_line(len(ordered)))
    blocks: list[str] = []
    for finding in ordered:
        block = _md_finding(_finding_view(finding, tz))
        if blocks and used + len(block) > max_chars:
            break
        blocks.append(block)
        used += len(block)
    hidden = len(ordered) - len(blocks)
    return title, "".join(blocks) + (_more_line(hidden) if hidden else "") + note
