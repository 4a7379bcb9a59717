"""IPS signature families and outcomes in plain English (``rules/threat_categories.yaml``).

A threat group's words follow two things: what kind of traffic matched (the family, from the
``ET <TOKEN>`` prefix of its signature or the gateway's classtype) and what happened to it (the
outcome: blocked or only detected, inbound or outbound). The outcome comes first in the advice,
because a blocked probe from outside and a malware beacon that got out need opposite reactions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from .exceptions import RuleError
from .models import Direction

if TYPE_CHECKING:
    from collections.abc import Mapping

_ET_RE = re.compile(r"^\s*ET(?:PRO)?\s+([A-Z][A-Z0-9_]*)\s")
_ENUM_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_TOKEN_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Outcome(StrEnum):
    """What happened to a group's traffic, the most serious first."""

    DETECTED_OUTBOUND = "detected_outbound"
    BLOCKED_OUTBOUND = "blocked_outbound"
    DETECTED_INBOUND = "detected_inbound"
    DETECTED = "detected"
    BLOCKED_INBOUND = "blocked_inbound"
    BLOCKED = "blocked"

    @classmethod
    def of(cls, *, blocked: bool, direction: Direction | None) -> Outcome:
        """Name what happened to one alert (a table look-up: it runs once per alert)."""
        return _OUTCOME_OF[blocked, direction]

    @property
    def rank(self) -> int:
        """0 for the outcome that needs the most urgent reaction."""
        return _OUTCOME_RANK[self]


_OUTCOME_RANK: Final = {outcome: rank for rank, outcome in enumerate(Outcome)}
_OUTCOME_OF: Final = {
    (blocked, way): Outcome(
        ("blocked" if blocked else "detected") + (f"_{way}" if way is not None else "")
    )
    for blocked in (True, False)
    for way in (*Direction, None)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatCategory:
    """An IPS signature family in plain English, with what to do about it.

    ``detected_label`` and ``detected_remediation`` replace the usual words when some of the
    traffic was only detected, for families whose name says it was blocked;
    ``inbound_remediation`` replaces the advice when the traffic came from outside, for families
    whose usual advice is about a compromised device inside.
    """

    token: str
    label: str
    description: str
    remediation: str
    note: str | None = None
    detected_label: str | None = None
    detected_remediation: str | None = None
    inbound_remediation: str | None = None

    def words(self, *, detected: bool, inbound: bool = False) -> tuple[str, str]:
        """Return the label and the remediation (with its note) for what happened."""
        label, remediation = self.label, self.remediation
        if detected:
            label = self.detected_label or label
            remediation = self.detected_remediation or remediation
        if inbound:
            remediation = self.inbound_remediation or remediation
        return label, f"{remediation} {self.note}" if self.note else remediation


_DEFAULT: Final = ThreatCategory(token="", label="Security event", description="", remediation="")
_OTHER: Final = ThreatCategory(
    token="", label="Other security event", description="", remediation=""
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatCategories:
    """The family map (signature prefix token, API classtype fallback, default) and outcomes."""

    by_token: Mapping[str, ThreatCategory] = field(default_factory=dict)
    by_classtype: Mapping[str, str] = field(default_factory=dict)
    default: ThreatCategory = _DEFAULT
    other: ThreatCategory = _OTHER
    outcomes: Mapping[Outcome, str] = field(default_factory=dict)

    def classify(self, signature: str, category: str) -> ThreatCategory:
        """Pick the category from the ``ET <TOKEN>`` signature prefix, else the classtype."""
        match = _ET_RE.match(signature)
        if match is not None:
            found = self.by_token.get(match.group(1))
            if found is not None:
                return found
        token = self.by_classtype.get(category.strip().lower())
        if token is not None:
            return self.by_token[token]
        return self.other if _ENUM_RE.fullmatch(category) else self.default

    def label(self, found: ThreatCategory, category: str, *, detected: bool = False) -> str:
        """Name a group's kind: the category's words, else the classtype as the gateway wrote it.

        An enum value nobody mapped (``SECURITY_SOMETHING_NEW``) is never shown as it is.
        """
        label, _ = found.words(detected=detected)
        if found.token or found is self.other:
            return label
        return category or label


# --- loading -----------------------------------------------------------------------------------

_CATEGORY_FIELDS = frozenset(
    {
        "label",
        "description",
        "remediation",
        "note",
        "detected_label",
        "detected_remediation",
        "inbound_remediation",
    }
)
_REQUIRED = ("label", "description", "remediation")


def parse_threat_categories(filename: str, document: Mapping[str, Any]) -> ThreatCategories:
    """Validate the threat file; raise ``RuleError`` naming the file and the entry."""
    unknown = set(document) - {
        "version",
        "categories",
        "classtypes",
        "default",
        "other",
        "outcomes",
    }
    if unknown:
        msg = f"{filename}: unknown top-level fields {sorted(unknown)}"
        raise RuleError(msg)
    items = document.get("categories")
    if not isinstance(items, dict) or not items:
        msg = f"{filename}: 'categories' must be a non-empty mapping"
        raise RuleError(msg)
    by_token = {token: _category(filename, token, value) for token, value in items.items()}
    default = _category(filename, "default", document.get("default"))
    other = _category(filename, "other", document.get("other"))
    classtypes = document.get("classtypes", {})
    if not isinstance(classtypes, dict):
        msg = f"{filename}: 'classtypes' must be a mapping"
        raise RuleError(msg)
    by_classtype: dict[str, str] = {}
    for classtype, token in classtypes.items():
        if not isinstance(classtype, str) or token not in by_token:
            msg = f"{filename}: classtype {classtype!r} maps to unknown category {token!r}"
            raise RuleError(msg)
        by_classtype[classtype.strip().lower()] = token
    return ThreatCategories(
        by_token=MappingProxyType(by_token),
        by_classtype=MappingProxyType(by_classtype),
        default=replace(default, token=""),
        other=replace(other, token=""),
        outcomes=MappingProxyType(_outcomes(filename, document.get("outcomes"))),
    )


NO_THREAT_CATEGORIES: Final = ThreatCategories()


def _outcomes(filename: str, value: Any) -> dict[Outcome, str]:
    """Every outcome needs its advice: a missing one would leave a group without a first step."""
    if not isinstance(value, dict) or set(value) != set(Outcome):
        msg = f"{filename}: 'outcomes' must give advice for each of {sorted(Outcome)}"
        raise RuleError(msg)
    return {
        outcome: _text(f"{filename}: outcome {outcome.value!r}", "advice", value[outcome.value])
        for outcome in Outcome
    }


def _category(filename: str, token: Any, value: Any) -> ThreatCategory:
    where = f"{filename}: category {token!r}"
    if not isinstance(token, str) or not _TOKEN_RE.match(token.upper()):
        msg = f"{where}: malformed token"
        raise RuleError(msg)
    if not isinstance(value, dict) or set(value) - _CATEGORY_FIELDS:
        msg = f"{where}: expected a mapping with {sorted(_CATEGORY_FIELDS)}"
        raise RuleError(msg)
    texts = {
        name: _text(where, name, value.get(name))
        for name in _CATEGORY_FIELDS
        if name in _REQUIRED or value.get(name) is not None
    }
    return ThreatCategory(
        token=token,
        label=texts["label"],
        description=texts["description"],
        remediation=texts["remediation"],
        note=texts.get("note"),
        detected_label=texts.get("detected_label"),
        detected_remediation=texts.get("detected_remediation"),
        inbound_remediation=texts.get("inbound_remediation"),
    )


def _text(where: str, name: str, text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        msg = f"{where}: {name} must be non-empty text"
        raise RuleError(msg)
    if "{" in text or "}" in text:
        msg = f"{where}: {name} must not contain braces (threat text has no placeholders)"
        raise RuleError(msg)
    return " ".join(text.split())
