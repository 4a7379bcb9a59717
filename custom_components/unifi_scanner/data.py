"""Typed runtime data, options and scan results shared by the integration's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .const import (
    ANNOUNCE_OFF,
    CONF_ANNOUNCE_AT_ONCE,
    CONF_CATEGORY_MIN_SEVERITY,
    CONF_CPU_CRITICAL,
    CONF_CPU_WARNING,
    CONF_DISABLED_RULES,
    CONF_HTML_NOTIFY_SERVICES,
    CONF_LOOKBACK_HOURS,
    CONF_MAX_LOOKBACK_DAYS,
    CONF_MEMORY_CRITICAL,
    CONF_MEMORY_WARNING,
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_PERSISTENT_NOTIFICATION,
    CONF_POLL_INTERVAL,
    CONF_REPORT_FILES,
    CONF_RETENTION_DAYS,
    CONF_SCAN_INTERVAL,
    CONF_TEMPERATURE_CRITICAL,
    CONF_TEMPERATURE_WARNING,
    DEFAULT_ANNOUNCE_AT_ONCE,
    DEFAULT_LOOKBACK_HOURS,
    DEFAULT_MAX_LOOKBACK_DAYS,
    DEFAULT_MIN_SEVERITY,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SCAN_INTERVAL,
    THRESHOLD_DEFAULTS,
)
from .scanner.engine import Thresholds
from .scanner.models import Category, Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .coordinator import UnifiScannerCoordinator
    from .live import LiveAlerts
    from .scanner.client import UnifiClient
    from .scanner.models import Capabilities, Finding, GatewayInfo
    from .scanner.report import Report


type UnifiScannerConfigEntry = ConfigEntry[UnifiScannerRuntimeData]


@dataclass(kw_only=True, slots=True)
class UnifiScannerRuntimeData:
    """What one loaded entry keeps: the gateway client, its coordinator and what setup learned."""

    client: UnifiClient
    coordinator: UnifiScannerCoordinator
    capabilities: Capabilities
    gateway: GatewayInfo
    live: LiveAlerts


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannerOptions:
    """The entry's options, typed and with defaults filled in."""

    scan_interval: timedelta
    lookback: timedelta
    max_lookback: timedelta
    min_severity: Severity
    persistent_notification: bool
    notify_services: tuple[str, ...]
    html_notify_services: tuple[str, ...]
    report_files: bool
    retention_days: int
    thresholds: Thresholds
    disabled_rules: frozenset[str] = frozenset()
    category_min_severity: Mapping[Category, Severity] = field(default_factory=dict)
    announce_at_once: Severity | None = Severity.SEVERE
    """The least urgent severity announced live, None when live announcements are off."""
    poll_interval: timedelta = timedelta(seconds=DEFAULT_POLL_INTERVAL)

    def announces_at_once(self, finding: Finding) -> bool:
        """Whether ``finding`` is urgent enough to be announced the moment it happens."""
        level = self.announce_at_once
        return level is not None and finding.severity.rank <= level.rank

    def notifies(self, finding: Finding) -> bool:
        """Whether ``finding`` is urgent enough to notify: its category's minimum, or the global."""
        minimum = self.category_min_severity.get(finding.category, self.min_severity)
        return finding.severity.rank <= minimum.rank

    @property
    def render_severity(self) -> Severity:
        """The least urgent severity any category notifies about: reports show down to it."""
        minimums = [self.min_severity, *self.category_min_severity.values()]
        return max(minimums, key=lambda severity: severity.rank)

    @property
    def notify_targets(self) -> tuple[str, ...]:
        """Every notify action that receives the report (plain first, then HTML-only ones)."""
        return tuple(dict.fromkeys((*self.notify_services, *self.html_notify_services)))

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ScannerOptions:
        """Read ``entry.options``; a missing key takes its default."""
        thresholds = {key: options.get(key, default) for key, default in THRESHOLD_DEFAULTS}
        return cls(
            scan_interval=timedelta(minutes=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)),
            lookback=timedelta(hours=options.get(CONF_LOOKBACK_HOURS, DEFAULT_LOOKBACK_HOURS)),
            max_lookback=timedelta(
                days=options.get(CONF_MAX_LOOKBACK_DAYS, DEFAULT_MAX_LOOKBACK_DAYS)
            ),
            min_severity=Severity(options.get(CONF_MIN_SEVERITY, DEFAULT_MIN_SEVERITY)),
            persistent_notification=options.get(CONF_PERSISTENT_NOTIFICATION, True),
            notify_services=tuple(options.get(CONF_NOTIFY_SERVICES, ())),
            html_notify_services=tuple(options.get(CONF_HTML_NOTIFY_SERVICES, ())),
            report_files=options.get(CONF_REPORT_FILES, False),
            retention_days=options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS),
            thresholds=Thresholds(
                temperature_warning=thresholds[CONF_TEMPERATURE_WARNING],
                temperature_critical=thresholds[CONF_TEMPERATURE_CRITICAL],
                cpu_warning=thresholds[CONF_CPU_WARNING],
                cpu_critical=thresholds[CONF_CPU_CRITICAL],
                memory_warning=thresholds[CONF_MEMORY_WARNING],
                memory_critical=thresholds[CONF_MEMORY_CRITICAL],
            ),
            disabled_rules=frozenset(options.get(CONF_DISABLED_RULES, ())),
            announce_at_once=_announce_level(
                options.get(CONF_ANNOUNCE_AT_ONCE, DEFAULT_ANNOUNCE_AT_ONCE)
            ),
            poll_interval=timedelta(seconds=options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)),
            category_min_severity={
                Category(category): Severity(severity)
                for category, severity in options.get(CONF_CATEGORY_MIN_SEVERITY, {}).items()
                if category in Category and severity in Severity
            },
        )


def _announce_level(value: object) -> Severity | None:
    """Read the announce-at-once option (``off`` or a severity)."""
    if value == ANNOUNCE_OFF or value not in Severity:
        return None
    return Severity(str(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOutcome:
    """Which delivery channels succeeded; the checkpoint moves only when all of them did."""

    results: Mapping[str, bool]
    notified: bool

    @property
    def ok(self) -> bool:
        """True when every enabled channel succeeded."""
        return all(self.results.values())

    @property
    def failed(self) -> tuple[str, ...]:
        """The channels that failed, in delivery order."""
        return tuple(channel for channel, ok in self.results.items() if not ok)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """One scan: its report, and (unless it was a preview) how delivery went."""

    report: Report
    fresh: tuple[Finding, ...]
    new_entries: int
    delivery: DeliveryOutcome | None
    committed: bool
