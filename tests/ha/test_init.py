"""Setup, unload, removal, errors during scans, options and the checkpoint's storage."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.unifi_scanner.checkpoint import CheckpointStore
from custom_components.unifi_scanner.const import (
    CONF_NOTIFY_SERVICES,
    CONF_SCAN_INTERVAL,
    DOMAIN,
)
from tests.simulator import Faults, Mode

from .conftest import UNIQUE_ID, async_next_scan

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall

    from tests.simulator import GatewaySimulator


def _state(hass: HomeAssistant, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE_ID}_{key}")
    state = hass.states.get(entity_id or "")
    assert state is not None
    return state.state


_CHECKPOINT = {"last_success": "2025-01-01T00:00:00+00:00", "overlap_s": 300, "marks": {}}


def _state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """Read the state afresh (a plain attribute read would stay narrowed for mypy)."""
    return entry.state


def _store_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


@pytest.mark.parametrize("simulator_mode", [Mode.UNIFI_OS, Mode.CLASSIC, Mode.NETWORK10])
async def test_setup_unload_remove(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.capabilities.unifi_os is (simulator.mode is not Mode.CLASSIC)
    assert int(_state(hass, "findings")) > 0
    assert _store_key(entry) in hass_storage

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _state_of(entry) is ConfigEntryState.NOT_LOADED
    assert _state(hass, "findings") == STATE_UNAVAILABLE

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _store_key(entry) not in hass_storage


async def test_setup_wrong_password_starts_reauth(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.set_password("changed")
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize("breakage", ["unreachable", "rate_limited"])
async def test_setup_not_ready(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry, breakage: str
) -> None:
    if breakage == "unreachable":
        simulator.faults = Faults(status=503, paths=("/",))
    else:
        simulator.login_limit = 0
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert simulator.password not in config_entry.reason


def _entry_state(entry: MockConfigEntry) -> ConfigEntryState:
    """Read the state afresh (it changes behind the test's back)."""
    return entry.state


async def test_setup_retries_leave_a_rate_limited_login_alone(
    hass: HomeAssistant, freezer: Any, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.login_limit = 0
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    attempts = simulator.login_attempts
    assert attempts == 1

    # Home Assistant retries setup after 5, 10, 20, 40 and 80 s: none of them logs in.
    for _ in range(6):
        await async_next_scan(hass, freezer, minutes=1.5)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert simulator.login_attempts == attempts

    # After the cool-down the next retry logs in again, and the entry comes up.
    simulator.login_limit = 10
    simulator.reset_login_limit()
    await async_next_scan(hass, freezer, minutes=16)
    assert _entry_state(config_entry) is ConfigEntryState.LOADED
    assert simulator.login_attempts == attempts + 1
    assert await hass.config_entries.async_unload(config_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_gateway_outage_and_recovery(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.faults = Faults(status=502)
    await async_next_scan(hass, freezer)
    assert _state(hass, "findings") == STATE_UNAVAILABLE
    assert _state(hass, "last_scan") not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    await async_next_scan(hass, freezer)
    assert caplog.text.count("Error fetching Home data") == 1

    simulator.faults = Faults()
    await async_next_scan(hass, freezer)
    assert _state(hass, "findings") != STATE_UNAVAILABLE
    assert "Fetching Home data recovered" in caplog.text


async def test_expired_password_starts_reauth_once(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.set_password("rotated")
    await async_next_scan(hass, freezer)
    assert _state(hass, "findings") == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert simulator.password not in str(init_integration.runtime_data.coordinator.last_exception)


async def test_rate_limited_scan_does_not_retry_login(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.login_limit = 0
    simulator.expire_sessions()
    attempts = simulator.login_attempts
    await async_next_scan(hass, freezer)
    assert _state(hass, "findings") == STATE_UNAVAILABLE
    assert simulator.login_attempts == attempts + 1
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    error = init_integration.runtime_data.coordinator.last_exception
    assert getattr(error, "translation_key", None) == "rate_limited"


async def test_options_change_applies_without_reload(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "phone")
    scans = simulator.login_successes, _state(hass, "last_scan")
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            **init_integration.options,
            CONF_SCAN_INTERVAL: 15,
            CONF_NOTIFY_SERVICES: ["phone"],
        },
    )
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert simulator.login_successes == scans[0]  # no reload, no new login

    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer, minutes=15)
    assert _state(hass, "last_scan") != scans[1]
    assert len(phone) == 1


async def test_corrupt_checkpoint_raises_issue_and_recovers(
    hass: HomeAssistant, hass_storage: dict[str, Any], config_entry: MockConfigEntry
) -> None:
    key = _store_key(config_entry)
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"checkpoint": 5}}
    issue_id = f"checkpoint_corrupt_{config_entry.entry_id}"

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass_storage[key]["data"]["checkpoint"]["marks"]
    assert await hass.config_entries.async_unload(config_entry.entry_id)


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (2, {"checkpoint": None}),  # written by a newer version
        (1, {"checkpoint": _CHECKPOINT, "last_report_at": "2025-01-01T00:00:00"}),  # naive
        (1, {"checkpoint": _CHECKPOINT, "reported_state": "x"}),
        (1, []),
    ],
)
async def test_unusable_checkpoint_falls_back(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    version: int,
    data: Any,
) -> None:
    key = _store_key(config_entry)
    hass_storage[key] = {"version": version, "minor_version": 1, "key": key, "data": data}
    state = await CheckpointStore(hass, config_entry.entry_id, "Home").async_load()
    assert state.checkpoint.marks == {}
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"checkpoint_corrupt_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"entry": "Home"}


async def test_older_minor_version_is_migrated(
    hass: HomeAssistant, hass_storage: dict[str, Any], config_entry: MockConfigEntry
) -> None:
    key = _store_key(config_entry)
    data = {"checkpoint": _CHECKPOINT, "last_report_at": "2025-01-02T00:00:00+00:00"}
    hass_storage[key] = {"version": 1, "minor_version": 0, "key": key, "data": data}
    state = await CheckpointStore(hass, config_entry.entry_id).async_load()
    assert state.checkpoint.last_success is not None
    assert state.last_report_at is not None
    assert state.reported_state == frozenset()
    assert state.mutes == ()
    assert dict(state.acknowledged) == {}
    assert hass_storage[key]["minor_version"] == 3
    assert ir.async_get(hass).issues == {}


async def test_concurrent_scans_collect_once(
    simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    before = sum(n for path, n in simulator.requests.items() if "stat/device" in path)
    simulator.faults = Faults(latency=0.2, paths=("stat/device",))
    results = await asyncio.gather(
        coordinator.async_scan_now(deliver=True),
        coordinator.async_scan_now(deliver=True),
        coordinator.async_scan_now(deliver=False),
    )
    after = sum(n for path, n in simulator.requests.items() if "stat/device" in path)
    assert after - before == 1
    assert results[0] is results[1] is results[2]


async def test_unload_cancels_a_running_scan(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    stored = hass_storage[_store_key(init_integration)]["data"]
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    gate = simulator.hold("stat/device")
    coordinator = init_integration.runtime_data.coordinator
    init_integration.async_create_background_task(hass, coordinator.async_refresh(), "scan")
    await gate.reached()  # the scan is now waiting for the gateway
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    gate.release()
    assert hass_storage[_store_key(init_integration)]["data"] == stored
