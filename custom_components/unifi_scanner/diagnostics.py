"""Diagnostics: configuration without secrets, the checkpoint, the last report and capabilities.

The auth method is shown (``entry.data.auth_method``); the password or API key never is.

MAC and IP addresses anywhere in the dump are replaced by stable pseudonyms (the same address
gets the same stand-in within one dump), so a dump can be shared without revealing the network.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_USERNAME

from .const import CONF_SITE_ID
from .findings import report_summary
from .scanner.render import report_to_dict

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import UnifiScannerConfigEntry

TO_REDACT = {
    CONF_HOST,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_API_KEY,
    CONF_SITE_ID,
    "unique_id",
    "anonymous_id",
}

_MAC_RE = re.compile(r"(?i)\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b")
_IPV4_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Full eight-group form, or any form with "::"; times like 12:00:00 never match.
_IPV6_RE = re.compile(
    r"(?i)(?<![0-9a-f:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
    r"|(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?)(?![0-9a-f:])"
)
# Dotted version numbers look like IPv4 addresses; they are kept as they are.
_KEEP = frozenset({"version"})


class _Pseudonyms:
    """Hand out stand-ins: MACs as 00:00:00:00:00:NN, IPs from the documentation ranges."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def _replace(self, kind: str, value: str) -> str:
        key = f"{kind}:{value.lower()}"
        if key not in self._seen:
            number = len(self._seen) + 1
            self._seen[key] = {
                "mac": f"00:00:00:00:{number // 256:02x}:{number % 256:02x}",
                "ip4": f"192.0.2.{number % 256}",
                "ip6": f"2001:db8::{number:x}",
            }[kind]
        return self._seen[key]

    def text(self, value: str) -> str:
        value = _MAC_RE.sub(lambda m: self._replace("mac", m.group(0)), value)
        value = _IPV6_RE.sub(lambda m: self._replace("ip6", m.group(0)), value)
        return _IPV4_RE.sub(lambda m: self._replace("ip4", m.group(0)), value)

    def walk(self, value: Any) -> Any:
        """Pseudonymise every string inside ``value`` (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                self.walk(key): item if key in _KEEP else self.walk(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.walk(item) for item in value]
        return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
) -> dict[str, Any]:
    """Return the diagnostics of one entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    last = coordinator.data
    dump = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "gateway": asdict(runtime.gateway),
        "capabilities": asdict(runtime.capabilities),
        # The kept stream rows are gateway data: counted under "live", not dumped.
        "checkpoint": {
            key: value
            for key, value in coordinator.store.state.to_dict().items()
            if key != "live_rows"
        },
        "live": runtime.live.diagnostics,
        "last_scan_attempt": coordinator.last_attempt.isoformat()
        if coordinator.last_attempt
        else None,
        "last_update_success": coordinator.last_update_success,
        "last_scan": None
        if last is None
        else {
            "summary": report_summary(last.report, last.fresh),
            "new_entries": last.new_entries,
            "committed": last.committed,
            "delivery": None if last.delivery is None else dict(last.delivery.results),
            "report": report_to_dict(last.report),
        },
    }
    return _Pseudonyms().walk(async_redact_data(dump, TO_REDACT))  # type: ignore[no-any-return]
