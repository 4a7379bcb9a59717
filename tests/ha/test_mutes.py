"""Muting through Home Assistant: actions, what a muted finding does, expiry, restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.unifi_scanner.const import (
    DOMAIN,
    EVENT_FINDING,
)
from custom_components.unifi_scanner.scanner.models import Severity

from .conftest import PHONE_OPTIONS, async_next_scan, coordinator_of, entity_id_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator import GatewaySimulator

STORE_KEY = f"{DOMAIN}.{{}}"


# Every test's entry delivers to notify.phone.
pytestmark = pytest.mark.usefixtures("phone")


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Deliver every finding to notify.phone."""
    return dict(PHONE_OPTIONS)


def _state(hass: HomeAssistant, key: str, platform: str = "sensor") -> Any:
    state = hass.states.get(entity_id_of(hass, platform, key))
    assert state is not None
    return state


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=service == "list_mutes",
    )


async def test_a_muted_rule_never_notifies_over_scans_and_a_restart(
    hass: HomeAssistant,
    freezer: Any,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    findings = async_capture_events(hass, EVENT_FINDING)
    await _call(hass, "mute", rule_id="rogue_dhcp_detected", reason="Lab switch, known")
    assert len(phone) == 1  # the first report

    for _ in range(2):
        simulator.append_event("EVT_SW_DetectRogueDHCP")
        await async_next_scan(hass, freezer)
        report = coordinator_of(entry).data.report
        assert [item.finding.rule_id for item in report.muted] == ["rogue_dhcp_detected"]
        assert all(f.rule_id != "rogue_dhcp_detected" for f in report.findings)
        assert len(phone) == 1
        assert findings == []
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["mutes"]
    assert [(m["rule_id"], m["reason"]) for m in stored] == [
        ("rogue_dhcp_detected", "Lab switch, known")
    ]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) == 1
    assert findings == []
    assert _state(hass, "findings").attributes["muted"] == 1

    await _call(hass, "unmute", rule_id="rogue_dhcp_detected")
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) == 2
    assert [event.data["rule_id"] for event in findings] == ["rogue_dhcp_detected"]


async def test_a_muted_finding_is_listed_apart_and_never_a_problem(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(init_integration)
    report = coordinator.data.report
    severe_before = report.counts_by_severity[Severity.SEVERE]
    offline = next(f for f in report.findings if f.rule_id == "device_offline")
    await _call(hass, "mute", finding_id=offline.finding_id, forever=True)
    report = coordinator.data.report  # applied at once, without a scan
    assert [item.finding.finding_id for item in report.muted] == [offline.finding_id]
    assert report.muted[0].mute.until is None
    assert report.counts_by_severity[Severity.SEVERE] == severe_before - 1
    assert int(_state(hass, "severe_findings").state) == severe_before - 1

    # Mute every other severe finding: Problem goes off although they are all still there.
    for finding in report.findings:
        if finding.severity.value == "severe":
            await _call(hass, "mute", finding_id=finding.finding_id)
    assert _state(hass, "problem", "binary_sensor").state == STATE_OFF

    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    message = phone[-1].data["message"]
    assert "### Muted" in message
    assert "Garage AP is offline" in message.split("### Muted")[1]
    assert _state(hass, "problem", "binary_sensor").state == STATE_ON  # the new one is open


async def test_a_subject_mute_quiets_that_subject_only(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    coordinator = coordinator_of(init_integration)
    rogue = [f for f in coordinator.data.report.findings if f.rule_id == "rogue_ap_detected"]
    assert len(rogue) >= 2
    target = rogue[0]
    subject = (target.subject_mac or target.subject_name or "").upper()  # case does not matter
    await _call(hass, "mute", rule_id="rogue_ap_detected", subject=subject)
    report = coordinator.data.report
    assert [item.finding.finding_id for item in report.muted] == [target.finding_id]
    assert sum(f.rule_id == "rogue_ap_detected" for f in report.findings) == len(rogue) - 1


async def test_a_mute_ends_by_itself_and_the_report_says_so(
    hass: HomeAssistant,
    freezer: Any,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    await _call(hass, "mute", rule_id="rogue_dhcp_detected", duration={"minutes": 90})
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) == 1  # muted

    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)  # two hours after the mute: it ended
    assert len(phone) == 2
    assert "Mute ended: rogue\\_dhcp\\_detected" in phone[-1].data["message"]
    assert hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"]["mutes"] == []
    response = await _call(hass, "list_mutes")
    assert response == {"mutes": []}


async def test_list_and_unmute_everything(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await _call(hass, "mute", rule_id="device_offline", duration={"days": 2}, reason="Known")
    await _call(hass, "mute", rule_id="rogue_ap_detected", subject="AA-BB-CC-00-11-22")
    response = await _call(hass, "list_mutes")
    mutes = {item["rule_id"]: item for item in response["mutes"]}
    assert mutes["device_offline"]["reason"] == "Known"
    assert mutes["device_offline"]["active"] is True
    assert mutes["device_offline"]["until"] is not None
    assert mutes["rogue_ap_detected"]["subject"] == "aa:bb:cc:00:11:22"
    # Muting the same thing again replaces the mute instead of adding one.
    await _call(hass, "mute", rule_id="device_offline", forever=True)
    response = await _call(hass, "list_mutes")
    assert len(response["mutes"]) == 2
    await _call(hass, "unmute", all=True)
    assert await _call(hass, "list_mutes") == {"mutes": []}
    assert coordinator_of(init_integration).data.report.muted == ()


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("mute", {"rule_id": "no_such_rule"}, "unknown_rule"),
        ("mute", {"rule_id": "device_offline", "subject": "aa:bb:cc:dd:ee"}, "invalid_mac"),
        ("mute", {"rule_id": "device_offline", "subject": "zz:bb:cc:dd:ee:ff"}, "invalid_mac"),
        ("mute", {"rule_id": "device_offline", "duration": {"seconds": 0}}, "invalid_duration"),
        ("mute", {"rule_id": "device_offline", "duration": {"hours": -2}}, "invalid_duration"),
        (
            "mute",
            {"rule_id": "device_offline", "finding_id": "device_offline.0123456789"},
            "finding_and_rule",
        ),
        ("mute", {}, "finding_or_rule_required"),
        ("mute", {"finding_id": "not an id"}, "invalid_finding_id"),
        ("mute", {"finding_id": "nope_rule.0123456789"}, "unknown_rule"),
        (
            "mute",
            {"finding_id": "device_offline.0123456789", "subject": "x"},
            "subject_needs_rule",
        ),
        ("unmute", {"rule_id": "device_offline"}, "no_matching_mute"),
        ("unmute", {"all": True, "rule_id": "device_offline"}, "all_and_target"),
        ("acknowledge", {"finding_id": "device_offline.0123456789"}, "unknown_finding"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    stored = dict(hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"])
    report = coordinator_of(init_integration).data.report
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, service, **data)
    assert raised.value.translation_key == key
    assert raised.value.translation_domain == DOMAIN
    assert str(raised.value)  # translated into a sentence
    assert hass_storage[STORE_KEY.format(init_integration.entry_id)]["data"] == stored
    assert coordinator_of(init_integration).data.report is report


async def test_a_finding_id_is_everywhere_a_finding_is(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    findings = async_capture_events(hass, EVENT_FINDING)
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    (event,) = findings
    finding_id = event.data["finding_id"]
    assert finding_id.startswith("rogue_dhcp_detected.")
    assert _state(hass, "finding", "event").attributes["finding_id"] == finding_id
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    response: Any = await hass.services.async_call(
        DOMAIN, "run_scan", {"deliver": False}, blocking=True, return_response=True
    )
    previewed = [f["finding_id"] for f in response["findings"]]
    assert [f for f in previewed if f.startswith("rogue_dhcp_detected.")] == [finding_id]
    await _call(hass, "mute", finding_id=finding_id, duration={"hours": 1})
    assert coordinator_of(init_integration).data.report.muted[0].mute.until is not None
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer, minutes=30)
    assert len(findings) == 1  # the same condition, the same id: muted


async def test_diagnostics_show_ids_mutes_and_acknowledgements(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    report = coordinator_of(init_integration).data.report
    first, second = report.findings[:2]
    await _call(hass, "mute", finding_id=first.finding_id, reason="Known")
    await hass.services.async_call(
        DOMAIN, "acknowledge", {"finding_id": second.finding_id}, blocking=True
    )
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    dumped = diagnostics["last_scan"]["report"]
    assert dumped["muted"][0]["finding_id"] == first.finding_id
    assert dumped["muted"][0]["mute_reason"] == "Known"
    acknowledged = [f for f in dumped["findings"] if f["acknowledged"]]
    assert [f["finding_id"] for f in acknowledged] == [second.finding_id]
    stored = diagnostics["checkpoint"]
    assert [mute["finding_id"] for mute in stored["mutes"]] == [first.finding_id]
    assert list(stored["acknowledged"]) == [second.finding_id]
