"""Field-shaped rows through the real integration: what users see of them in Home Assistant.

Rows a console sends that cannot be read are named in the notification and in diagnostics, and
keys read through their known event are listed in diagnostics, so a support request can say
which variant a console sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.unifi_scanner.const import DOMAIN
from tests.simulator import Mode

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


@pytest.fixture
def simulator_scenario() -> str:
    """Serve the field office: captured row shapes beside generated traffic."""
    return "field"


@pytest.fixture
def simulator_mode() -> Mode:
    """Play a Network 10 console, where the v2 system log is the only log."""
    return Mode.NETWORK10


async def test_unread_rows_and_key_variants_reach_the_user(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    notification = hass.data["persistent_notification"][f"{DOMAIN}_{init_integration.entry_id}"]
    message: str = notification["message"]
    assert "3 rows could not be read" in message
    assert "system log: 2 without a usable id or time and 1 repeating an earlier id" in message

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    report = diagnostics["last_scan"]["report"]
    assert report["skipped_rows"] == {"system_log": {"unreadable": 2, "conflicting": 1}}
    variants = {(item["key"], item["event"]) for item in report["key_variants"]}
    assert ("ADMIN_LOGIN_FAILED_SSH", "ADMIN_LOGIN_FAILED") in variants
    assert ("THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT", "THREAT_BLOCKED") in variants
    outcomes = {group["outcome"] for group in report["threats"]["groups"]}
    assert {"blocked_inbound", "detected_outbound"} <= outcomes
