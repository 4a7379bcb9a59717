"""Following up on findings: acknowledge, the to-do list, phone buttons and rule control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.unifi_scanner import todo as todo_module
from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    DOMAIN,
)
from custom_components.unifi_scanner.scanner.render import render_markdown

from .conftest import async_next_scan, coordinator_of, entity_id_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator import GatewaySimulator

STORE_KEY = f"{DOMAIN}.{{}}"
GARAGE_AP = "Garage AP"


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone running the companion app about medium and severe findings."""
    return {CONF_MIN_SEVERITY: "medium", CONF_NOTIFY_SERVICES: ["mobile_app_pixel"]}


@pytest.fixture(autouse=True)
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the calls of notify.mobile_app_pixel."""
    return async_mock_service(hass, "notify", "mobile_app_pixel")


def _problem(hass: HomeAssistant) -> str:
    state = hass.states.get(entity_id_of(hass, "binary_sensor", "problem"))
    assert state is not None
    return state.state


def _garage(simulator: GatewaySimulator) -> dict[str, Any]:
    return next(device for device in simulator.devices if device["name"] == GARAGE_AP)


async def _acknowledge(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call(DOMAIN, "acknowledge", data, blocking=True)


async def test_an_acknowledgement_turns_problem_off_until_the_condition_returns(
    hass: HomeAssistant,
    freezer: Any,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    assert _problem(hass) == STATE_ON
    await _acknowledge(hass)
    assert _problem(hass) == STATE_OFF
    report = coordinator_of(entry).data.report
    assert report.acknowledged == {finding.finding_id for finding in report.findings}
    assert "_(acknowledged)_" in render_markdown(report)
    findings = hass.states.get(entity_id_of(hass, "sensor", "findings"))
    assert findings is not None
    assert findings.attributes["acknowledged"] == len(report.findings)

    await async_next_scan(hass, freezer)  # nothing new; the AP is still offline
    assert _problem(hass) == STATE_OFF
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["acknowledged"]
    assert stored  # the device conditions' acknowledgements hold ...
    assert all(is_state for is_state in stored.values())  # ... the events' lapsed

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _problem(hass) == STATE_OFF  # persisted across a restart

    _garage(simulator)["state"] = 1  # the AP comes back: the condition cleared
    await async_next_scan(hass, freezer)
    offline = [
        f for f in coordinator_of(entry).data.report.findings if f.rule_id == "device_offline"
    ]
    assert offline == []
    calls = len(phone)
    _garage(simulator)["state"] = 0  # and fails again: news, not acknowledged
    await async_next_scan(hass, freezer)
    assert _problem(hass) == STATE_ON
    assert len(phone) == calls + 1
    assert "Garage AP is offline" in phone[-1].data["message"]


async def test_one_finding_and_the_button(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    coordinator = coordinator_of(init_integration)
    offline = next(f for f in coordinator.data.report.findings if f.rule_id == "device_offline")
    await _acknowledge(hass, finding_id=offline.finding_id)
    assert coordinator.data.report.acknowledged == {offline.finding_id}
    assert _problem(hass) == STATE_ON  # other severe findings are still open

    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id_of(hass, "button", "acknowledge_all")},
        blocking=True,
    )
    assert _problem(hass) == STATE_OFF


async def _todo_items(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    response: Any = await hass.services.async_call(
        "todo", "get_items", {"entity_id": entity_id}, blocking=True, return_response=True
    )
    return list(response[entity_id]["items"])


async def test_the_to_do_list_follows_open_findings(
    hass: HomeAssistant, hass_storage: dict[str, Any], init_integration: MockConfigEntry
) -> None:
    coordinator = coordinator_of(init_integration)
    entity_id = entity_id_of(hass, "todo", "open_findings")
    report = coordinator.data.report
    follow_up = [f for f in report.findings if f.severity.value in {"severe", "medium"}]
    items = await _todo_items(hass, entity_id)
    assert [item["uid"] for item in items] == [f.finding_id for f in follow_up]
    assert [item["summary"] for item in items] == [f.title for f in follow_up]
    first = follow_up[0]
    assert items[0]["description"].startswith(first.explanation[:40])
    assert first.remediation[0][:40] in items[0]["description"]
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == str(len(follow_up))

    await hass.services.async_call(
        "todo",
        "update_item",
        {"entity_id": entity_id, "item": first.finding_id, "status": "completed"},
        blocking=True,
    )
    assert first.finding_id in coordinator.data.report.acknowledged
    second = follow_up[1]
    await hass.services.async_call(
        "todo", "remove_item", {"entity_id": entity_id, "item": [second.finding_id]}, blocking=True
    )
    (muted,) = coordinator.data.report.muted
    assert muted.finding.finding_id == second.finding_id
    assert muted.mute.reason == "Deleted from the to-do list"
    assert muted.mute.until is not None
    left = await _todo_items(hass, entity_id)
    assert [item["uid"] for item in left] == [f.finding_id for f in follow_up[2:]]
    stored = hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"]
    assert [mute["finding_id"] for mute in stored["mutes"]] == [second.finding_id]


async def test_phone_buttons_mute_and_acknowledge_known_findings_only(
    hass: HomeAssistant, phone: list[ServiceCall], init_integration: MockConfigEntry
) -> None:
    coordinator = coordinator_of(init_integration)
    call = phone[0]
    assert len(phone) == 1
    actions = call.data["data"]["actions"]
    assert [action["title"] for action in actions] == ["Mute 7 days", "Acknowledge"]
    mute_id, ack_id = (action["action"] for action in actions)
    top = coordinator.data.report.findings[0]
    assert mute_id == f"UNIFI_SCANNER_MUTE:{init_integration.entry_id}:{top.finding_id}"

    forged = [
        f"UNIFI_SCANNER_MUTE:{init_integration.entry_id}:device_offline.0000000000",
        f"UNIFI_SCANNER_MUTE:not-an-entry:{top.finding_id}",
        f"UNIFI_SCANNER_ACK:{init_integration.entry_id}:../../etc",
        "UNIFI_SCANNER_ACK:",
        "SOMETHING_ELSE",
    ]
    for action in forged:
        hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    hass.bus.async_fire("mobile_app_notification_action", {"action": 42})
    await hass.async_block_till_done()
    assert not coordinator.data.report.muted
    assert not coordinator.data.report.acknowledged

    hass.bus.async_fire("mobile_app_notification_action", {"action": ack_id})
    await hass.async_block_till_done()
    assert coordinator.data.report.acknowledged == {top.finding_id}
    hass.bus.async_fire("mobile_app_notification_action", {"action": mute_id})
    await hass.async_block_till_done()
    muted = coordinator.data.report.muted
    assert [item.finding.finding_id for item in muted] == [top.finding_id]
    assert muted[0].mute.reason == "Muted from a phone notification"


async def test_rules_turned_off_are_ignored_and_categories_notify_at_their_own_level(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    menu = await hass.config_entries.options.async_init(entry.entry_id)
    form = await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": "rules"}
    )
    assert form["type"] is FlowResultType.FORM
    assert form["step_id"] == "rules"
    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        {
            "disabled_rules": ["rogue_dhcp_detected"],
            "category_security": "low",
            "category_wireless": "default",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["disabled_rules"] == ["rogue_dhcp_detected"]
    assert entry.options["category_min_severity"] == {"security": "low"}
    assert entry.options[CONF_NOTIFY_SERVICES] == ["mobile_app_pixel"]  # the rest is kept
    await hass.async_block_till_done()

    calls = len(phone)
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    report = coordinator_of(entry).data.report
    assert all(f.rule_id != "rogue_dhcp_detected" for f in report.findings)
    assert "EVT_SW_DetectRogueDHCP" not in report.unknown_keys
    assert report.ignored_entries == 1
    assert len(phone) == calls  # nothing else was new
    assert "Ignored by your settings: 1 log entry of rules you turned off." in render_markdown(
        report
    )

    simulator.append_event("EVT_AD_Login")  # a low security finding: security notifies from low
    await async_next_scan(hass, freezer)
    assert len(phone) == calls + 1
    assert "signed in" in phone[-1].data["message"]

    simulator.append_event("EVT_AP_RadarDetected", radar_channel=52)  # medium wireless
    await async_next_scan(hass, freezer)
    assert len(phone) == calls + 2

    # Reopening the form shows what was chosen.
    menu = await hass.config_entries.options.async_init(entry.entry_id)
    form = await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": "rules"}
    )
    schema = form["data_schema"]
    assert schema is not None
    suggested = {
        str(key): key.description["suggested_value"] for key in schema.schema if key.description
    }
    assert suggested["disabled_rules"] == ["rogue_dhcp_detected"]
    assert suggested["category_security"] == "low"
    assert suggested["category_wireless"] == "default"


async def test_an_event_acknowledgement_lapses_when_the_events_come_again(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(init_integration)
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    rogue = next(f for f in coordinator.data.report.findings if f.rule_id == "rogue_dhcp_detected")
    await _acknowledge(hass, finding_id=rogue.finding_id)
    assert rogue.finding_id in coordinator.data.report.acknowledged
    calls = len(phone)

    simulator.append_event("EVT_SW_DetectRogueDHCP")  # the same kind of event, later
    await async_next_scan(hass, freezer)
    again = next(f for f in coordinator.data.report.findings if f.rule_id == "rogue_dhcp_detected")
    assert again.finding_id == rogue.finding_id  # the same condition, the same id ...
    assert again.finding_id not in coordinator.data.report.acknowledged  # ... but news again
    assert len(phone) == calls + 1
    assert _problem(hass) == STATE_ON


async def test_the_to_do_list_remakes_only_the_items_whose_text_changed(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every state write reads the list; unchanged findings keep the items already made."""
    todo_module._item.cache_clear()  # items of other tests' identical findings are not reused
    coordinator = coordinator_of(init_integration)
    entity_id = entity_id_of(hass, "todo", "open_findings")
    before = await _todo_items(hass, entity_id)
    assert len(before) >= 2
    made = todo_module._item.cache_info().misses
    coordinator.async_update_listeners()  # a state write with the same findings
    await hass.async_block_till_done()
    assert await _todo_items(hass, entity_id) == before
    assert todo_module._item.cache_info().misses == made  # nothing was made again

    simulator.append_event("EVT_SW_DetectRogueDHCP")  # a new severe finding
    await async_next_scan(hass, freezer)
    rogue = next(f for f in coordinator.data.report.findings if f.rule_id == "rogue_dhcp_detected")
    after = await _todo_items(hass, entity_id)
    assert rogue.finding_id in {item["uid"] for item in after}
    remade = todo_module._item.cache_info().misses - made
    assert 1 <= remade < len(after)  # the new finding's item was made, the others reused ...
    assert [item for item in after if item["uid"] != rogue.finding_id] == [
        item for item in before if item["uid"] in {i["uid"] for i in after}
    ]  # ... and read the same
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == str(len(after))
