"""Validation of rule files: every rule is checked before any scan can use it.

A broken rule raises ``RuleError`` naming the file and the rule, so a bad edit fails at
start-up, never mid-scan. Beyond the shape of each rule, the catalogue as a whole is checked:
every engine rule exists, and no rule can hide another behind a shared key.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

from .exceptions import RuleError
from .models import Category, Severity
from .rule import (
    ALLOWED_PLACEHOLDERS,
    SUBJECTS,
    TRIGGERS,
    Aggregate,
    EngineRule,
    Rule,
    condition_text,
)
from .wording import template_problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from enum import StrEnum

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_LEGACY_KEY_RE = re.compile(r"^EVT_[A-Z]{2,3}_[A-Za-z0-9_]+$")
_V2_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_RULE_FIELDS = frozenset(
    {
        "id",
        "severity",
        "category",
        "subject",
        "trigger",
        "aggregate",
        "keys",
        "v2_keys",
        "v2_keys_inferred",
        "message_regex",
        "conditions",
        "title",
        "explanation",
        "remediation",
    }
)


def parse_rule_file(filename: str, document: Mapping[str, Any]) -> Iterable[Rule]:
    """Yield each rule of one file, validated; the first bad one raises ``RuleError``."""
    unknown = set(document) - {"version", "category", "rules"}
    if unknown:
        msg = f"{filename}: unknown top-level fields {sorted(unknown)}"
        raise RuleError(msg)
    default_category = document.get("category")
    items = document.get("rules")
    if not isinstance(items, list):
        msg = f"{filename}: 'rules' must be a list"
        raise RuleError(msg)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            msg = f"{filename}: rule #{index + 1} is not a mapping"
            raise RuleError(msg)
        rule_id = item.get("id")
        where = f"{filename}: rule {rule_id!r}"
        try:
            yield _parse_rule(filename, item, default_category)
        except _InvalidRuleError as problem:
            msg = f"{where}: {problem}"
            raise RuleError(msg) from None


class _InvalidRuleError(Exception):
    """What is wrong with one rule; wrapped into RuleError with file and id."""


def _fail(problem: str) -> NoReturn:
    raise _InvalidRuleError(problem)


def _parse_rule(filename: str, item: Mapping[str, Any], default_category: Any) -> Rule:
    unknown = set(item) - _RULE_FIELDS
    if unknown:
        _fail(f"unknown fields {sorted(unknown)}")
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        _fail("id must be snake_case")
    severity = _enum(Severity, item.get("severity"), "severity")
    category = _enum(Category, item.get("category", default_category), "category")
    subject = item.get("subject")
    if subject not in SUBJECTS:
        _fail(f"unknown subject {subject!r}")
    trigger = item.get("trigger", "event")
    if trigger not in TRIGGERS:
        _fail(f"unknown trigger {trigger!r}")
    aggregate_value = item.get("aggregate")
    aggregate = None if aggregate_value is None else _enum(Aggregate, aggregate_value, "aggregate")

    keys = _key_set(item.get("keys"), "keys", _LEGACY_KEY_RE)
    v2_observed = _key_set(item.get("v2_keys"), "v2_keys", _V2_KEY_RE)
    v2_inferred = _key_set(item.get("v2_keys_inferred"), "v2_keys_inferred", _V2_KEY_RE)
    if v2_observed & v2_inferred:
        _fail("a v2 key is listed as both observed and inferred")
    v2_keys = v2_observed | v2_inferred
    if any(key.startswith("EVT_") for key in v2_keys):
        _fail("v2 keys must not be legacy EVT_* keys")

    message_regex = _regex(item.get("message_regex"))
    conditions = _conditions(item.get("conditions"))

    if trigger == "event" and not keys and not v2_keys:
        _fail("an event rule needs keys or v2 keys")
    if trigger == "engine" and (
        keys or v2_keys or message_regex is not None or conditions or aggregate
    ):
        _fail("an engine rule takes no keys, regex, conditions or aggregate")

    title = _template(item.get("title"), "title")
    if "\n" in title:
        _fail("title must be one line")
    explanation = _template(item.get("explanation"), "explanation")
    remediation = _steps(item.get("remediation", []))
    if severity is not Severity.LOW and not remediation:
        _fail(f"a {severity} rule needs remediation steps")

    return Rule(
        id=rule_id,
        severity=severity,
        category=category,
        keys=keys,
        v2_keys=v2_keys,
        message_regex=message_regex,
        conditions=MappingProxyType(conditions),
        subject=subject,
        title=title,
        explanation=explanation,
        remediation=remediation,
        trigger=trigger,
        aggregate=aggregate,
        v2_inferred=v2_inferred,
        source_file=filename,
    )


def _regex(pattern: Any) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if not isinstance(pattern, str) or not pattern:
        _fail("message_regex must be a non-empty string")
    try:
        return re.compile(pattern)
    except re.error as err:
        _fail(f"bad message_regex: {err}")


def _steps(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        _fail("remediation must be a list of steps")
    return tuple(_template(step, "remediation") for step in value)


def _enum[E: StrEnum](enum: type[E], value: Any, name: str) -> E:
    try:
        return enum(value)
    except ValueError:
        _fail(f"unknown {name} {value!r}")


def _key_set(value: Any, name: str, pattern: re.Pattern[str]) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        _fail(f"{name} must be a list of strings")
    for key in value:
        if not pattern.match(key):
            _fail(f"malformed key {key!r} in {name}")
    if len(set(value)) != len(value):
        _fail(f"repeated key in {name}")
    return frozenset(value)


def _conditions(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail("conditions must be a mapping of field to value")
    result: dict[str, str] = {}
    for name, expected in value.items():
        text = condition_text(expected)
        if not isinstance(name, str) or text is None:
            _fail(f"condition {name!r} must compare a field with a scalar")
        result[name] = text
    return result


def _template(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(f"{name} must be non-empty text")
    text = value.strip()
    problem = template_problem(text, ALLOWED_PLACEHOLDERS)
    if problem is not None:
        _fail(f"{name} {problem}")
    return text


def check_engine_rules(rules: list[Rule]) -> None:
    """Require every rule the engine raises by id, marked as an engine rule."""
    by_id = {rule.id: rule for rule in rules}
    for rule_id in EngineRule:
        rule = by_id.get(rule_id)
        if rule is None:
            msg = f"engine rule {rule_id.value!r} is missing from the catalogue"
            raise RuleError(msg)
        if rule.trigger != "engine":
            msg = f"{rule.source_file}: rule {rule.id!r}: must have 'trigger: engine'"
            raise RuleError(msg)


def check_key_claims(rules: list[Rule]) -> None:
    """Refuse any key for which one rule would hide another (no rule may be unreachable)."""
    claims: dict[str, list[Rule]] = {}
    for rule in rules:
        for key in rule.keys | rule.v2_keys:
            claims.setdefault(key, []).append(rule)
    for key, claimants in claims.items():
        if len(claimants) < 2:
            continue
        fallbacks = [rule for rule in claimants if not rule.disambiguated]
        if len(fallbacks) > 1:
            names = ", ".join(f"{rule.source_file}: rule {rule.id!r}" for rule in fallbacks)
            msg = f"key {key} is claimed by several rules without a regex or condition: {names}"
            raise RuleError(msg)
        matchers: dict[tuple[str | None, tuple[tuple[str, str], ...]], Rule] = {}
        for rule in claimants:
            if not rule.disambiguated:
                continue
            pattern = rule.message_regex.pattern if rule.message_regex is not None else None
            signature = (pattern, tuple(sorted(rule.conditions.items())))
            if signature in matchers:
                other = matchers[signature]
                msg = (
                    f"{rule.source_file}: rule {rule.id!r}: key {key} has the same regex and "
                    f"conditions as rule {other.id!r} in {other.source_file}, so one is unreachable"
                )
                raise RuleError(msg)
            matchers[signature] = rule
