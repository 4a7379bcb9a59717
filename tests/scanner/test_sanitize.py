"""clean() and escape_markdown(): hostile gateway strings in, inert text out."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.sanitize import (
    clean,
    defang_urls,
    escape_markdown,
    neutralize_templates,
)

from .hostile import HOSTILE, HUGE_HOSTNAME

# Every character class a terminal, a bidi-aware renderer or a parser could act on.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_MARKDOWN_ACTIVE = set("\\`*_{}[]()<>#!|~&")
_ESCAPE_PAIR = re.compile(r"\\.", re.DOTALL)

# Text with every kind of nasty character mixed in, including whole escape sequences.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from(
            list(
                "\x00\x07\x08\x1b\x7f\x85\x9b\u202e\u2066\u200b\ufeff\r\n\t[]()<>{}%!*_`#|~&-+.=@:/\\"
            )
        ),
    ),
    max_size=300,
) | st.sampled_from(HOSTILE[:-1])


def forbidden_chars(text: str) -> list[str]:
    """Characters that must never reach a report."""
    return [char for char in text if unicodedata.category(char) in _FORBIDDEN_CATEGORIES]


def unescaped(markdown: str) -> str:
    """Drop every backslash pair: what is left is what Markdown would interpret."""
    return _ESCAPE_PAIR.sub("", markdown)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mRED\x1b[0m alert", "RED alert"),
        ("\x1b]0;pwned\x07title", "title"),
        ("\u202eexe.txt", "exe.txt"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("nul\x00byte", "nulbyte"),
        ("line\r\nSet-Cookie: x", "line Set-Cookie: x"),
        ("  many \t\n spaces  ", "many spaces"),
        ("para\u2028graph", "para graph"),
        (None, ""),
        (42, "42"),
        (b"caf\xc3\xa9 \xff", "café \ufffd"),
    ],
)
def test_clean_removes_controls_and_collapses_whitespace(raw: object, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_truncates_with_an_ellipsis() -> None:
    assert clean("abcdefghij", max_len=5) == "abcd…"
    assert clean("abcde", max_len=5) == "abcde"
    cleaned = clean(HUGE_HOSTNAME)
    assert len(cleaned) == 500
    assert cleaned.endswith("…")


def test_clean_survives_a_hostile_str() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError

    assert clean(Hostile()) == "<Hostile>"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[x](http://evil)", r"\[x\]\(http\[:\]//evil\)"),
        ("![x](http://evil/a.png)", r"\!\[x\]\(http\[:\]//evil/a.png\)"),
        ("<http://evil>", r"\<http\[:\]//evil\>"),
        ("{{ states('x') }}", r"\{\{ states\('x'\) \}\}"),
        ("**bold** _em_", r"\*\*bold\*\* \_em\_"),
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("1. item", r"1\. item"),
        ("see www.evil.example", r"see www\[.\]evil.example"),
        ("mail a@evil.example", r"mail a\[@\]evil.example"),
        ("Office AP 2", "Office AP 2"),
    ],
)
def test_escape_markdown_examples(raw: str, expected: str) -> None:
    assert escape_markdown(raw) == expected


@pytest.mark.parametrize("raw", HOSTILE)
def test_escape_markdown_leaves_no_active_character(raw: str) -> None:
    escaped = escape_markdown(raw)
    rest = unescaped(escaped)
    assert not _MARKDOWN_ACTIVE & set(rest), rest
    assert "://" not in escaped
    assert not forbidden_chars(escaped)
    assert len(escaped) <= 2 * 500 + 100


def test_defang_urls_keeps_text_readable() -> None:
    assert defang_urls("go to https://evil.example/x") == "go to https[:]//evil.example/x"
    assert defang_urls("javascript:alert(1)") == "javascript[:]alert(1)"


def test_neutralize_templates_breaks_every_delimiter() -> None:
    text = neutralize_templates("{{ a }} {% b %} {# c #}")
    assert "{{" not in text
    assert "{%" not in text
    assert "{#" not in text


@settings(max_examples=300, deadline=None)
@given(text=nasty_text, max_len=st.integers(min_value=1, max_value=600))
def test_clean_is_bounded_idempotent_and_printable(text: str, max_len: int) -> None:
    cleaned = clean(text, max_len=max_len)
    assert len(cleaned) <= max_len
    assert not forbidden_chars(cleaned)
    assert "\x1b" not in cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert clean(cleaned, max_len=max_len) == cleaned


@settings(max_examples=300, deadline=None)
@given(text=nasty_text)
def test_escape_markdown_is_inert_even_when_applied_twice(text: str) -> None:
    once = escape_markdown(text)
    twice = escape_markdown(once, max_len=10_000)
    for escaped in (once, twice):
        assert not _MARKDOWN_ACTIVE & set(unescaped(escaped))
        assert not forbidden_chars(escaped)
        assert "://" not in escaped
        assert not re.search(r"(?i)(?:^|[\s*_~(])www\.", escaped)
        assert not re.search(r"[\w.+-]@[\w-]+\.[\w-]", escaped, re.ASCII)
    # Escaping and defanging only add punctuation: no letter or digit is lost or invented.
    assert [char for char in once if char.isalnum()] == [
        char for char in clean(text) if char.isalnum()
    ]
