"""Make gateway strings inert before they reach any report.

Hostnames, SSIDs, messages and IPS signatures are chosen by whoever controls a client or sends
traffic, so every string from the gateway is treated as hostile. ``clean`` turns any value into a
single printable line of bounded length; ``escape_markdown`` additionally makes sure no Markdown
link, image, emphasis, raw HTML or Home Assistant template can form from it.
"""

from __future__ import annotations

import re

_ELLIPSIS = "…"

# ANSI/VT escape sequences: CSI (ESC [ … final), OSC (ESC ] … BEL/ST), other two-byte escapes,
# and the single-byte C1 CSI. Stripped whole so their parameters do not leak as text.
_ANSI_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
)

# Removed outright: C0 and C1 controls that are not line breaks or tabs, DEL, every Unicode
# "format" character (bidi overrides/isolates, zero-width spaces and joiners, BOM, soft hyphen,
# tag characters …) and lone surrogates, which cannot even be encoded as UTF-8.
_INVISIBLE_RE = re.compile(
    "["
    "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
    "]"
)

# Tabs, line breaks (\n \v \f \r, NEL, LS, PS) and every other Unicode space become one space:
# a report line must never be split or re-aligned by gateway text (CRLF injection).
_SPACE_RE = re.compile(r"\s+")

# Characters that mean something to Markdown (CommonMark + GFM), to HTML inside Markdown, or to
# Home Assistant's Jinja templates. Each gets a backslash, which CommonMark renders as the plain
# character; a backslash-escaped brace can never start ``{{``, ``{%`` or ``{#``.
_MARKDOWN_ACTIVE_RE = re.compile(r"([\\`*_{}\[\]()<>#!|~&])")
_LEADING_MARKER_RE = re.compile(r"^([-+=])")
_ORDERED_MARKER_RE = re.compile(r"^(\d+)([.)])")

# Autolink material that GFM turns into links even without brackets.
_MAILTO_RE = re.compile(r"(?i)\b(mailto|javascript|data|vbscript|file):")
_WWW_RE = re.compile(r"(?i)\bwww\.")
_EMAIL_RE = re.compile(r"(?<=[\w.+-])@(?=[\w-]+\.[\w.-])")

# An opening brace that would start a Jinja expression, statement or comment.
_TEMPLATE_OPEN_RE = re.compile(r"\{(?=[{%#])")

# Reading a 1 MB hostname only to keep its first 500 characters wastes time; this keeps
# enough slack for the invisible characters and spaces that the cleaning removes.
_PRESLICE_FACTOR = 8


def _as_text(value: object) -> str:
    """Turn any value into ``str`` without ever raising."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a hostile __str__ must not break a report
        return f"<{type(value).__name__}>"


def clean(text: object, *, max_len: int = 500) -> str:
    """Return ``text`` as one printable, bounded line.

    Removes ANSI escapes, control and invisible format characters, collapses whitespace and
    truncates to ``max_len`` characters (ending with "…" when cut). Never raises.
    """
    limit = max(max_len, 1)
    value = _as_text(text)
    if len(value) > limit * _PRESLICE_FACTOR + 64:
        value = value[: limit * _PRESLICE_FACTOR + 64]
    # Fast path for the common case: printable ASCII has no control, format or odd space.
    if not (value.isascii() and value.isprintable() and "  " not in value):
        value = _ANSI_RE.sub("", value)
        value = _INVISIBLE_RE.sub("", value)
        value = _SPACE_RE.sub(" ", value)
    value = value.strip()
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + _ELLIPSIS
    return value


def defang_urls(text: str) -> str:
    """Make URLs and e-mail addresses non-clickable while keeping them readable."""
    if ":" not in text and "@" not in text and "." not in text:
        return text
    text = text.replace("://", "[:]//")
    text = _MAILTO_RE.sub(r"\1[:]", text)
    text = _WWW_RE.sub(lambda match: match.group(0)[:-1] + "[.]", text)
    return _EMAIL_RE.sub("[@]", text)


def neutralize_templates(text: str) -> str:
    """Break Jinja delimiters (``{{``, ``{%``, ``{#``) so text handed to a template stays text."""
    return _TEMPLATE_OPEN_RE.sub("{ ", text)


def escape_markdown(text: object, *, max_len: int = 500) -> str:
    """Return ``text`` cleaned and escaped so it renders as literal Markdown text.

    No link, image, autolink, emphasis, code span, raw HTML, table cell or template can form;
    URLs are shown defanged (``http[:]//``).
    """
    value = defang_urls(clean(text, max_len=max_len))
    value = _MARKDOWN_ACTIVE_RE.sub(r"\\\1", value)
    value = _LEADING_MARKER_RE.sub(r"\\\1", value)
    return _ORDERED_MARKER_RE.sub(r"\1\\\2", value)
