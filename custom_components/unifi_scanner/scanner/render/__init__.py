"""Render a ``Report`` as Markdown, HTML, plain text or JSON-safe data.

Every renderer reads one view model (``view.build_view``): the single place where gateway
strings are cleaned (controls, invisible characters, length) and URLs defanged. Markdown then
escapes each value once more; HTML relies on Jinja2 autoescape; plain text additionally breaks
template delimiters. Gateway data is only ever a *value*, never a template or a format string.
"""

from __future__ import annotations

from .alert import render_alert
from .data import report_to_dict
from .html import render_html
from .labels import CATEGORY_LABELS, PRODUCT, SEVERITY_LABELS, VERSION
from .markdown import render_markdown
from .text import render_text
from .title import render_title

__all__ = [
    "CATEGORY_LABELS",
    "PRODUCT",
    "SEVERITY_LABELS",
    "VERSION",
    "render_alert",
    "render_html",
    "render_markdown",
    "render_text",
    "render_title",
    "report_to_dict",
]
