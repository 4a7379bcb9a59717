"""Faults: the real integration against a misbehaving gateway, with nothing lost or repeated.

Every test appends rogue-DHCP occurrences to the simulated gateway and counts them in the
``unifi_scanner_finding`` events (see ``Ledger``): an occurrence no delivered finding covers is
lost, one covered twice is a repeat. The gateway misbehaves through the simulator's fault
switches over real HTTPS on 127.0.0.1; nothing of the integration is mocked.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    DOMAIN,
    EVENT_REPORT,
)
from tests.simulator import Faults, GatewaySimulator, Mode
from tests.simulator.faults import HANG_GUARD

from .conftest import UNIQUE_ID, Ledger, async_next_scan

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.unifi_scanner.data import ScanResult

EVENT_PATH = "/proxy/network/api/s/default/stat/event"
SYSTEM_LOG_PATH = "/proxy/network/v2/api/site/default/system-log/all"
DEVICE_PATH = "/proxy/network/api/s/default/stat/device"
INTEGRATION_LOGGER = "custom_components.unifi_scanner"


@pytest.fixture
def gateway_skew() -> timedelta:
    """How far the gateway's clock is ahead of Home Assistant's (negative: behind)."""
    return timedelta(0)


@pytest.fixture
async def simulator(
    socket_enabled: None,  # noqa: ARG001 - opens loopback sockets for the server
    simulator_mode: Mode,
    simulator_scenario: str,
    gateway_skew: timedelta,
) -> AsyncIterator[GatewaySimulator]:
    """Run the conftest gateway with its own clock: everything it logs is stamped by it."""
    sim = GatewaySimulator(
        mode=simulator_mode,
        scenario=simulator_scenario,
        now=lambda: datetime.now(UTC) + gateway_skew,
    )
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone about every finding."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}


@pytest.fixture(autouse=True)
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the reports sent to notify.phone (every test has the phone, so delivery works)."""
    return async_mock_service(hass, "notify", "phone")


def _stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> str | None:
    """Return the stored checkpoint as text (None before the first commit)."""
    stored = hass_storage.get(f"{DOMAIN}.{entry.entry_id}")
    return None if stored is None else json.dumps(stored["data"], sort_keys=True)


def _findings_state(hass: HomeAssistant) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE_ID}_findings")
    state = hass.states.get(entity_id or "")
    assert state is not None
    return state.state


def _entry_state(entry: MockConfigEntry) -> ConfigEntryState:
    """Read the state afresh (a plain attribute read would stay narrowed for mypy)."""
    return entry.state


def _problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors logged by the integration (its coordinator included)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(INTEGRATION_LOGGER) and record.levelno >= logging.WARNING
    ]


def _start_scheduled_scan(hass: HomeAssistant) -> None:
    """Fire the next scheduled scan and let it start, without waiting for it.

    Real time keeps running (no frozen clock), so the simulator's latency and the client's
    timeout behave as they would on a real network.
    """
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))


async def _next_scan(hass: HomeAssistant) -> None:
    """Run the next scheduled scan to the end."""
    _start_scheduled_scan(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


# --- an unreachable gateway --------------------------------------------------------------------


async def test_unreachable_at_setup_is_retried(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    config_entry: MockConfigEntry,
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(2, at=dt_util.utcnow() - timedelta(minutes=10))
    await simulator.stop()  # connection refused

    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY

    await simulator.start()  # same port
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _entry_state(config_entry) is ConfigEntryState.LOADED
    assert len(phone) == 1
    assert ledger.tally() == (0, 0)
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_unreachable_mid_run_then_full_recovery(
    hass: HomeAssistant,
    freezer: Any,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ledger = Ledger(hass, simulator)
    stored = _stored(hass_storage, init_integration)
    sent = len(phone)
    ledger.append(2)
    await simulator.stop()
    caplog.clear()

    for _ in range(3):
        await async_next_scan(hass, freezer)
        ledger.append(1)  # the gateway keeps logging while we cannot reach it
    assert _findings_state(hass) == STATE_UNAVAILABLE
    assert _stored(hass_storage, init_integration) == stored
    assert len(phone) == sent
    assert ledger.events == []
    problems = _problems(caplog)
    assert len(problems) == 1
    assert problems[0].startswith("Error fetching Home data")

    await simulator.start()
    await async_next_scan(hass, freezer)
    assert _findings_state(hass) != STATE_UNAVAILABLE
    assert caplog.text.count("Fetching Home data recovered") == 1
    assert len(_problems(caplog)) == 1
    assert len(phone) == sent + 1
    assert ledger.reports() == [5]
    assert ledger.tally() == (0, 0)

    await async_next_scan(hass, freezer)
    assert len(phone) == sent + 1
    assert ledger.tally() == (0, 0)


# --- broken answers ----------------------------------------------------------------------------

# (faults, extra occurrences so that the broken request is a second page)
BROKEN_ANSWERS: dict[str, tuple[Faults, int]] = {
    "slow_past_timeout": (Faults(latency=1.0), 0),
    "http_500": (Faults(status=500), 0),
    "http_503": (Faults(status=503), 0),
    "malformed_json": (Faults(malformed_json=True), 0),
    "truncated_body": (Faults(truncated_body=True), 0),
    "dropped_connection": (Faults(drop_connection=True), 0),
    "system_log_page_2_dropped": (
        Faults(drop_connection=True, fail_after=1, paths=("system-log/all",)),
        1100,
    ),
    "event_page_2_truncated": (
        Faults(truncated_body=True, fail_after=1, paths=("stat/event",)),
        3100,
    ),
    "event_page_2_malformed": (
        Faults(malformed_json=True, fail_after=1, paths=("stat/event",)),
        3100,
    ),
}


@pytest.mark.parametrize("name", BROKEN_ANSWERS)
async def test_broken_answers_keep_checkpoint_then_recover(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
    name: str,
) -> None:
    faults, extra = BROKEN_ANSWERS[name]
    client = init_integration.runtime_data.client
    patient = client.request_timeout
    if faults.latency:  # the gateway answers after 1 s: only a slow answer may time out
        client.request_timeout = 0.3
    ledger = Ledger(hass, simulator)
    now = dt_util.utcnow()
    for index in range(extra):  # one per millisecond, so the pages hold distinct rows
        ledger.append(at=now - timedelta(milliseconds=extra - index))
    ledger.append(2)
    stored = _stored(hass_storage, init_integration)
    sent = len(phone)
    pages = simulator.requests[EVENT_PATH], simulator.requests[SYSTEM_LOG_PATH]

    simulator.faults = faults
    await _next_scan(hass)
    assert _findings_state(hass) == STATE_UNAVAILABLE
    assert _stored(hass_storage, init_integration) == stored
    assert len(phone) == sent
    assert ledger.events == []
    if extra:  # the first page was fetched, the second broke
        assert (simulator.requests[EVENT_PATH], simulator.requests[SYSTEM_LOG_PATH]) > pages
    error = init_integration.runtime_data.coordinator.last_exception
    assert getattr(error, "translation_key", None) == "communication_error"

    simulator.faults = Faults()
    client.request_timeout = patient
    await _next_scan(hass)
    assert _findings_state(hass) != STATE_UNAVAILABLE
    assert len(phone) == sent + 1
    assert ledger.reports() == [extra + 2]
    assert ledger.tally() == (0, 0)


# --- sessions ----------------------------------------------------------------------------------


async def test_session_expiry_during_a_scan_relogs_in_once(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(2)
    attempts, successes = simulator.login_attempts, simulator.login_successes
    requested = simulator.requests[EVENT_PATH]
    gate = simulator.hold("stat/event")

    _start_scheduled_scan(hass)
    await gate.reached()
    simulator.expire_sessions()  # while the event page is on its way
    gate.release()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert simulator.login_attempts == attempts + 1
    assert simulator.login_successes == successes + 1
    assert simulator.requests[EVENT_PATH] == requested + 2  # the page, asked again once
    assert init_integration.runtime_data.coordinator.data.committed
    assert len(phone) == 2
    assert ledger.tally() == (0, 0)


@pytest.mark.parametrize("when", ["before", "during"])
async def test_csrf_rotation_mid_scan_needs_no_login(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
    when: str,
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(2)
    attempts = simulator.login_attempts
    if when == "before":
        simulator.rotate_csrf()  # the scan's first answer carries the new token
        await _next_scan(hass)
    else:
        gate = simulator.hold("stat/event")
        _start_scheduled_scan(hass)
        await gate.reached()
        simulator.rotate_csrf()  # the event page's answer carries it; later POSTs need it
        gate.release()
        await hass.async_block_till_done(wait_background_tasks=True)

    assert simulator.login_attempts == attempts
    assert init_integration.runtime_data.coordinator.data.committed
    assert len(phone) == 2
    assert ledger.tally() == (0, 0)


async def test_login_limit_cools_down_without_reauth(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,  # noqa: ARG001 - the scans under test
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(1)
    simulator.login_limit = 0  # every login now answers 429
    simulator.expire_sessions()
    attempts = simulator.login_attempts

    await async_next_scan(hass, freezer)
    assert simulator.login_attempts == attempts + 1
    for _ in range(3):  # asked by a user or an automation during the cool-down
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                DOMAIN, "run_scan", {}, blocking=True, return_response=True
            )
        assert err.value.translation_key == "rate_limited"
    assert simulator.login_attempts == attempts + 1
    for _ in range(3):  # each scheduled scan is past the cool-down: one attempt each
        ledger.append(1)
        await async_next_scan(hass, freezer)
    assert simulator.login_attempts == attempts + 4
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert ir.async_get(hass).issues == {}
    assert len(phone) == 1

    simulator.reset_login_limit()
    simulator.login_limit = 10
    await async_next_scan(hass, freezer)
    assert _findings_state(hass) != STATE_UNAVAILABLE
    assert len(phone) == 2
    assert ledger.reports() == [4]
    assert ledger.tally() == (0, 0)


async def test_password_change_starts_one_reauth_without_storm(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(1)
    simulator.set_password("rotated on the console")
    attempts = simulator.login_attempts

    for _ in range(4):  # the first scan fails; the schedule then waits for the user
        await async_next_scan(hass, freezer)
        ledger.append(1)
    assert simulator.login_attempts == attempts + 1
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert len(phone) == 1

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"next_step_id": "reauth_local_account"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: simulator.username, CONF_PASSWORD: "rotated on the console"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert len(phone) == 2
    assert ledger.reports() == [5]
    assert ledger.tally() == (0, 0)


# --- Home Assistant stopping -------------------------------------------------------------------


async def test_stop_between_delivery_and_commit_repeats_at_most_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    ledger = Ledger(hass, simulator)
    ledger.append(3)
    stored = _stored(hass_storage, entry)
    coordinator = entry.runtime_data.coordinator
    saving = asyncio.Event()

    async def hang(_data: Any) -> None:
        saving.set()
        await asyncio.Event().wait()

    with patch.object(coordinator.store._store, "async_save", hang):
        entry.async_create_background_task(hass, coordinator.async_refresh(), "scan")
        async with asyncio.timeout(HANG_GUARD):
            await saving.wait()
        assert len(phone) == 2  # delivered; the checkpoint is being written
        assert await hass.config_entries.async_unload(entry.entry_id)  # Home Assistant stops
    assert _stored(hass_storage, entry) == stored
    assert ledger.tally() == (0, 0)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(phone) == 3  # the one repeated report
    assert ledger.tally() == (0, 3)
    assert _stored(hass_storage, entry) != stored

    ledger.append(1)
    await _next_scan(hass)
    assert len(phone) == 4
    assert ledger.tally() == (0, 3)  # nothing repeated a second time


async def test_stop_during_collection_loses_and_repeats_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    ledger = Ledger(hass, simulator)
    ledger.append(2)
    stored = _stored(hass_storage, entry)
    gate = simulator.hold("stat/device")
    coordinator = entry.runtime_data.coordinator
    entry.async_create_background_task(hass, coordinator.async_refresh(), "scan")
    await gate.reached()

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _stored(hass_storage, entry) == stored
    assert len(phone) == 1
    assert ledger.events == []

    gate.release()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(phone) == 2
    assert ledger.tally() == (0, 0)


# --- the stored checkpoint ---------------------------------------------------------------------

_NOW_ISO = "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "data",
    [
        {},  # empty
        {"checkpoint": {"last_success": _NOW_ISO, "overlap_s": 300, "marks": {"event": {}}}},
        {"checkpoint": {"last_success": _NOW_ISO, "marks": {"bogus": {"time_ms": 1, "ids": []}}}},
        {"checkpoint": {"last_success": "yesterday", "marks": {}}},
    ],
    ids=["empty", "truncated_mark", "unknown_source", "bad_time"],
)
async def test_unusable_checkpoint_recovers_end_to_end(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    config_entry: MockConfigEntry,
    data: dict[str, Any],
) -> None:
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    ledger = Ledger(hass, simulator)
    ledger.append(2, at=dt_util.utcnow() - timedelta(hours=1))
    issue_id = f"checkpoint_corrupt_{config_entry.entry_id}"

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass_storage[key]["data"]["checkpoint"]["marks"]
    assert len(phone) == 1
    assert ledger.tally() == (0, 0)
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_older_schema_keeps_its_marks(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    config_entry: MockConfigEntry,
) -> None:
    now = dt_util.utcnow()
    mark = now - timedelta(minutes=30)
    for _ in range(2):  # reported by the older version: before its mark, outside the overlap
        simulator.append_event("EVT_SW_DetectRogueDHCP", at=mark - timedelta(minutes=10))
    key = f"{DOMAIN}.{config_entry.entry_id}"
    marks = {
        source: {"time_ms": int(mark.timestamp() * 1000), "ids": []}
        for source in ("system_log", "event", "alarm", "ips")
    }
    # Minor version 0: neither the overlap nor the announced device states were stored yet.
    hass_storage[key] = {
        "version": 1,
        "minor_version": 0,
        "key": key,
        "data": {"checkpoint": {"last_success": mark.isoformat(), "marks": marks}},
    }
    ledger = Ledger(hass, simulator)
    ledger.append(2, at=now - timedelta(minutes=10))

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).issues == {}
    assert hass_storage[key]["minor_version"] == 3
    assert hass_storage[key]["data"]["mutes"] == []
    assert hass_storage[key]["data"]["acknowledged"] == {}
    assert len(phone) == 1
    assert ledger.reports() == [2]  # not the two the older version already reported
    assert ledger.tally() == (0, 0)
    assert await hass.config_entries.async_unload(config_entry.entry_id)


# --- a delivery channel raising ---------------------------------------------------------------


async def test_failing_channel_retry_announces_each_occurrence_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    broken = True
    paged: list[ServiceCall] = []

    async def pager(call: ServiceCall) -> None:
        if broken:
            msg = "pager offline"
            raise HomeAssistantError(msg)
        paged.append(call)

    hass.services.async_register("notify", "pager", pager)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_NOTIFY_SERVICES: ["phone", "pager"]}
    )
    ledger = Ledger(hass, simulator)
    stored = _stored(hass_storage, entry)
    now = dt_util.utcnow()
    ledger.append(2)
    await _next_scan(hass)
    ledger.append(1)  # new while the pager is down
    await _next_scan(hass)
    ledger.append(at=now - timedelta(minutes=2))  # late, and older than the first two
    await _next_scan(hass)
    assert _stored(hass_storage, entry) == stored
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"delivery_failed_{entry.entry_id}")

    broken = False
    await _next_scan(hass)
    assert len(paged) == 1
    assert ledger.reports() == [4]
    assert ledger.tally() == (0, 0)
    assert ir.async_get(hass).issues == {}
    await _next_scan(hass)
    assert len(paged) == 1
    assert ledger.tally() == (0, 0)


# --- concurrency -------------------------------------------------------------------------------


async def test_service_calls_during_a_scheduled_scan_collect_once(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    ledger = Ledger(hass, simulator)
    ledger.append(2)
    reports = async_capture_events(hass, EVENT_REPORT)
    before = simulator.requests[EVENT_PATH], simulator.requests[SYSTEM_LOG_PATH]
    gate = simulator.hold("stat/device")
    coordinator = init_integration.runtime_data.coordinator
    joined = asyncio.Event()
    calls = 0
    scan = coordinator.async_scan

    async def counted(*, deliver: bool) -> ScanResult:
        nonlocal calls
        calls += 1
        if calls == 3:
            joined.set()  # this third call joins the scan before the test runs on
        result: ScanResult = await scan(deliver=deliver)
        return result

    _start_scheduled_scan(hass)
    await gate.reached()  # the scheduled scan is collecting
    with patch.object(coordinator, "async_scan", counted):
        calling = asyncio.gather(
            *(
                hass.services.async_call(
                    DOMAIN, "run_scan", {"deliver": deliver}, blocking=True, return_response=True
                )
                for deliver in (True, True, False)
            )
        )
        async with asyncio.timeout(HANG_GUARD):
            await joined.wait()
        gate.release()
        responses = await calling
    await hass.async_block_till_done(wait_background_tasks=True)

    after = simulator.requests[EVENT_PATH], simulator.requests[SYSTEM_LOG_PATH]
    assert after == (before[0] + 1, before[1] + 1)  # one collection
    assert all(response == responses[0] for response in responses)
    assert len(reports) == 1
    assert len(phone) == 2
    assert ledger.tally() == (0, 0)


# --- the checkpoint boundary -------------------------------------------------------------------


async def test_same_millisecond_at_the_boundary(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,  # noqa: ARG001 - the scans under test
) -> None:
    ledger = Ledger(hass, simulator)
    moment = dt_util.utcnow() - timedelta(seconds=30)
    ledger.append(3, at=moment)
    await async_next_scan(hass, freezer)
    ledger.append(2, at=moment)  # the same millisecond as the mark, arriving after the commit
    await async_next_scan(hass, freezer)
    await async_next_scan(hass, freezer)
    assert ledger.reports() == [3, 2]
    assert ledger.tally() == (0, 0)


async def test_out_of_order_and_late_arrivals(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,  # noqa: ARG001 - the scans under test
) -> None:
    ledger = Ledger(hass, simulator)
    now = dt_util.utcnow()
    for seconds in (40, 55, 45, 50):  # filed out of time order
        ledger.append(at=now - timedelta(seconds=seconds))
    await async_next_scan(hass, freezer)
    newest = now - timedelta(seconds=40)
    # Filed after the commit but stamped before the mark (within the 5-minute overlap).
    ledger.append(at=newest - timedelta(minutes=4))
    ledger.append(at=newest - timedelta(seconds=1))
    await async_next_scan(hass, freezer)
    await async_next_scan(hass, freezer)
    assert ledger.reports() == [4, 2]
    assert ledger.tally() == (0, 0)


@pytest.mark.parametrize(
    "gateway_skew", [timedelta(minutes=10), timedelta(minutes=-45), timedelta(hours=3)]
)
async def test_gateway_clock_skew(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,  # noqa: ARG001 - the scans under test
) -> None:
    ledger = Ledger(hass, simulator)
    for _ in range(3):  # every scan period the gateway logs by its own clock
        ledger.append(2)
        await async_next_scan(hass, freezer)
    for _ in range(3):  # an entry stamped ahead of Home Assistant waits until its time came
        await async_next_scan(hass, freezer)
    assert sum(ledger.reports()) == 6
    assert ledger.tally() == (0, 0)


async def test_one_occurrence_in_several_sources_counts_once(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,  # noqa: ARG001 - the scans under test
) -> None:
    reports = async_capture_events(hass, EVENT_REPORT)
    ledger = Ledger(hass, simulator)
    ledger.append(2)
    for _ in range(3):  # filed in stat/ips/event, stat/event, the system log and alarms
        simulator.append_ips_alert()
    await async_next_scan(hass, freezer)
    assert reports[-1].data["threats"] == 3
    assert ledger.reports() == [2]
    await async_next_scan(hass, freezer)
    assert reports[-1].data["threats"] == 0
    assert ledger.tally() == (0, 0)
