"""An entry that signs in with an API key: the whole integration works, and nothing ever logs in.

Also the migration that made every older entry a local-account entry.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.unifi_scanner.const import CONF_AUTH_METHOD, CONF_NOTIFY_SERVICES, DOMAIN
from custom_components.unifi_scanner.diagnostics import async_get_config_entry_diagnostics
from custom_components.unifi_scanner.scanner.auth import AuthMethod
from tests.simulator import Mode

from .conftest import UNIQUE_ID, async_next_scan

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall

    from tests.simulator import GatewaySimulator


@pytest.fixture
def auth_method() -> AuthMethod:
    """Every entry of this module signs in with a key."""
    return AuthMethod.API_KEY


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Send reports to a notify action, so each delivery can be counted."""
    return {"min_severity": "low", CONF_NOTIFY_SERVICES: ["phone"]}


def _findings(hass: HomeAssistant) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE_ID}_findings")
    state = hass.states.get(entity_id or "")
    assert state is not None
    return state.state


def _reauth_flows(hass: HomeAssistant) -> list[str]:
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


async def _run_scan(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "run_scan", {}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


@pytest.mark.parametrize("simulator_mode", [Mode.UNIFI_OS, Mode.NETWORK10])
async def test_key_entry_scans_reports_and_reloads_without_a_login(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: Any,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
) -> None:
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "phone")
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    capabilities = config_entry.runtime_data.capabilities
    assert capabilities.system_log is True
    assert capabilities.legacy_events is (simulator.mode is Mode.UNIFI_OS)
    assert int(_findings(hass)) > 0
    assert len(phone) == 1
    stored = hass_storage[f"{DOMAIN}.{config_entry.entry_id}"]["data"]
    assert stored["checkpoint"]["last_success"] is not None

    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    assert diagnostics["entry"]["data"][CONF_AUTH_METHOD] == "api_key"
    assert diagnostics["entry"]["data"][CONF_API_KEY] == "**REDACTED**"
    assert str(simulator.api_key) not in json.dumps(diagnostics)

    # Two scheduled scans: one with a new event, reported once; one with nothing new.
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) == 2
    assert "Rogue DHCP server" in phone[1].data["message"]
    await async_next_scan(hass, freezer)
    assert len(phone) == 2

    assert (await _run_scan(hass))["new_findings"] == 0
    await hass.services.async_call(
        DOMAIN, "reset_checkpoint", {"lookback_hours": 24}, blocking=True
    )
    assert (await _run_scan(hass))["new_findings"] > 0

    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert int(_findings(hass)) > 0

    assert simulator.login_attempts == 0
    assert simulator.requests["/api/auth/login"] == 0
    assert simulator.api_key_requests > 10


async def test_revoked_key_starts_reauth_once_without_retrying(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.api_key = "revoked-and-replaced-on-the-console"
    before = simulator.requests.total()

    await async_next_scan(hass, freezer)
    assert _findings(hass) == STATE_UNAVAILABLE
    assert simulator.requests.total() == before + 1  # refused once, never retried
    assert _reauth_flows(hass) == [SOURCE_REAUTH]
    with pytest.raises(HomeAssistantError) as err:
        await _run_scan(hass)
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    assert _reauth_flows(hass) == [SOURCE_REAUTH]  # still the one flow
    assert simulator.login_attempts == 0


async def test_setup_with_a_revoked_key_starts_reauth(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.api_key = None
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass) == [SOURCE_REAUTH]
    assert simulator.login_attempts == 0


@pytest.mark.parametrize("simulator_mode", [Mode.CLASSIC])
async def test_key_entry_pointed_at_a_self_hosted_application(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A key cannot work there: reauthentication lets the user switch to a local account."""
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass) == [SOURCE_REAUTH]
    assert simulator.api_key_requests == 0
    assert simulator.login_attempts == 0


@pytest.mark.parametrize("auth_method", [AuthMethod.LOCAL_ACCOUNT])
async def test_entries_from_before_api_keys_become_local_account_entries(
    hass: HomeAssistant, simulator: GatewaySimulator, entry_data: dict[str, Any]
) -> None:
    old = {key: value for key, value in entry_data.items() if key != CONF_AUTH_METHOD}
    entry = MockConfigEntry(
        domain=DOMAIN, title="Home", data=old, unique_id=UNIQUE_ID, version=1, minor_version=1
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 2
    assert entry.data == old | {CONF_AUTH_METHOD: "local_account"}
    assert simulator.login_successes == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_entry_from_a_newer_version_is_left_alone(
    hass: HomeAssistant, entry_data: dict[str, Any]
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=entry_data, version=2, minor_version=1)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.data == entry_data
