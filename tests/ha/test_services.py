"""Service actions, the button, report files and diagnostics."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_REPORT_FILES,
    CONF_RETENTION_DAYS,
    DOMAIN,
)
from tests.simulator import Faults

from .conftest import UNIQUE_ID

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator import GatewaySimulator


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone about every finding."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the calls of notify.phone."""
    return async_mock_service(hass, "notify", "phone")


async def _run_scan(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "run_scan", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_preview_changes_nothing_then_scan_delivers(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    stored = json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"])
    simulator.append_event("EVT_SW_DetectRogueDHCP")

    preview = await _run_scan(hass, deliver=False)
    assert preview["delivered"] is False
    assert preview["new_findings"] == 1
    assert [f["rule_id"] for f in preview["findings"] if f["keys"]] == ["rogue_dhcp_detected"]
    assert len(phone) == 1
    assert json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]) == stored

    result = await _run_scan(hass, config_entry=init_integration.entry_id)
    assert result["delivered"] is True
    assert result["new_findings"] == 1
    assert len(phone) == 2

    again = await _run_scan(hass)
    assert again["new_findings"] == 0
    assert len(phone) == 2


async def test_reset_checkpoint_rereports(
    hass: HomeAssistant, phone: list[ServiceCall], init_integration: MockConfigEntry
) -> None:
    first = int(phone[0].data["title"] != "")  # the first report went out
    assert first == 1
    assert (await _run_scan(hass))["new_findings"] == 0

    await hass.services.async_call(
        DOMAIN,
        "reset_checkpoint",
        {"config_entry": init_integration.entry_id, "lookback_hours": 24},
        blocking=True,
    )
    again = await _run_scan(hass)
    assert again["new_findings"] > 0
    assert len(phone) == 2
    assert phone[1].data["title"] == phone[0].data["title"]

    await hass.services.async_call(
        DOMAIN,
        "reset_checkpoint",
        {
            "config_entry": init_integration.entry_id,
            "since": datetime.now(UTC) - timedelta(hours=2),
        },
        blocking=True,
    )
    assert (await _run_scan(hass))["new_findings"] > 0

    # With one entry, the entry may be left out, as for run_scan.
    await hass.services.async_call(DOMAIN, "reset_checkpoint", {}, blocking=True)
    assert (await _run_scan(hass))["new_findings"] > 0


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("run_scan", {"config_entry": "nope"}, "config_entry_not_found"),
        ("reset_checkpoint", {"config_entry": "nope"}, "config_entry_not_found"),
        (
            "reset_checkpoint",
            {"lookback_hours": 3, "since": "2020-01-01 00:00:00"},
            "since_and_lookback",
        ),
        ("reset_checkpoint", {"lookback_hours": -1}, "invalid_lookback"),
        ("reset_checkpoint", {"lookback_hours": 100000}, "invalid_lookback"),
        ("reset_checkpoint", {"since": "2999-01-01 00:00:00"}, "since_in_future"),
    ],
)
@pytest.mark.usefixtures("phone")
async def test_service_validation(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    data = {"config_entry": init_integration.entry_id} | data
    stored = json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"])
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=service == "run_scan"
        )
    assert err.value.translation_key == key
    assert json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]) == stored


@pytest.mark.usefixtures("phone", "init_integration")
async def test_service_needs_a_loaded_entry(hass: HomeAssistant) -> None:
    other = MockConfigEntry(domain=DOMAIN, title="Other", data={}, unique_id="other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await _run_scan(hass)
    assert err.value.translation_key == "config_entry_required"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "reset_checkpoint", {}, blocking=True)
    assert err.value.translation_key == "config_entry_required"
    with pytest.raises(ServiceValidationError) as err:
        await _run_scan(hass, config_entry=other.entry_id)
    assert err.value.translation_key == "config_entry_not_loaded"


@pytest.mark.usefixtures("phone", "init_integration")
async def test_scan_errors_are_translated(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    simulator.faults = Faults(status=500)
    with pytest.raises(HomeAssistantError) as err:
        await _run_scan(hass)
    assert err.value.translation_key == "communication_error"

    simulator.faults = Faults()
    simulator.set_password("rotated")
    with pytest.raises(HomeAssistantError) as err:
        await _run_scan(hass)
    assert err.value.translation_key == "invalid_auth"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1


@pytest.mark.usefixtures("phone", "init_integration")
async def test_button_scans_now(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
) -> None:
    entity_id = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{UNIQUE_ID}_scan_now")
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: entity_id}, blocking=True)
    assert len(phone) == 2
    assert "rogue" in phone[1].data["message"].lower()


async def test_report_files_written_and_pruned(
    hass: HomeAssistant, tmp_path: Path, config_entry: MockConfigEntry
) -> None:
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / DOMAIN / config_entry.entry_id
    folder.mkdir(parents=True)
    (folder / "report-20000101T000000Z.html").write_text("old")
    (folder / "report-notatime.md").write_text("kept: not ours to judge")
    hass.config_entries.async_update_entry(
        config_entry,
        options={CONF_MIN_SEVERITY: "low", CONF_REPORT_FILES: True, CONF_RETENTION_DAYS: 7},
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    names = sorted(path.name for path in folder.iterdir())
    assert "report-20000101T000000Z.html" not in names
    assert "report-notatime.md" in names
    html = [name for name in names if name.endswith(".html")]
    assert len(html) == 1
    assert (folder / html[0]).read_text().lstrip().lower().startswith("<!doctype html")
    assert (folder / html[0].replace(".html", ".md")).exists()
    assert not [name for name in names if name.startswith(".tmp")]
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_unwritable_report_folder_is_a_failed_channel(
    hass: HomeAssistant, tmp_path: Path, hass_storage: dict[str, Any], config_entry: MockConfigEntry
) -> None:
    (tmp_path / DOMAIN).write_text("a file where the folder should be")
    hass.config.config_dir = str(tmp_path)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_MIN_SEVERITY: "low", CONF_REPORT_FILES: True}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    result = config_entry.runtime_data.coordinator.data
    assert result.delivery is not None
    assert result.delivery.failed == ("report_files",)
    assert f"{DOMAIN}.{config_entry.entry_id}" not in hass_storage
    assert await hass.config_entries.async_unload(config_entry.entry_id)


@pytest.mark.usefixtures("phone")
async def test_diagnostics_redact_and_pseudonymise(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    dump = json.dumps(diagnostics)
    assert simulator.password not in dump
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"  # noqa: S105
    assert diagnostics["entry"]["data"]["username"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    assert diagnostics["capabilities"]["unifi_os"] is True
    assert diagnostics["checkpoint"]["checkpoint"]["marks"]
    assert diagnostics["last_scan"]["summary"]["findings"] > 0
    macs = set(re.findall(r"(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b", dump))
    assert macs
    assert all(mac.startswith("00:00:00:00:") for mac in macs)
    ips = set(re.findall(r"\b(?:\d{1,3}\.){3}\d{1,3}\b", dump))
    assert ips
    assert all(ip.startswith("192.0.2.") or ip == diagnostics["gateway"]["version"] for ip in ips)
    assert '192.168.1.1"' not in dump
