"""Typed models shared by the client, the engine and the reports.

Wire data is normalised into these frozen dataclasses at the boundary; only ``raw`` keeps the
gateway's fields (for diagnostics and for rule fields that have no typed home).
Every ``datetime`` here is timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping


class Source(StrEnum):
    """Where an entry came from; ids are unique only within one source."""

    SYSTEM_LOG = "system_log"
    EVENT = "event"
    ALARM = "alarm"
    IPS = "ips"
    LIVE = "live"
    """``events`` frames of the console's event stream."""
    LIVE_ALERT = "live_alert"
    """``alert`` frames of the event stream (alarm-shaped twins of some events)."""


class Severity(StrEnum):
    """How urgently a finding needs attention."""

    SEVERE = "severe"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent; sorts findings severe → low."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.SEVERE: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


class Direction(StrEnum):
    """Which way an alert's traffic went, seen from the site."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Category(StrEnum):
    """What a finding is about."""

    SECURITY = "security"
    CONNECTIVITY = "connectivity"
    WIRELESS = "wireless"
    FIRMWARE_SYSTEM = "firmware_system"
    POWER_POE = "power_poe"
    PERFORMANCE = "performance"
    HEALTH = "health"


# --- what the gateway tells us ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A UniFi site: ``name`` is the short name used in URLs, ``description`` the display name."""

    id: str
    name: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayInfo:
    """Identity of the Network application (``stat/sysinfo``)."""

    version: str | None
    hostname: str | None
    name: str | None
    timezone: str | None
    device_type: str | None
    anonymous_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What this gateway supports, as found by probing; decided once per session."""

    unifi_os: bool
    system_log: bool
    legacy_events: bool
    alarms: bool
    ips: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Threat:
    """The IDS/IPS part of an alert (legacy flat ``inner_alert_*`` fields or a v2 threat entry)."""

    signature: str
    signature_id: int | None
    category: str
    action: str
    blocked: bool
    severity: int | None
    src_ip: str | None
    src_port: int | None
    dest_ip: str | None
    dest_port: int | None
    proto: str | None
    src_country: str | None
    direction: Direction | None = None
    """Inbound (from outside to the site), outbound (the reverse), or None when unknown."""


# The newest millisecond a ``datetime`` can show (9999-12-31 23:59:59.999 UTC).
LATEST_MS: Final = 253_402_300_799_999
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One occurrence from any source, normalised.

    ``key`` is the legacy ``EVT_*`` key or the v2 system-log key (``CLIENT_CONNECTED`` …).
    ``device_*`` name the UniFi device involved (AP, switch, gateway), ``client_*`` the client.
    ``raw`` is the gateway item as received: rule conditions read its top-level scalars,
    ``normalize.template_fields`` and ``subjects.role_name`` its v2 parameter roles and threat
    groups. A scan keeps an entry only while its page is analysed (and a finding its newest),
    so the item is not copied or trimmed. ``time_ms`` is within what ``datetime`` can show
    (``LATEST_MS``; the normalisers skip a row that is not).
    """

    source: Source
    id: str
    key: str
    time_ms: int
    message: str
    subsystem: str | None = None
    device_mac: str | None = None
    device_name: str | None = None
    client_mac: str | None = None
    client_name: str | None = None
    ip: str | None = None
    threat: Threat | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def time(self) -> datetime:
        """When it happened, in UTC.

        Computed when asked: a scan shows the times of a few entries per finding, while a
        stored ``datetime`` per entry cost an object and about 20 ms per 100 000 entries.
        """
        return _EPOCH + timedelta(milliseconds=self.time_ms)


@dataclass(frozen=True, slots=True, kw_only=True)
class Temperature:
    """One temperature sensor of a device, in °C."""

    name: str
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Storage:
    """One storage volume of a console (bytes)."""

    name: str
    size: int
    used: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WanMonitor:
    """One target a gateway pings to judge a WAN link."""

    target: str
    availability: float | None
    latency_ms: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WanLink:
    """One WAN uplink as a gateway reports it."""

    name: str
    up: bool | None
    latency_ms: float | None
    availability: float | None
    monitors: tuple[WanMonitor, ...] = ()
    """The per-target monitors the figures come from; empty when the link had its own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A UniFi device from ``stat/device``; ``state`` uses the gateway's numeric codes."""

    mac: str
    name: str
    model: str | None
    type: str | None
    state: int | None
    adopted: bool
    version: str | None
    upgradable: bool
    upgrade_to: str | None
    uptime: int | None
    cpu: float | None
    mem: float | None
    temperatures: tuple[Temperature, ...] = ()
    overheating: bool = False
    poe_used_w: float | None = None
    poe_budget_w: float | None = None
    storage: tuple[Storage, ...] = ()
    wan: tuple[WanLink, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSubsystem:
    """One subsystem of ``stat/health`` (wan, www, wlan, lan, vpn)."""

    subsystem: str
    status: str
    latency_ms: float | None = None
    availability: float | None = None
    num_disconnected: int | None = None
    tunnels_active: int | None = None
    """Site-to-site VPN tunnels up (``vpn`` only, None when site-to-site is off)."""
    tunnels_inactive: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedRows:
    """Rows of one source that could not be used: counted, so none vanish without a trace."""

    unreadable: int = 0
    """Rows without a usable id or time."""
    conflicting: int = 0
    """Rows whose id was already seen with different content (the first one is kept)."""

    @property
    def total(self) -> int:
        """Every row of the source that was skipped."""
        return self.unreadable + self.conflicting


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """Everything one collection brought back, entries sorted by time (oldest first)."""

    since: datetime
    until: datetime
    entries: tuple[LogEntry, ...]
    devices: tuple[Device, ...]
    health: tuple[HealthSubsystem, ...]
    capabilities: Capabilities
    unsupported: frozenset[Source] = frozenset()
    skipped: Mapping[Source, SkippedRows] = field(default_factory=dict)
    """Per source, the rows that could not be used (only sources with any)."""


# --- what the engine concludes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One rule hit on one subject, aggregated over the report period.

    ``title``/``explanation``/``remediation`` are already rendered from the rule's templates
    with *escaped-later* gateway strings: renderers must still treat them as untrusted.
    """

    rule_id: str
    severity: Severity
    category: Category
    title: str
    explanation: str
    remediation: tuple[str, ...]
    subject_name: str | None
    subject_mac: str | None
    subject_ip: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    keys: tuple[str, ...] = ()
    others: bool = False
    """About a rule's subjects past its own findings, together ("other addresses")."""
    finding_id: str = field(init=False, repr=False, compare=False)
    """The same id for the same condition in every report (rule and subject).

    Made once with the finding: reports, mutes, announcements and the to-do list look it up
    for every finding at every change, and a hash each time cost more than all the rest.
    """

    def __post_init__(self) -> None:
        """Name the finding (frozen, so through ``object``)."""
        finding_id = make_finding_id(self.rule_id, self.subject, others=self.others)
        object.__setattr__(self, "finding_id", finding_id)

    @property
    def ongoing(self) -> bool:
        """A device condition (offline, too hot) that holds while it lasts, not events.

        Such a finding has no event keys and comes back every scan until it clears.
        """
        return not self.keys

    @property
    def subject(self) -> str:
        """The subject as mutes match it: MAC, else IP, else name, lower-case."""
        return (self.subject_mac or self.subject_ip or self.subject_name or "").strip().lower()


def subject_key(rule_id: str, subject: str, *, others: bool = False) -> str:
    """Join a rule and a subject into the text a finding is known by.

    The finding about others puts a ``#`` before its subject where a subject's own has a ``|``
    (rule ids have neither), so an account that calls itself "other accounts" can never be
    taken for the finding about the other accounts.
    """
    return f"{rule_id}{'#' if others else '|'}{subject}"


def make_finding_id(rule_id: str, subject: str, *, others: bool = False) -> str:
    """Name a finding stably: its rule, a dot, and ten hex digits of its ``subject_key``."""
    text = subject_key(rule_id, subject, others=others)
    digest = hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()
    return f"{rule_id}.{digest[:10]}"
