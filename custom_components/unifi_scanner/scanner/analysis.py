"""What the analysis of a period says: its findings, the threat and health pictures, the keys.

The engine makes an ``Analysis``; the report places it in time and every format renders it.
"""

from __future__ import annotations

from collections.abc import Mapping  # noqa: TC003 - see below
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - see below

# Imported at run time, not for type checking only, so that the field types resolve where
# dataclass tools read them (``typing.get_type_hints``, the property tests' strategies).
from .models import Finding, HealthSubsystem, Severity  # noqa: TC001


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatGroup:
    """IPS alerts sharing one signature."""

    signature: str
    signature_id: int | None
    category: str
    category_label: str
    severity: Severity
    count: int
    blocked: int
    detected: int
    sources: tuple[str, ...]
    """The busiest of its source addresses, at most ``threats.GROUP_SOURCE_LIMIT``."""
    source_count: int
    """How many source addresses it had in all."""
    sources_at_least: bool = False
    """Whether ``source_count`` is a lower bound (a flood of addresses past those counted)."""
    cybersecure: bool
    remediation: str
    first_seen: datetime
    last_seen: datetime
    outcome: str = "blocked"
    """What happened to the group's most serious alert (``threat_catalogue.Outcome``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatSource:
    """An address that triggered IPS alerts."""

    ip: str
    count: int
    internal: bool
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatSummary:
    """All IPS activity of the period."""

    total: int = 0
    blocked: int = 0
    detected: int = 0
    cybersecure: int = 0
    groups: tuple[ThreatGroup, ...] = ()
    top_sources: tuple[ThreatSource, ...] = ()
    unranked_alerts: int = 0
    """Alerts from addresses past those counted per address (``threats.SOURCES_WATCHED``)."""
    unranked_sources: int = 0
    """How many such addresses there were (a lower bound when ``unranked_at_least``)."""
    unranked_at_least: bool = False

    @property
    def detection_only(self) -> bool:
        """True when alerts exist but none was blocked (IDS mode, not IPS)."""
        return self.total > 0 and self.blocked == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceHealth:
    """The health verdict for one device: ``status`` is healthy, warning, critical or offline."""

    mac: str
    name: str
    model: str | None
    status: str
    issues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSummary:
    """Device and subsystem health at collection time."""

    devices: tuple[DeviceHealth, ...] = ()
    subsystems: tuple[HealthSubsystem, ...] = ()

    @property
    def unhealthy(self) -> int:
        """Devices that are not healthy."""
        return sum(1 for device in self.devices if device.status != "healthy")


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyVariant:
    """A v2 key the catalogue does not list, read as the known event it specialises."""

    key: str
    event: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """What ``engine.analyze`` returns: findings plus the threat and health pictures."""

    findings: tuple[Finding, ...]
    threats: ThreatSummary
    health: HealthSummary
    unknown_keys: Mapping[str, int]
    entry_count: int
    unknown_keys_more: int = 0
    """Further unknown keys past those in ``unknown_keys`` (at least; ``engine.KEYS_KEPT``)."""
    key_variants: tuple[KeyVariant, ...] = ()
    ignored_entries: int = 0
    """Entries of rules the user turned off (counted, never reported as unknown)."""
    ignored_findings: int = 0
    """Findings of rules the user turned off (engine rules: health, threats, aggregations)."""
