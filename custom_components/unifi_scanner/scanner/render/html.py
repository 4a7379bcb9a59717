"""Self-contained, inline-styled HTML e-mail rendered by Jinja2 with autoescape on.

The template is read once, at import: Home Assistant imports integrations outside its event
loop, so rendering never touches the disk.
"""

from __future__ import annotations

import functools
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jinja2

from custom_components.unifi_scanner.scanner.models import Severity

from .labels import PRODUCT, SEVERITY_LABELS
from .phrases import (
    ACKNOWLEDGED,
    DETECTION_ONLY_NOTE,
    MUTED_NOTE,
    UNKNOWN_NOTE,
    device_phrase,
    findings_phrase,
    footer_sentences,
    muted_line,
    nothing_new_sentence,
    threat_phrase,
)
from .title import render_title
from .view import build_view

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.report import Report

_TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
_HTML_TEMPLATE: Final = "report.html.j2"


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
    view = build_view(report, tz)
    return _html_template().render(
        view=view,
        product=PRODUCT,
        detailed_severities=(Severity.SEVERE, Severity.MEDIUM),
        low=Severity.LOW,
        severity_labels=SEVERITY_LABELS,
        findings_phrase=findings_phrase(view),
        threat_phrase=threat_phrase(view),
        device_phrase=device_phrase(view).capitalize(),
        nothing_new_sentence=nothing_new_sentence(view),
        detection_only_note=DETECTION_ONLY_NOTE,
        unknown_note=UNKNOWN_NOTE,
        footer_sentences=footer_sentences(view),
        muted_note=MUTED_NOTE,
        muted_lines=[muted_line(item) for item in view.muted],
        acknowledged=ACKNOWLEDGED,
        title=render_title(report, tz=tz),
    )


# Read the template now: module import runs outside Home Assistant's event loop.
_html_template()
