"""Live alerts in a real Home Assistant: the event stream, its faults, polling, exactly once.

The entry talks to the simulator over loopback; the stream is a real websocket. Tests wait on
what a user would see (a bus event, a notification, a sensor state), never on time: the waits
only carry a safety net against a hang. Backoffs are shortened so a reconnect takes moments.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, callback
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import async_mock_service
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.unifi_scanner import live
from custom_components.unifi_scanner.checkpoint import StoredState
from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    DOMAIN,
    EVENT_FINDING,
    LARGE_BATCH,
)
from custom_components.unifi_scanner.delivery import NOTIFY_MAX_CHARS
from custom_components.unifi_scanner.scanner import by_subject
from custom_components.unifi_scanner.scanner.auth import AuthMethod
from custom_components.unifi_scanner.scanner.live_window import LiveWindow
from custom_components.unifi_scanner.scanner.normalize.pace import _WORKER_TURN as TURN
from tests.simulator import Mode
from tests.simulator.faults import HANG_GUARD
from tests.waiting import until

from .conftest import Ledger, coordinator_of, entity_id_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator import GatewaySimulator

pytestmark = pytest.mark.live

ROGUE_DHCP = "EVT_SW_DetectRogueDHCP"
ROGUE_RULE = "rogue_dhcp_detected"


def switch(name: str, mac: str) -> dict[str, Any]:
    """Fields of a switch the scenario does not hold, so its findings have their own subject."""
    return {"sw": mac, "sw_name": name, "sw_displayName": name}


GARAGE = switch("Garage Switch", "f0:9f:c2:00:00:02")


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect and retry the stream within moments; send each alert at once."""
    monkeypatch.setattr(live, "STREAM_BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(live, "STREAM_BACKOFF_LONGEST", 0.05)
    monkeypatch.setattr(live, "STREAM_RETRY_WHILE_POLLING", 0.3)
    monkeypatch.setattr(live, "ANNOUNCE_BATCH_SECONDS", 0)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Send reports and alerts to notify.phone."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}


class Findings:
    """Record the finding events on the bus; wait for the next ones."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen from now on."""
        self.events: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        hass.bus.async_listen(EVENT_FINDING, self._record)

    @callback
    def _record(self, event: Event) -> None:
        self.events.append(dict(event.data))
        self._arrived.set()

    @property
    def live(self) -> list[dict[str, Any]]:
        """The events of the live path."""
        return [data for data in self.events if data.get("live")]

    def of(self, rule_id: str) -> list[dict[str, Any]]:
        """Return the events of one rule, live or from a report."""
        return [data for data in self.events if data["rule_id"] == rule_id]

    async def wait_live(self, count: int) -> list[dict[str, Any]]:
        """Return the live events once there are at least ``count`` of them."""
        async with asyncio.timeout(HANG_GUARD):
            while len(self.live) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.live


def feed_of(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.live.feed


@pytest.fixture
def findings(hass: HomeAssistant) -> Findings:
    return Findings(hass)


@pytest.fixture
async def live_entry(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    findings: Findings,  # listening from the start
    phone: list[ServiceCall],
) -> AsyncIterator[MockConfigEntry]:
    """Set the entry up; return once the first scan is done and the stream is open."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await until(
        lambda: coordinator_of(config_entry).data is not None and feed_of(config_entry).working
    )
    await hass.async_block_till_done()
    phone.clear()
    findings.events.clear()
    yield config_entry
    if config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


async def run_scan(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "run_scan", {}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    data: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    return data


async def test_a_severe_event_is_announced_at_once_and_not_again_by_the_report(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
) -> None:
    simulator.append_event(ROGUE_DHCP, device="Office Switch")
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == ROGUE_RULE
    assert event["severity"] == "severe"
    assert event["entry_id"] == live_entry.entry_id
    assert event["site"] == "Home"

    await until(lambda: len(phone) == 1)
    alert = phone[0].data
    assert alert["title"] == "UniFi Scanner alert: 1 severe finding"
    assert "Rogue DHCP server" in alert["message"]
    assert "Office Switch" in alert["message"]
    # The event entity and the stored announcement show it before any report.
    state = hass.states.get(entity_id_of(hass, "event", "finding"))
    assert state is not None
    assert state.attributes["rule_id"] == ROGUE_RULE
    assert event["finding_id"] in stored(hass_storage, live_entry)["announced_live"]

    # The report lists it with its announcement and announces only what is new.
    simulator.append_event("EVT_AP_ChannelChanged")
    response = await run_scan(hass)
    assert response["delivered"] is True
    by_rule = {finding["rule_id"]: finding for finding in response["findings"]}
    assert by_rule[ROGUE_RULE]["announced_at"] is not None
    assert by_rule["ap_channel_changed"]["announced_at"] is None
    assert response["new_findings"] == 1
    await hass.async_block_till_done()
    assert len(findings.of(ROGUE_RULE)) == 1
    assert len(findings.of("ap_channel_changed")) == 1
    assert len(phone) == 2
    assert "announced at" in phone[1].data["message"]
    # Covered by a delivered report: the Store forgets the announcement.
    assert stored(hass_storage, live_entry)["announced_live"] == {}

    # The same device reports the rogue server again: a new occurrence, a new alert.
    simulator.append_event(ROGUE_DHCP, device="Office Switch")
    await findings.wait_live(2)
    assert len(findings.of(ROGUE_RULE)) == 2


async def test_an_announcement_survives_a_restart_of_home_assistant(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
) -> None:
    simulator.append_event(ROGUE_DHCP)
    await findings.wait_live(1)
    await until(lambda: len(phone) == 1)

    assert await hass.config_entries.async_reload(live_entry.entry_id)
    await until(lambda: coordinator_of(live_entry).data is not None and feed_of(live_entry).working)
    await hass.async_block_till_done()
    # The first scan after the restart covers it: listed as announced, not announced again.
    report = coordinator_of(live_entry).data.report
    (finding,) = (f for f in report.findings if f.rule_id == ROGUE_RULE)
    assert finding.finding_id in report.announced
    assert len(findings.of(ROGUE_RULE)) == 1
    assert len(phone) == 1


async def test_a_burst_is_one_message_and_below_the_level_waits_for_the_report(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "ANNOUNCE_BATCH_SECONDS", 3600)  # flushed by the clock below
    simulator.append_events(
        ROGUE_DHCP,
        (ROGUE_DHCP, GARAGE),
        "EVT_AP_ChannelChanged",  # low: the report's business
    )
    await findings.wait_live(2)
    assert {event["rule_id"] for event in findings.live} == {ROGUE_RULE}
    assert phone == []
    await live_entry.runtime_data.live._async_flush(None)
    assert len(phone) == 1
    assert phone[0].data["title"] == "UniFi Scanner alert: 2 severe findings"
    assert "Office Switch" in phone[0].data["message"]
    assert "Garage Switch" in phone[0].data["message"]

    response = await run_scan(hass)
    assert response["new_findings"] == 1
    await hass.async_block_till_done()
    assert [event["rule_id"] for event in findings.events if not event.get("live")] == [
        "ap_channel_changed"
    ]


async def test_a_storm_of_findings_is_one_message_a_phone_takes(
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Forty switches report a rogue DHCP server at once: one message that a push takes."""
    monkeypatch.setattr(live, "ANNOUNCE_BATCH_SECONDS", 3600)  # flushed by hand below
    simulator.append_events(
        *((ROGUE_DHCP, switch(f"Switch {n:02d}", f"f0:9f:c2:00:01:{n:02x}")) for n in range(40))
    )
    await findings.wait_live(40)
    await live_entry.runtime_data.live._async_flush(None)
    assert len(phone) == 1
    assert phone[0].data["title"] == "UniFi Scanner alert: 40 severe findings"
    message = phone[0].data["message"]
    assert len(message) <= NOTIFY_MAX_CHARS
    shown = message.count("**Rogue DHCP server")
    assert 0 < shown < 40
    assert f"…and {40 - shown} more findings" in message


@pytest.mark.usefixtures("live_entry")
async def test_a_large_window_is_analysed_on_a_worker_in_its_turn(
    simulator: GatewaySimulator, findings: Findings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push that makes the window large is analysed off the loop, one heavy batch at a time."""
    where: list[tuple[bool, bool]] = []
    completed = LiveWindow.completed

    def watched(self: LiveWindow, *args: Any, **kwargs: Any) -> Any:
        where.append((threading.current_thread() is threading.main_thread(), TURN.locked()))
        return completed(self, *args, **kwargs)

    monkeypatch.setattr(LiveWindow, "completed", watched)
    # Every switch is a finding of its own here, past the usual subjects per rule.
    monkeypatch.setattr(by_subject, "SUBJECTS_PER_RULE", 2 * LARGE_BATCH)
    simulator.append_events(
        *(
            (ROGUE_DHCP, switch(f"Switch {n:03d}", f"f0:9f:c2:00:02:{n:02x}"))
            for n in range(LARGE_BATCH + 10)
        )
    )
    await findings.wait_live(LARGE_BATCH + 10)
    assert where == [(False, True)]
    assert not TURN.locked()


@pytest.mark.usefixtures("live_entry")
async def test_a_large_state_is_serialised_for_the_store_on_a_worker_in_its_turn(
    simulator: GatewaySimulator, findings: Findings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each announcement writes the state: with hundreds announced, that work leaves the loop."""
    where: list[tuple[int, bool, bool]] = []
    to_dict = StoredState.to_dict

    def watched(self: StoredState) -> dict[str, Any]:
        on_loop = threading.current_thread() is threading.main_thread()
        where.append((self.records, on_loop, TURN.locked()))
        return to_dict(self)

    monkeypatch.setattr(StoredState, "to_dict", watched)
    # Every switch is a finding of its own here, past the usual subjects per rule.
    monkeypatch.setattr(by_subject, "SUBJECTS_PER_RULE", 2 * LARGE_BATCH)
    simulator.append_events((ROGUE_DHCP, switch("Switch", "f0:9f:c2:00:03:01")))
    await findings.wait_live(1)
    simulator.append_events(
        *(
            (ROGUE_DHCP, switch(f"Switch {n:03d}", f"f0:9f:c2:00:04:{n:02x}"))
            for n in range(LARGE_BATCH + 10)
        )
    )
    await findings.wait_live(LARGE_BATCH + 11)
    assert {(records > LARGE_BATCH, on_loop, in_turn) for records, on_loop, in_turn in where} == {
        (False, True, False),
        (True, False, True),
    }
    assert max(records for records, _, _ in where) > LARGE_BATCH
    assert not TURN.locked()


async def test_frames_without_events_are_skipped_and_huge_frames_are_read(
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    simulator.live.noisy = True
    simulator.live.push_noise("default")
    # The decoy would be severe too, were it taken from a frame no client should read.
    simulator.push_garbage(key=ROGUE_DHCP, decoy_key="EVT_GW_DhcpPoolExhausted")
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == ROGUE_RULE
    simulator.push_huge_frame("EVT_SW_LoopDetected")  # over 5 MiB
    await findings.wait_live(2)
    assert [event["rule_id"] for event in findings.live] == [ROGUE_RULE, "loop_detected"]
    feed = feed_of(live_entry)
    assert feed.working
    assert feed.stream.counters.reconnects == 0


async def test_a_dropped_stream_reconnects_and_reads_what_happened_meanwhile(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    logins = simulator.login_successes
    connections = simulator.live.connections
    sensor = entity_id_of(hass, "binary_sensor", "live_alerts")
    assert hass.states.get(sensor).state == "on"  # type: ignore[union-attr]

    # A console booting answers 503 a few times: lost once, back once, not once per attempt.
    caplog.clear()
    simulator.live.refuse_status = 503
    await simulator.live.drop_all()
    await until(lambda: simulator.live.refusals >= 5)
    simulator.live.refuse_status = None
    await until(lambda: feed_of(live_entry).working)
    assert caplog.text.count("event stream of") == 2
    assert "was lost" in caplog.text
    assert "is back" in caplog.text
    connections = simulator.live.connections

    for number in range(20):
        await simulator.live.drop_all()
        # Into the log only, while no socket is open; each on a switch of its own.
        simulator.append_event(
            ROGUE_DHCP, **switch(f"Switch {number}", f"f0:9f:c2:00:01:{number:02x}")
        )
        await findings.wait_live(len(findings.live) + 1)
    assert simulator.live.connections == connections + 20
    assert simulator.login_successes == logins  # reconnecting costs no login
    assert len(findings.of(ROGUE_RULE)) == 20

    # A console reboot forgets sessions: one re-login per reconnect, none more.
    for number in range(3):
        simulator.expire_sessions()
        await simulator.live.drop_all()
        simulator.append_event(
            ROGUE_DHCP, **switch(f"Rack {number}", f"f0:9f:c2:00:02:{number:02x}")
        )
        await findings.wait_live(len(findings.live) + 1)
    assert simulator.login_successes == logins + 3
    await until(lambda: hass.states.get(sensor).state == "on")  # type: ignore[union-attr]


async def test_a_refused_stream_falls_back_to_polling_and_comes_back(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    feed = feed_of(live_entry)
    feed.settings = replace(feed.settings, poll_interval=0.02)
    sensor = entity_id_of(hass, "binary_sensor", "live_alerts")
    simulator.live.refuse_status = 404  # a proxy that does not pass websockets on
    await simulator.live.drop_all()
    await until(lambda: feed.mode == "polling")
    await hass.async_block_till_done()
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["mode"] == "polling"

    # Nothing happening costs one request per poll.
    reads, requests = feed.polls.reads, simulator.requests.total()
    await until(lambda: feed.polls.reads >= reads + 5)
    assert simulator.requests.total() - requests <= feed.polls.reads - reads + 1

    simulator.append_event(ROGUE_DHCP)
    await findings.wait_live(1)

    simulator.live.refuse_status = None
    await until(lambda: feed.mode == "stream" and feed.working)
    simulator.append_event(ROGUE_DHCP, **GARAGE)
    await findings.wait_live(2)
    assert len(findings.of(ROGUE_RULE)) == 2


@pytest.mark.parametrize("auth_method", [AuthMethod.API_KEY])
async def test_a_key_the_stream_refuses_polls_the_log(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
) -> None:
    feed = feed_of(live_entry)
    assert feed.mode == "polling"
    assert feed.refused_status is not None
    assert simulator.login_attempts == 0
    feed.settings = replace(feed.settings, poll_interval=0.02)
    simulator.append_event(ROGUE_DHCP)
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == ROGUE_RULE
    await until(lambda: len(phone) == 1)
    state = hass.states.get(entity_id_of(hass, "binary_sensor", "live_alerts"))
    assert state is not None
    assert state.attributes["mode"] == "polling"


@pytest.mark.parametrize("auth_method", [AuthMethod.API_KEY])
async def test_a_key_the_stream_accepts_streams(
    simulator: GatewaySimulator,
    findings: Findings,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
) -> None:
    simulator.websocket_accepts_api_key = True
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await until(
        lambda: coordinator_of(config_entry).data is not None and feed_of(config_entry).working
    )
    assert feed_of(config_entry).mode == "stream"
    simulator.append_event(ROGUE_DHCP)
    await findings.wait_live(1)
    assert simulator.login_attempts == 0
    assert await hass.config_entries.async_unload(config_entry.entry_id)


@pytest.mark.parametrize("simulator_mode", [Mode.NETWORK10])
async def test_stream_only_wifi_events_reach_the_report_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    """Network 10 serves client Wi-Fi events only on the stream: roaming flaps need them."""
    roam = ("EVT_WU_Roam", {"user": "aa:bb:cc:00:11:22", "hostname": "Kitchen iPad"})
    for _ in range(6):
        simulator.append_events(roam, live_only=True)
    await until(lambda: len(stored(hass_storage, live_entry)["live_rows"]) == 6)
    assert findings.live == []  # medium: for the report

    response = await run_scan(hass)
    assert response["delivered"] is True
    (flap,) = (f for f in response["findings"] if f["rule_id"] == "client_roaming_flap")
    assert "Kitchen iPad" in flap["title"]
    assert stored(hass_storage, live_entry)["live_rows"] == []

    response = await run_scan(hass)
    assert not [f for f in response["findings"] if f["rule_id"] == "client_roaming_flap"]


@pytest.mark.usefixtures("live_entry")
async def test_hostile_strings_stay_text_in_a_live_alert(
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
) -> None:
    hostile = "[click](https://evil.example)<script>alert(1)</script>{{ states('x') }}"
    simulator.append_event(ROGUE_DHCP, device=hostile)
    (event,) = await findings.wait_live(1)
    await until(lambda: len(phone) == 1)
    message = phone[0].data["message"]
    assert "<script>" not in message
    assert "](https://evil.example)" not in message
    assert "{{" not in message
    assert "{{" not in event["title"]
    assert "UniFi Scanner alert" in phone[0].data["title"]


async def test_muted_and_switched_off_findings_wait_for_the_report(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    await hass.services.async_call(
        DOMAIN, "mute", {"rule_id": ROGUE_RULE, "duration": {"hours": 1}}, blocking=True
    )
    simulator.append_event(ROGUE_DHCP)
    simulator.append_event("EVT_SW_LoopDetected")
    await findings.wait_live(1)  # the loop, not the muted rogue server
    assert [event["rule_id"] for event in findings.live] == ["loop_detected"]

    hass.config_entries.async_update_entry(
        live_entry, options={**live_entry.options, "announce_at_once": "off"}
    )
    await hass.async_block_till_done()
    entries = feed_of(live_entry).entries
    simulator.append_event("EVT_SW_LoopDetected", **GARAGE)
    await until(lambda: feed_of(live_entry).entries > entries)
    await hass.async_block_till_done()
    assert len(findings.live) == 1


async def test_a_failed_alert_is_left_to_the_report(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    failures: list[ServiceCall] = []

    async def refuse(call: ServiceCall) -> None:
        failures.append(call)
        msg = "phone unreachable"
        raise HomeAssistantError(msg)

    hass.services.async_register("notify", "phone", refuse)
    simulator.append_event(ROGUE_DHCP)
    await findings.wait_live(1)
    await until(lambda: len(failures) == 1)
    await until(lambda: not coordinator_of(live_entry).store.state.announced_live)

    async_mock_service(hass, "notify", "phone")
    response = await run_scan(hass)
    (finding,) = (f for f in response["findings"] if f["rule_id"] == ROGUE_RULE)
    assert finding["announced_at"] is None
    assert response["new_findings"] >= 1


async def test_unload_closes_the_stream_and_diagnostics_tell_its_state(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    simulator.append_event(ROGUE_DHCP)
    await findings.wait_live(1)
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, live_entry
    )
    section = diagnostics["live"]
    assert section["mode"] == "stream"
    assert section["working"] is True
    assert section["announced"] == 1
    assert section["frames"] >= 1
    assert "live_rows" not in diagnostics["checkpoint"]
    assert simulator.password not in str(diagnostics)

    assert await hass.config_entries.async_unload(live_entry.entry_id)
    await until(lambda: simulator.live.open_count == 0)
    simulator.append_event(ROGUE_DHCP, **GARAGE)
    await hass.async_block_till_done()
    assert len(findings.live) == 1
    assert not [
        task for task in asyncio.all_tasks() if "live alerts" in task.get_name() and not task.done()
    ]


async def test_a_new_poll_interval_applies_without_a_reload(
    hass: HomeAssistant, live_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        live_entry, options={**live_entry.options, "poll_interval": 120}
    )
    await hass.async_block_till_done()
    assert feed_of(live_entry).settings.poll_interval == timedelta(seconds=120).total_seconds()


async def test_no_login_while_the_login_limit_cools_down(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    live_entry: MockConfigEntry,
) -> None:
    feed = feed_of(live_entry)
    simulator.login_limit = 0  # every login now answers 429
    simulator.expire_sessions()
    await simulator.live.drop_all()
    attempts = simulator.login_attempts
    await until(lambda: simulator.login_attempts == attempts + 1)  # the stream's one re-login
    await until(lambda: not feed.working)
    state = hass.states.get(entity_id_of(hass, "binary_sensor", "live_alerts"))
    assert state is not None
    assert state.state == "off"

    for _ in range(3):  # scans asked for meanwhile send no login either
        with pytest.raises(HomeAssistantError):
            await run_scan(hass)
    assert simulator.login_attempts == attempts + 1
    assert simulator.live.open_count == 0


@pytest.mark.parametrize("simulator_mode", [Mode.CLASSIC])
async def test_a_classic_controller_streams_too(
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    assert feed_of(live_entry).mode == "stream"
    simulator.append_event(ROGUE_DHCP)
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == ROGUE_RULE
    assert simulator.requests["/wss/s/default/events"] == 1


async def test_the_ledger_balances_across_live_gaps_reports_and_restarts(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    live_entry: MockConfigEntry,
) -> None:
    """Every occurrence reaches the user once: a live event, or the report that lists it."""
    ledger = Ledger(hass, simulator)

    async def live_events(count: int) -> None:
        await until(lambda: sum(1 for e in ledger.events if e.data["live"]) == count)

    ledger.append()
    await live_events(1)
    ledger.append(2)  # the same finding: not announced again before the report
    await simulator.live.drop_all()
    ledger.append()  # during the gap: read from the log when the stream is back
    await until(lambda: feed_of(live_entry).entries >= 4)
    ledger.listed((await run_scan(hass))["findings"])
    assert ledger.tally() == (0, 0)
    assert [e.data["live"] for e in ledger.events] == [True]

    ledger.append()  # a new period: announced at once again
    await live_events(2)
    assert await hass.config_entries.async_reload(live_entry.entry_id)
    await until(lambda: coordinator_of(live_entry).data is not None)
    await hass.async_block_till_done()
    ledger.append()  # after the restart: the log's overlap re-read announces nothing again
    await live_events(3)
    ledger.listed((await run_scan(hass))["findings"])
    await hass.async_block_till_done()
    assert ledger.tally() == (0, 0)
    # Each announced at once, counting only what no report had told.
    assert ledger.reports() == [1, 1, 1]
    assert all(e.data["live"] for e in ledger.events)


async def test_stopping_home_assistant_closes_the_stream(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    live_entry: MockConfigEntry,
) -> None:
    assert feed_of(live_entry).working
    await hass.async_stop(force=True)
    await until(lambda: simulator.live.open_count == 0)
    assert not feed_of(live_entry).working


async def test_medium_findings_announced_at_once_notify_only_from_their_level(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    phone: list[ServiceCall],
    live_entry: MockConfigEntry,
) -> None:
    hass.config_entries.async_update_entry(
        live_entry,
        options={**live_entry.options, "announce_at_once": "medium", CONF_MIN_SEVERITY: "severe"},
    )
    await hass.async_block_till_done()
    roam = ("EVT_WU_Roam", {"user": "aa:bb:cc:00:11:22", "hostname": "Kitchen iPad"})
    for _ in range(5):  # the fifth crosses the flap threshold
        simulator.append_events(roam)
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == "client_roaming_flap"
    assert event["severity"] == "medium"
    assert event["count"] == 5
    await hass.async_block_till_done()
    assert phone == []  # below the level that notifies


async def test_password_guessing_is_announced_at_the_attempt_that_crosses_the_threshold(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    findings: Findings,
    live_entry: MockConfigEntry,
) -> None:
    guess = ("EVT_AD_LoginFailed", {"ip": "198.51.100.7", "admin": "admin"})
    entries = feed_of(live_entry).entries
    for _ in range(4):
        simulator.append_events(guess)
    await until(lambda: feed_of(live_entry).entries == entries + 4)
    await hass.async_block_till_done()
    assert findings.live == []  # four failed logins are the report's business
    simulator.append_events(guess)  # the fifth
    (event,) = await findings.wait_live(1)
    assert event["rule_id"] == "admin_brute_force"
    assert event["severity"] == "severe"
    assert event["count"] == 5
