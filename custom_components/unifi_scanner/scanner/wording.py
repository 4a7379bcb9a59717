"""The template language of rule texts: placeholders, plurals and bounded quotes.

Rule texts are data, so the words that depend on a number live in the data too:
``{count|# time|# times}`` says "1 time" or "3 times" (``#`` is the number). A plain
``{name}`` inserts a value. Nothing else in a template is special, and inserted text is never
read as a template again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from .sanitize import clean

if TYPE_CHECKING:
    from collections.abc import Mapping

# What a placeholder becomes when the entry does not carry the field.
MISSING_VALUE: Final = "unknown"
# Gateway values are clipped so one hostile field cannot flood a report.
MAX_VALUE_LENGTH: Final = 200
# A title quotes at most this much of one value: the explanation carries the whole of it.
TITLE_VALUE_LENGTH: Final = 60

# Fields that hold a number of things: a noun after one of them must have both forms.
COUNTED_FIELDS: Final = frozenset(
    {
        "count",
        "clients",
        "window_count",
        "window_minutes",
        "sources",
        "blocked",
        "detected",
        "active",
        "inactive",
        "num_sta",
        "num",
    }
)
# Words that read the same after any number ("3 blocked", "1 inactive").
_INVARIANT_WORDS: Final = frozenset({"blocked", "detected", "active", "inactive", "only"})

PLACEHOLDER_RE: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|]+)\|([^{}|]+))?\}")
_BARE_COUNT_RE = re.compile(r"\{([a-z_]+)\}\s+([A-Za-z]+)")
_NUMBER = "#"
_ELLIPSIS = "…"


def _plural(value: str | None, one: str, other: str) -> str:
    """Pick the form for ``value`` and put the number where ``#`` stands."""
    number = value or MISSING_VALUE
    form = one if number == "1" else other
    return form.replace(_NUMBER, number)


def plural(count: int, word: str, irregular: str | None = None) -> str:
    """Return "1 word" or "N words" (or "N irregular")."""
    return f"{count} {word if count == 1 else (irregular or word + 's')}"


def clip_words(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a word boundary, marking the cut with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + _ELLIPSIS


def render_template(
    template: str, fields: Mapping[str, str], *, max_len: int = MAX_VALUE_LENGTH
) -> str:
    """Fill ``{name}`` and ``{name|one|other}`` placeholders from ``fields``.

    Values are inserted verbatim apart from control characters and excess length (escaping for
    HTML or Markdown is the renderers' job); a value longer than ``max_len`` is cut at a word.
    Missing or empty fields become ``unknown``.
    """

    def substitute(match: re.Match[str]) -> str:
        name, one, other = match.groups()
        value = fields.get(name)
        text = clean(value, max_len=MAX_VALUE_LENGTH) if value is not None else ""
        if one is not None:
            return _plural(text, one, other)
        return clip_words(text, max_len) if text else MISSING_VALUE

    return PLACEHOLDER_RE.sub(substitute, template)


def plain_template(template: str) -> str:
    """Show a template as a reader would name it: each plural as its "many" form."""

    def substitute(match: re.Match[str]) -> str:
        name, _one, other = match.groups()
        if other is None:
            return match.group(0)
        return other.replace(_NUMBER, "{" + name + "}")

    return PLACEHOLDER_RE.sub(substitute, template)


def template_problem(text: str, allowed: frozenset[str]) -> str | None:
    """Say what is wrong with a template, or None when it is fine.

    Every placeholder must be one the engine fills, braces must belong to placeholders, and a
    number followed by a noun must give both forms: "1 times" is how a report loses trust.
    """
    for name, _one, _other in PLACEHOLDER_RE.findall(text):
        if name not in allowed:
            return f"uses unknown placeholder {{{name}}}"
    rest = PLACEHOLDER_RE.sub("", text)
    if "{" in rest or "}" in rest:
        return "has a stray brace or a malformed plural (write {name|# one|# other})"
    for name, word in _BARE_COUNT_RE.findall(text):
        if name in COUNTED_FIELDS and word.lower() not in _INVARIANT_WORDS:
            return (
                f"puts {word!r} after {{{name}}}: give both forms, as in {{{name}|# time|# times}}"
            )
    return None
