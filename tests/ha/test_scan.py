"""Scans end to end: entity states, the checkpoint, exactly-once reporting and retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_PERSISTENT_NOTIFICATION,
    DOMAIN,
    EVENT_FINDING,
    EVENT_REPORT,
)

from .conftest import UNIQUE_ID, async_next_scan

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall

    from tests.simulator import GatewaySimulator

STORE_KEY = f"{DOMAIN}.{{}}"


def _state(hass: HomeAssistant, key: str, platform: str = "sensor") -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{UNIQUE_ID}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone (a mocked notify action) about every finding."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the calls of notify.phone."""
    return async_mock_service(hass, "notify", "phone")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_first_scan_sets_entities_and_checkpoint(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, UNIQUE_ID)})
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "Ubiquiti"

    findings = int(_state(hass, "findings"))
    assert findings > 0
    severe, medium, low = (int(_state(hass, f"{s}_findings")) for s in ("severe", "medium", "low"))
    assert severe + medium + low == findings
    assert int(_state(hass, "threats")) > 0
    assert _state(hass, "problem", "binary_sensor") == STATE_ON  # the garage AP is offline
    for key in ("last_report", "last_scan", "checkpoint"):
        assert _state(hass, key) not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    assert _state(hass, "finding", "event") not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    assert _state(hass, "scan_now", "button") == STATE_UNKNOWN
    assert int(_state(hass, "unknown_keys")) >= 0

    attributes = hass.states.get(
        er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE_ID}_findings") or ""
    )
    assert attributes is not None
    assert len(attributes.attributes["top_findings"]) == min(findings, 5)
    assert len(str(attributes.attributes)) < 4096

    assert len(phone) == 1
    assert phone[0].data["title"].startswith("UniFi Scanner")
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]
    assert stored["version"] == 1
    assert stored["data"]["checkpoint"]["last_success"] is not None
    assert stored["data"]["checkpoint"]["marks"]


async def test_second_scan_reports_nothing_then_new_events_once(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    finding_events = async_capture_events(hass, EVENT_FINDING)
    report_events = async_capture_events(hass, EVENT_REPORT)
    assert len(phone) == 1

    await async_next_scan(hass, freezer)
    assert len(phone) == 1
    assert finding_events == []
    assert report_events[-1].data["nothing_new"] is True
    assert _state(hass, "problem", "binary_sensor") == STATE_ON  # still offline, not re-sent

    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) == 2
    assert [event.data["rule_id"] for event in finding_events] == ["rogue_dhcp_detected"]
    assert finding_events[0].data["severity"] == "severe"
    assert finding_events[0].data["entry_id"] == init_integration.entry_id
    assert int(_state(hass, "severe_findings")) >= 1
    event_state = hass.states.get(
        er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{UNIQUE_ID}_finding") or ""
    )
    assert event_state is not None
    assert event_state.attributes["event_type"] == "severe"
    assert event_state.attributes["rule_id"] == "rogue_dhcp_detected"

    await async_next_scan(hass, freezer)
    assert len(phone) == 2
    assert len(finding_events) == 1


async def test_failed_delivery_keeps_checkpoint_and_retries(
    hass: HomeAssistant,
    freezer: Any,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    delivered: list[ServiceCall] = []
    broken = True

    async def flaky_notify(call: ServiceCall) -> None:
        if broken:
            msg = "phone unreachable"
            raise HomeAssistantError(msg)
        delivered.append(call)

    hass.services.async_register("notify", "phone", flaky_notify)
    finding_events = async_capture_events(hass, EVENT_FINDING)
    key = STORE_KEY.format(config_entry.entry_id)
    issue_id = f"delivery_failed_{config_entry.entry_id}"

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert key not in hass_storage
    first_findings = int(_state(hass, "findings"))
    assert first_findings > 0
    assert finding_events == []  # no finding event until every channel has taken the report

    await async_next_scan(hass, freezer)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await async_next_scan(hass, freezer)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"entry": "Home", "channels": "notify.phone"}
    assert key not in hass_storage
    assert finding_events == []

    broken = False
    await async_next_scan(hass, freezer)
    assert len(delivered) == 1
    assert int(_state(hass, "findings")) >= first_findings  # the first period is in it
    assert len(finding_events) >= first_findings
    assert key in hass_storage
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    await async_next_scan(hass, freezer)
    assert len(delivered) == 1
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_reload_and_restart_keep_checkpoint(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    assert len(phone) == 1
    stored = hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"]

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(phone) == 1
    assert _state(hass, "last_report") != STATE_UNKNOWN
    new = hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"]
    assert new["last_report_at"] == stored["last_report_at"]


async def test_persistent_notification_only_channel(
    hass: HomeAssistant, freezer: Any, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_MIN_SEVERITY: "severe", CONF_PERSISTENT_NOTIFICATION: True}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    notifications = hass.data["persistent_notification"]
    notification = notifications[f"{DOMAIN}_{config_entry.entry_id}"]
    assert notification["title"].startswith("UniFi Scanner")

    # Below the minimum severity: an event, but no new notification.
    del notifications[f"{DOMAIN}_{config_entry.entry_id}"]
    finding_events = async_capture_events(hass, EVENT_FINDING)
    simulator.append_event("EVT_AD_LoginFailed")
    await async_next_scan(hass, freezer)
    assert [event.data["severity"] for event in finding_events] == ["medium"]
    assert f"{DOMAIN}_{config_entry.entry_id}" not in notifications
    assert await hass.config_entries.async_unload(config_entry.entry_id)
