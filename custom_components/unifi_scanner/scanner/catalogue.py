"""The rule catalogue: rules as data, loaded once and validated before any scan runs.

Every sentence a finding shows lives in ``rules/*.yaml``; this module reads the files and
indexes the rules (``rule`` holds the rule model, ``rule_parser`` checks each file). Loading is
synchronous file I/O (Home Assistant runs it in an executor). A broken file raises ``RuleError``
naming the file and the rule, so a bad edit fails at start-up, never mid-scan.
Matching is a dict look-up by key; a message regex or field condition is evaluated only for the
few keys several rules share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import yaml  # type: ignore[import-untyped]

from .exceptions import RuleError
from .models import Category
from .rule import ALLOWED_PLACEHOLDERS, Aggregate, EngineRule, Rule
from .rule_parser import check_engine_rules, check_key_claims, parse_rule_file
from .threat_catalogue import NO_THREAT_CATEGORIES, parse_threat_categories
from .wording import plain_template

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .models import LogEntry
    from .threat_catalogue import ThreatCategories

__all__ = [
    "ALLOWED_PLACEHOLDERS",
    "Aggregate",
    "EngineRule",
    "Rule",
    "RuleCatalogue",
    "load_catalogue",
]

RULES_DIRECTORY: Final = Path(__file__).parent / "rules"
THREAT_CATEGORIES_FILE: Final = "threat_categories.yaml"
SCHEMA_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class RuleCatalogue:
    """All rules, indexed by key for the hot path."""

    version: str
    rules: tuple[Rule, ...]
    threat_categories: ThreatCategories = NO_THREAT_CATEGORIES
    known_keys: frozenset[str] = field(init=False)
    _by_id: Mapping[str, Rule] = field(init=False, repr=False, compare=False)
    _single: Mapping[str, Rule] = field(init=False, repr=False, compare=False)
    _several: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Build the look-up tables; disambiguated rules are tried before a fallback."""
        by_key: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for key in rule.keys | rule.v2_keys:
                by_key.setdefault(key, []).append(rule)
        single: dict[str, Rule] = {}
        several: dict[str, tuple[Rule, ...]] = {}
        for key, rules in by_key.items():
            if len(rules) == 1 and not rules[0].disambiguated:
                single[key] = rules[0]
            else:
                several[key] = tuple(sorted(rules, key=lambda rule: not rule.disambiguated))
        object.__setattr__(self, "known_keys", frozenset(by_key))
        object.__setattr__(self, "_by_id", MappingProxyType({r.id: r for r in self.rules}))
        object.__setattr__(self, "_single", single)
        object.__setattr__(self, "_several", several)

    def match(self, entry: LogEntry, key: str | None = None) -> Rule | None:
        """Return the rule for an entry (by its own key unless told), or None."""
        key = entry.key if key is None else key
        rule = self._single.get(key)
        if rule is not None:
            return rule
        candidates = self._several.get(key)
        if candidates is not None:
            for candidate in candidates:
                if candidate.matches(entry):
                    return candidate
        return None

    def family(self, entry: LogEntry) -> str | None:
        """Name the known event an unknown v2 key specialises, or None.

        Consoles send specific keys (``THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT``) beside a
        general ``event`` (``THREAT_BLOCKED``); an unknown key is read as its known event.
        """
        if entry.key in self.known_keys:
            return None
        event = entry.raw.get("event")
        if type(event) is str and event in self.known_keys:
            return event
        return None

    def ordered(self) -> list[Rule]:
        """Rules as forms list them: by category, then by title as a reader would say it."""
        categories = list(Category)
        return sorted(
            self.rules,
            key=lambda rule: (categories.index(rule.category), plain_template(rule.title).lower()),
        )

    def get(self, rule_id: str) -> Rule:
        """Return the rule with this id; ``KeyError`` when there is none."""
        return self._by_id[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        """Whether a rule with this id exists."""
        return rule_id in self._by_id


# --- loading and validation --------------------------------------------------------------------


def load_catalogue(directory: Path | None = None) -> RuleCatalogue:
    """Read and validate every rule file in ``directory`` (default: the packaged rules).

    Raises:
        RuleError: a file is unreadable or a rule is invalid; the message names both.

    """
    directory = RULES_DIRECTORY if directory is None else directory
    try:
        paths = sorted(
            path for path in directory.glob("*.yaml") if path.name != THREAT_CATEGORIES_FILE
        )
    except OSError as err:
        msg = f"{directory}: cannot list rule files: {err}"
        raise RuleError(msg) from err
    if not paths:
        msg = f"{directory}: no rule files found"
        raise RuleError(msg)

    digest = hashlib.sha256()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in paths:
        document, raw_bytes = _read_yaml(path)
        digest.update(path.name.encode() + b"\0" + raw_bytes)
        for rule in parse_rule_file(path.name, document):
            if rule.id in seen:
                msg = f"{path.name}: rule {rule.id!r}: duplicate id (also in {seen[rule.id]})"
                raise RuleError(msg)
            seen[rule.id] = path.name
            rules.append(rule)

    threat_path = directory / THREAT_CATEGORIES_FILE
    document, raw_bytes = _read_yaml(threat_path)
    digest.update(THREAT_CATEGORIES_FILE.encode() + b"\0" + raw_bytes)
    threat_categories = parse_threat_categories(THREAT_CATEGORIES_FILE, document)

    check_engine_rules(rules)
    check_key_claims(rules)
    return RuleCatalogue(
        version=f"{SCHEMA_VERSION}-{digest.hexdigest()[:10]}",
        rules=tuple(rules),
        threat_categories=threat_categories,
    )


def _read_yaml(path: Path) -> tuple[Mapping[str, Any], bytes]:
    try:
        raw_bytes = path.read_bytes()
        document = yaml.safe_load(raw_bytes)
    except OSError as err:
        msg = f"{path.name}: cannot read: {err}"
        raise RuleError(msg) from err
    except yaml.YAMLError as err:
        msg = f"{path.name}: invalid YAML: {err}"
        raise RuleError(msg) from err
    if not isinstance(document, dict):
        msg = f"{path.name}: expected a mapping at the top level"
        raise RuleError(msg)
    if document.get("version") != SCHEMA_VERSION:
        msg = f"{path.name}: unsupported version {document.get('version')!r}"
        raise RuleError(msg)
    return document, raw_bytes
