"""The rule catalogue: rules as data, loaded once and validated before any scan runs.

Every sentence a finding shows lives in ``rules/*.yaml``; this module only reads, checks and
indexes it. Loading is synchronous file I/O (Home Assistant runs it in an executor). A broken file
raises ``RuleError`` naming the file and the rule, so a bad edit fails at start-up, never mid-scan.
Matching is a dict look-up by key; a message regex or field condition is evaluated only for the
few keys several rules share.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn

import yaml  # type: ignore[import-untyped]

from .exceptions import RuleError
from .models import Category, Finding, Severity
from .threat_catalogue import NO_THREAT_CATEGORIES, parse_threat_categories
from .wording import TITLE_VALUE_LENGTH, render_template, template_problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from .models import LogEntry
    from .threat_catalogue import ThreatCategories

RULES_DIRECTORY: Final = Path(__file__).parent / "rules"
THREAT_CATEGORIES_FILE: Final = "threat_categories.yaml"
SCHEMA_VERSION: Final = 1

SUBJECTS: Final = frozenset({"device", "client", "admin", "ip", "gateway", "site"})
TRIGGERS: Final = frozenset({"event", "engine"})


class Aggregate(StrEnum):
    """Engine aggregations a key rule can feed, beyond one finding per subject."""

    ROAM = "roam"
    FAILED_LOGIN = "failed_login"
    WAN_TRANSITION = "wan_transition"
    LOST_CONTACT = "lost_contact"


class EngineRule(StrEnum):
    """Rules raised by engine code rather than by a key; each must exist in the data."""

    BRUTE_FORCE = "admin_brute_force"
    ROAMING_FLAP = "client_roaming_flap"
    WAN_FLAPPING = "wan_flapping"
    WAN_FLAPPING_SEVERE = "wan_flapping_severe"
    LOST_CONTACT_REPEATED = "device_lost_contact_repeated"
    THREAT_SEVERE = "threat_severe"
    THREAT_MEDIUM = "threat_medium"
    DEVICE_OFFLINE = "device_offline"
    HEARTBEAT_MISSED = "device_heartbeat_missed"
    DEVICE_ISOLATED = "device_isolated"
    ADOPTION_FAILED = "device_adoption_failed"
    FIRMWARE_UPGRADABLE = "firmware_upgradable"
    TEMPERATURE_HIGH = "temperature_high"
    TEMPERATURE_CRITICAL = "temperature_critical"
    OVERHEATING = "device_overheating"
    CPU_HIGH = "cpu_high"
    CPU_CRITICAL = "cpu_critical"
    MEMORY_HIGH = "memory_high"
    MEMORY_CRITICAL = "memory_critical"
    STORAGE_HIGH = "storage_high"
    STORAGE_CRITICAL = "storage_critical"
    POE_BUDGET_HIGH = "poe_budget_high"
    WAN_LINK_DOWN = "wan_link_down"
    WAN_LATENCY_HIGH = "wan_latency_high"
    WAN_AVAILABILITY_LOW = "wan_availability_low"
    WAN_MONITOR_LATENCY_HIGH = "wan_monitor_latency_high"
    WAN_MONITOR_AVAILABILITY_LOW = "wan_monitor_availability_low"
    WAN_MONITORS_FAILING = "wan_monitors_failing"
    VPN_TUNNEL_DOWN = "vpn_tunnel_down"
    VPN_ERROR = "vpn_error"
    INTERNET_ERROR = "internet_error"
    INTERNET_WARNING = "internet_warning"


# Fields the engine computes for every finding (or for the engine rule that needs them).
ENGINE_FIELDS: Final = frozenset(
    {
        "subject",
        "subject_mac",
        "subject_ip",
        "count",
        "clients",
        "window_count",
        "window_minutes",
        "value",
        "threshold",
        "sensor",
        "volume",
        "link",
        "upgrade_to",
        "model",
        "status",
        "blocked",
        "detected",
        "sources",
        "category_label",
        "target",
        "targets",
        "active",
        "inactive",
    }
)
# Legacy event fields (UNIFI_API.md sections 4.5, 5 and 6) and the typed names that
# ``normalize.template_fields`` adds.
ENTRY_FIELDS: Final = frozenset(
    {
        "key",
        "subsystem",
        "user",
        "guest",
        "client",
        "hostname",
        "ap",
        "ap_name",
        "ap_from",
        "ap_to",
        "sw",
        "sw_name",
        "gw",
        "gw_name",
        "ssid",
        "essid",
        "channel",
        "channel_from",
        "channel_to",
        "radio",
        "radio_from",
        "radio_to",
        "radar_channel",
        "freq",
        "admin",
        "ip",
        "mac",
        "version",
        "version_from",
        "version_to",
        "iface",
        "state",
        "port",
        "vlan",
        "network",
        "network_name",
        "outlet",
        "proc",
        "exit_status",
        "caller",
        "duration",
        "num_sta",
        "commit_errors",
        "reason",
        "rc",
        "usable_bytes",
        "total_bytes",
        "num",
        "code",
        "device",
        "device_name",
        "device_mac",
        "client_name",
        "client_mac",
        "signature",
        "signature_id",
        "threat_category",
        "action",
        "src_ip",
        "src_port",
        "dest_ip",
        "dest_port",
        "proto",
        "src_country",
    }
)
# v2 system-log parameter roles (UNIFI_API.md section 4.10), flattened as ROLE_name/id/ip.
V2_ROLES: Final = (
    "CLIENT",
    "SRC_CLIENT",
    "DST_CLIENT",
    "DEVICE",
    "DEVICE_TO",
    "SRC_DEVICE",
    "AP",
    "GATEWAY",
    "DST_IP",
    "TRIGGER",
    "SSID",
    "WLAN",
    "ACTION",
    "CONSOLE_NAME",
    "ADMIN",
    "USER",
)
ALLOWED_PLACEHOLDERS: Final = (
    ENGINE_FIELDS
    | ENTRY_FIELDS
    | frozenset(f"{role}_{part}" for role in V2_ROLES for part in ("name", "id", "ip"))
)

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule: what it matches, how urgent it is, and the words a finding uses."""

    id: str
    severity: Severity
    category: Category
    keys: frozenset[str]
    v2_keys: frozenset[str]
    message_regex: re.Pattern[str] | None
    conditions: Mapping[str, str] = field(default_factory=dict, hash=False)
    subject: str
    title: str
    explanation: str
    remediation: tuple[str, ...]
    trigger: str = "event"
    aggregate: Aggregate | None = None
    v2_inferred: frozenset[str] = frozenset()
    source_file: str = ""

    @property
    def disambiguated(self) -> bool:
        """True when the rule needs more than the key to match."""
        return self.message_regex is not None or bool(self.conditions)

    def matches(self, entry: LogEntry) -> bool:
        """Check the regex and field conditions (the key has already been looked up)."""
        if self.message_regex is not None and self.message_regex.search(entry.message) is None:
            return False
        if self.conditions:
            raw = entry.raw
            for name, expected in self.conditions.items():
                if _condition_text(raw.get(name)) != expected:
                    return False
        return True

    def finding(
        self,
        fields: Mapping[str, str],
        *,
        subject: tuple[str | None, str | None, str | None],
        count: int,
        first_seen: datetime,
        last_seen: datetime,
        keys: tuple[str, ...] = (),
        lead_steps: tuple[str, ...] = (),
    ) -> Finding:
        """Build this rule's finding, rendering its words once from ``fields``.

        ``subject`` is (name, MAC, IP); ``lead_steps`` (advice for what exactly happened) come
        before the rule's own, more general remediation.
        """
        name, mac, ip = subject
        return Finding(
            rule_id=self.id,
            severity=self.severity,
            category=self.category,
            title=render_template(self.title, fields, max_len=TITLE_VALUE_LENGTH),
            explanation=render_template(self.explanation, fields),
            remediation=(
                *lead_steps,
                *(render_template(step, fields) for step in self.remediation),
            ),
            subject_name=name,
            subject_mac=mac,
            subject_ip=ip,
            count=count,
            first_seen=first_seen,
            last_seen=last_seen,
            keys=keys,
        )


def _condition_text(value: Any) -> str | None:
    """Compare field conditions on lower-case text; only scalars can match."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value).lower()
    return None


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
        for rule in _parse_rule_file(path.name, document):
            if rule.id in seen:
                msg = f"{path.name}: rule {rule.id!r}: duplicate id (also in {seen[rule.id]})"
                raise RuleError(msg)
            seen[rule.id] = path.name
            rules.append(rule)

    threat_path = directory / THREAT_CATEGORIES_FILE
    document, raw_bytes = _read_yaml(threat_path)
    digest.update(THREAT_CATEGORIES_FILE.encode() + b"\0" + raw_bytes)
    threat_categories = parse_threat_categories(THREAT_CATEGORIES_FILE, document)

    _check_engine_rules(rules)
    _check_key_claims(rules)
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


def _parse_rule_file(filename: str, document: Mapping[str, Any]) -> Iterable[Rule]:
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
        text = _condition_text(expected)
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


def _check_engine_rules(rules: list[Rule]) -> None:
    by_id = {rule.id: rule for rule in rules}
    for rule_id in EngineRule:
        rule = by_id.get(rule_id)
        if rule is None:
            msg = f"engine rule {rule_id.value!r} is missing from the catalogue"
            raise RuleError(msg)
        if rule.trigger != "engine":
            msg = f"{rule.source_file}: rule {rule.id!r}: must have 'trigger: engine'"
            raise RuleError(msg)


def _check_key_claims(rules: list[Rule]) -> None:
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
