"""Constants: the domain, option keys with their defaults and bounds, and event names."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "unifi_scanner"
LOGGER = logging.getLogger(__package__)

# Entry data (connection); host, port, username, password, api_key and verify_ssl use HA's
# CONF_* names. The auth method is one of scanner.auth.AuthMethod's values.
CONF_AUTH_METHOD: Final = "auth_method"
CONF_SITE: Final = "site"
CONF_SITE_ID: Final = "site_id"

# Options.
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_LOOKBACK_HOURS: Final = "lookback_hours"
CONF_MAX_LOOKBACK_DAYS: Final = "max_lookback_days"
CONF_MIN_SEVERITY: Final = "min_severity"
CONF_PERSISTENT_NOTIFICATION: Final = "persistent_notification"
CONF_NOTIFY_SERVICES: Final = "notify_services"
CONF_HTML_NOTIFY_SERVICES: Final = "html_notify_services"
CONF_REPORT_FILES: Final = "report_files"
CONF_RETENTION_DAYS: Final = "retention_days"
CONF_TEMPERATURE_WARNING: Final = "temperature_warning"
CONF_TEMPERATURE_CRITICAL: Final = "temperature_critical"
CONF_CPU_WARNING: Final = "cpu_warning"
CONF_CPU_CRITICAL: Final = "cpu_critical"
CONF_MEMORY_WARNING: Final = "memory_warning"
CONF_MEMORY_CRITICAL: Final = "memory_critical"
CONF_DISABLED_RULES: Final = "disabled_rules"
CONF_CATEGORY_MIN_SEVERITY: Final = "category_min_severity"
CONF_ANNOUNCE_AT_ONCE: Final = "announce_at_once"
CONF_POLL_INTERVAL: Final = "poll_interval"
ANNOUNCE_OFF: Final = "off"
# A category's own minimum severity, in the rules step, as "category_<category>".
CATEGORY_FIELD_PREFIX: Final = "category_"
USE_GLOBAL_SEVERITY: Final = "default"

SECTION_DELIVERY: Final = "delivery"
SECTION_THRESHOLDS: Final = "thresholds"

DEFAULT_SCAN_INTERVAL: Final = 60  # minutes
MIN_SCAN_INTERVAL: Final = 15
MAX_SCAN_INTERVAL: Final = 1440
DEFAULT_LOOKBACK_HOURS: Final = 24
MAX_LOOKBACK_HOURS: Final = 168
DEFAULT_MAX_LOOKBACK_DAYS: Final = 7
MAX_MAX_LOOKBACK_DAYS: Final = 30
DEFAULT_MIN_SEVERITY: Final = "medium"
DEFAULT_RETENTION_DAYS: Final = 30
DEFAULT_ANNOUNCE_AT_ONCE: Final = "severe"
ANNOUNCE_LEVELS: Final = (ANNOUNCE_OFF, "severe", "medium")
DEFAULT_POLL_INTERVAL: Final = 60  # seconds, when the event stream is refused
MIN_POLL_INTERVAL: Final = 30
MAX_POLL_INTERVAL: Final = 300
MAX_RETENTION_DAYS: Final = 365

# (option key, default) for the device-health thresholds, in form order.
THRESHOLD_DEFAULTS: Final[tuple[tuple[str, int], ...]] = (
    (CONF_TEMPERATURE_WARNING, 80),
    (CONF_TEMPERATURE_CRITICAL, 90),
    (CONF_CPU_WARNING, 80),
    (CONF_CPU_CRITICAL, 95),
    (CONF_MEMORY_WARNING, 85),
    (CONF_MEMORY_CRITICAL, 95),
)

# Bus events (schema documented in the README).
EVENT_FINDING: Final = f"{DOMAIN}_finding"
EVENT_REPORT: Final = f"{DOMAIN}_report"

# Consecutive failures of one delivery channel before a repair issue is raised.
DELIVERY_FAILURES_BEFORE_ISSUE: Final = 3

# Batches bigger than this are analysed and rendered in the executor.
LARGE_BATCH: Final = 200

SERVICE_RUN_SCAN: Final = "run_scan"
SERVICE_RESET_CHECKPOINT: Final = "reset_checkpoint"
SERVICE_MUTE: Final = "mute"
SERVICE_UNMUTE: Final = "unmute"
SERVICE_LIST_MUTES: Final = "list_mutes"
SERVICE_ACKNOWLEDGE: Final = "acknowledge"
ATTR_FINDING_ID: Final = "finding_id"
ATTR_RULE_ID: Final = "rule_id"
ATTR_SUBJECT: Final = "subject"
ATTR_DURATION: Final = "duration"
ATTR_FOREVER: Final = "forever"
ATTR_REASON: Final = "reason"
ATTR_ALL: Final = "all"
DEFAULT_MUTE_DURATION: Final = timedelta(days=7)

# Phone notification actions: "<prefix><entry id>:<finding id>".
ACTION_MUTE_PREFIX: Final = "UNIFI_SCANNER_MUTE:"
ACTION_ACKNOWLEDGE_PREFIX: Final = "UNIFI_SCANNER_ACK:"
MOBILE_APP_PREFIX: Final = "mobile_app_"
ATTR_CONFIG_ENTRY: Final = "config_entry"
ATTR_DELIVER: Final = "deliver"
ATTR_SINCE: Final = "since"
ATTR_LOOKBACK_HOURS: Final = "lookback_hours"


def signal_finding(entry_id: str) -> str:
    """Dispatcher signal that carries one new finding to the entry's event entity."""
    return f"{DOMAIN}_{entry_id}_finding"
