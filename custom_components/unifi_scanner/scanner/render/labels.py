"""What the reports call things, and how much of each they show.

Labels for severities, categories and log sources, the product's name and version, and the
length and count caps every format shares; ``plain`` is the one cleaning of a gateway string
for display.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

from custom_components.unifi_scanner.scanner.models import Category, Severity, Source
from custom_components.unifi_scanner.scanner.sanitize import (
    clean,
    defang_urls,
    neutralize_templates,
)

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

PRODUCT: Final = "UniFi Scanner"
_FALLBACK_VERSION: Final = "0.0.0"
_MANIFEST: Final = Path(__file__).parents[2] / "manifest.json"

# Length caps per kind of gateway string (characters, before Markdown escaping).
LEN_NAME: Final = 120
LEN_TITLE: Final = 200
LEN_TEXT: Final = 1000
LEN_STEP: Final = 500
LEN_ISSUE: Final = 300
MAX_STEPS: Final = 10
MAX_GROUPS: Final = 10
MAX_SOURCES: Final = 10
MAX_DEVICES: Final = 50
MAX_ISSUES: Final = 5
MAX_UNKNOWN: Final = 25
MAX_MUTED: Final = 25

SEVERITY_LABELS: Final[dict[Severity, str]] = {
    Severity.SEVERE: "Severe",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}
CATEGORY_LABELS: Final[dict[Category, str]] = {
    Category.SECURITY: "Security",
    Category.CONNECTIVITY: "Connectivity",
    Category.WIRELESS: "Wireless",
    Category.FIRMWARE_SYSTEM: "Firmware and system",
    Category.POWER_POE: "Power and PoE",
    Category.PERFORMANCE: "Performance",
    Category.HEALTH: "Device health",
}
ANNOUNCED_AT: Final = "announced at {time}"
"""Marks a finding the live path announced before its report was made."""
SOURCE_LABELS: Final[dict[Source, str]] = {
    Source.SYSTEM_LOG: "system log",
    Source.EVENT: "event log",
    Source.ALARM: "alarms",
    Source.IPS: "IPS log",
    Source.LIVE: "event stream",
    Source.LIVE_ALERT: "event stream alerts",
}
DEVICE_STATUS_LABELS: Final = {
    "healthy": "healthy",
    "warning": "warning",
    "critical": "critical",
    "offline": "offline",
}


def _read_version() -> str:
    """Read the integration version from ``manifest.json`` once, at import (outside the loop)."""
    try:
        manifest = json.loads(_MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _FALLBACK_VERSION
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return clean(version, max_len=40) if isinstance(version, str) and version else _FALLBACK_VERSION


VERSION: Final = _read_version()


def plain(value: object, max_len: int) -> str:
    """Gateway string → one inert, bounded line: no URL to click, no template to expand."""
    return neutralize_templates(defang_urls(clean(value, max_len=max_len)))


def format_time(value: datetime, tz: tzinfo) -> str:
    """Minute-precision local time with its zone name, the same in every format."""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()
