"""Rule texts say "1 time" and "3 times": plurals are data, checked for every rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from custom_components.unifi_scanner.scanner.catalogue import ALLOWED_PLACEHOLDERS, load_catalogue
from custom_components.unifi_scanner.scanner.wording import (
    COUNTED_FIELDS,
    PLACEHOLDER_RE,
    TITLE_VALUE_LENGTH,
    clip_words,
    plain_template,
    render_template,
    template_problem,
)

CATALOGUE = load_catalogue()
CATALOGUE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
# Nouns that must never follow a 1 in any rendered rule text.
_PLURAL_AFTER_ONE = re.compile(
    r"\b1 (?:times|devices|guests|alerts|source addresses|minutes|changes|roams|failures|"
    r"connections|client connections|client disconnections|band changes|failed sign-ins)\b"
)


def _texts(rule_id: str) -> list[str]:
    rule = CATALOGUE.get(rule_id)
    return [rule.title, rule.explanation, *rule.remediation]


def _says(text: str, words: str) -> bool:
    """Whether ``words`` appear in ``text`` as whole words ("2 minute" is not in "2 minutes")."""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def _fields(number: str) -> dict[str, str]:
    """Every placeholder filled; the counted ones with ``number``."""
    fields = {name: f"<{name}>" for name in ALLOWED_PLACEHOLDERS}
    fields.update(dict.fromkeys(COUNTED_FIELDS, number))
    return fields


def test_a_plural_picks_the_form_and_places_the_number() -> None:
    template = "seen {count|# time|# times} by {clients|one device|# devices}"
    assert render_template(template, {"count": "1", "clients": "1"}) == "seen 1 time by one device"
    assert render_template(template, {"count": "2", "clients": "7"}) == "seen 2 times by 7 devices"
    assert render_template(template, {}) == "seen unknown times by unknown devices"


def test_a_plural_form_may_carry_the_verb() -> None:
    template = "{window_count|There was # failed sign-in|There were # failed sign-ins}"
    assert render_template(template, {"window_count": "1"}) == "There was 1 failed sign-in"
    assert render_template(template, {"window_count": "6"}) == "There were 6 failed sign-ins"


@pytest.mark.parametrize("rule_id", sorted(rule.id for rule in CATALOGUE.rules))
def test_every_rule_reads_right_with_one_and_with_two(rule_id: str) -> None:
    for template in _texts(rule_id):
        one = render_template(template, _fields("1"))
        two = render_template(template, _fields("2"))
        assert _PLURAL_AFTER_ONE.search(one) is None, one
        for _name, singular, plural in PLACEHOLDER_RE.findall(template):
            if not singular or singular == plural:
                continue
            assert not _says(one, plural.replace("#", "1")), one
            assert not _says(two, singular.replace("#", "2")), two
            assert _says(one, singular.replace("#", "1"))
            assert _says(two, plural.replace("#", "2"))


def test_the_threat_sentence_counts_right() -> None:
    rule = CATALOGUE.get("threat_medium")
    fields = {"signature": "ET SCAN x", "count": "1", "sources": "1", "blocked": "1"}
    text = render_template(rule.explanation, fields | {"detected": "0"})
    assert "1 time from 1 source address: 1 blocked and 0 only detected" in text
    fields |= {"count": "3", "sources": "2", "blocked": "3"}
    text = render_template(rule.explanation, fields | {"detected": "0"})
    assert "3 times from 2 source addresses" in text


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{count} times", "give both forms"),
        ("({clients} different devices)", "give both forms"),
        ("{count|# time}", "malformed plural"),
        ("{count|# time|# times|# more}", "malformed plural"),
        ("{nope|# time|# times}", "unknown placeholder"),
        ("a } b", "stray brace"),
    ],
)
def test_template_problems_are_named(template: str, problem: str) -> None:
    found = template_problem(template, ALLOWED_PLACEHOLDERS)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "template",
    ["{blocked} blocked and {detected} only detected", "({count})", "{inactive} inactive", "x"],
)
def test_counts_before_invariant_words_are_fine(template: str) -> None:
    assert template_problem(template, ALLOWED_PLACEHOLDERS) is None


def test_the_rules_doc_shows_the_plural_form() -> None:
    assert plain_template("{count|# roam|# roams} by {clients|# device|# devices}") == (
        "{count} roams by {clients} devices"
    )
    assert plain_template("{subject} x") == "{subject} x"


def test_a_title_quotes_a_bounded_part_of_a_long_value() -> None:
    sentence = (
        "A network intrusion attempt from a very persistent outside address to a device on your "
        "network has been detected and blocked by the gateway's intrusion prevention system"
    )
    rule = CATALOGUE.get("threat_medium")
    finding = rule.finding(
        {"signature": sentence, "count": "1", "sources": "1", "blocked": "1", "detected": "0"},
        subject=(sentence, None, None),
        count=1,
        first_seen=CATALOGUE_TIME,
        last_seen=CATALOGUE_TIME,
    )
    assert finding.title.startswith("Threat detected: A network intrusion attempt")
    assert finding.title.endswith("…")
    assert len(finding.title) <= len("Threat detected: ") + TITLE_VALUE_LENGTH
    assert not finding.title.endswith(" …")  # cut at a word, not inside one
    assert sentence in finding.explanation  # the explanation keeps all of it


def test_clip_words_cuts_at_a_word_and_leaves_short_text_alone() -> None:
    assert clip_words("short", 60) == "short"
    clipped = clip_words("alpha beta gamma delta epsilon", 16)
    assert clipped == "alpha beta…"
    assert clip_words("x" * 100, 10) == "x" * 9 + "…"
