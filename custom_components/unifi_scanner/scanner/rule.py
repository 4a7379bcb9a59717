"""One rule: what it matches, how urgent it is, and the words its findings use.

The vocabulary rules are written in lives here too: the subjects a finding can be about, the
engine aggregations and engine-raised rules, and every placeholder a text may use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from .models import Category, Finding, Severity
from .wording import TITLE_VALUE_LENGTH, render_template

if TYPE_CHECKING:
    import re
    from collections.abc import Mapping
    from datetime import datetime

    from .models import LogEntry

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
                if condition_text(raw.get(name)) != expected:
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


def condition_text(value: Any) -> str | None:
    """Compare field conditions on lower-case text; only scalars can match."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value).lower()
    return None
