"""A backlog of 100 000 events since the checkpoint, collected by the real integration.

The gateway runs in a process of its own, as a real console would. The test asserts what keeps
Home Assistant responsive as structure, not time: every stage that handles the whole backlog runs
on a worker thread, and the loop never handles more than one page of rows in one turn. How long
the loop is blocked, in milliseconds, is measured by ``scripts/bench --ha``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.unifi_scanner import coordinator as coordinator_module
from custom_components.unifi_scanner import delivery
from custom_components.unifi_scanner.const import (
    DOMAIN,
    EVENT_REPORT,
)
from custom_components.unifi_scanner.delivery import NOTIFY_MAX_CHARS
from custom_components.unifi_scanner.scanner.client import (
    IPS_PAGE_SIZE,
    LEGACY_PAGE_SIZE,
    NORMALIZE_CHUNK,
    SYSTEM_LOG_PAGE_SIZE,
)
from custom_components.unifi_scanner.scanner.models import Source
from tests.loop_work import LoopWork

from .gateway import DAY_BACKLOG, Gateway, memory, reset_peak_memory, seed_reported_up_to_now

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

BACKLOG = DAY_BACKLOG
EVENT_PATH = "/api/s/default/stat/event"
MAX_MEMORY = 400 * 2**20  # bytes of peak resident memory added by the scan (about twice today's)
# The loop decodes one answer, or normalises one chunk of it, per turn; nothing more.
MAX_ROWS_PER_TURN = max(LEGACY_PAGE_SIZE, SYSTEM_LOG_PAGE_SIZE, IPS_PAGE_SIZE, NORMALIZE_CHUNK)
WHOLE_BACKLOG_STAGES = {"sort", "select and analyse", "advance", "render"}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the reports sent to notify.phone."""
    return async_mock_service(hass, "notify", "phone")


async def test_backlog_of_100k_events(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Gateway,
    phone: list[ServiceCall],
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_reported_up_to_now(hass_storage, config_entry)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = config_entry.runtime_data.coordinator
    assert coordinator.data.new_entries == 0
    sent = len(phone)  # the device states (an offline access point) were announced
    reports = async_capture_events(hass, EVENT_REPORT)

    # Home Assistant was off for a day while the gateway logged 100 000 events.
    await hass.services.async_call(
        DOMAIN,
        "reset_checkpoint",
        {"config_entry": config_entry.entry_id, "lookback_hours": 24},
        blocking=True,
    )
    work = LoopWork(hass.loop, monkeypatch)
    work.watch_collection()
    work.watch(coordinator_module, "_select_and_analyze", "select and analyse", _entries_of)
    work.watch(coordinator_module, "_advance", "advance", _new_of)
    work.watch(delivery, "_render", "render", _report_entries)
    rss_before = memory("VmRSS")
    peak_known = reset_peak_memory()
    with work:
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
        await hass.async_block_till_done(wait_background_tasks=True)
    added = memory("VmHWM" if peak_known else "VmRSS") - rss_before

    result = coordinator.data
    assert result.committed
    assert result.new_entries == BACKLOG
    report = result.report
    assert report.entry_count == BACKLOG
    assert report.threats.total == simulator.threats
    assert reports[-1].data["entries"] == BACKLOG
    assert reports[-1].data["threats"] == simulator.threats
    assert len(phone) == sent + 1
    assert len(phone[-1].data["message"]) <= NOTIFY_MAX_CHARS  # capped, counts exact
    assert coordinator.store.state.checkpoint.marks[Source.EVENT].time_ms == simulator.newest

    # The next scan finds nothing new, and reads only the last minutes: the sources that stayed
    # quiet since the reset no longer drag its start back a whole day.
    pages_before = simulator.requests().get(EVENT_PATH, 0)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=122))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.data.new_entries == 0
    # (``within`` counts whole hours: it reads the pages of the last hour, not the whole day.)
    last_hour_pages = math.ceil(BACKLOG / 23 / LEGACY_PAGE_SIZE)
    assert simulator.requests().get(EVENT_PATH, 0) - pages_before <= last_hour_pages
    assert len(phone) == sent + 1
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    pages = simulator.requests().get(EVENT_PATH, 0)
    # Setup's probe, two pages for the first scan's hour, every page of the day, the last scan.
    assert pages >= 1 + math.ceil(BACKLOG / LEGACY_PAGE_SIZE)
    assert added < MAX_MEMORY, f"the scan added {added / 2**20:.0f} MiB"

    # Home Assistant stayed responsive by construction: the whole backlog was only ever handled
    # on worker threads, and the loop took at most one page of it per turn.
    assert work.stages() >= {"decode", "normalise", *WHOLE_BACKLOG_STAGES}
    assert work.rows("normalise") >= BACKLOG
    whole = [call for call in work.calls if call.rows >= BACKLOG]
    assert {call.stage for call in whole} == WHOLE_BACKLOG_STAGES
    assert [call for call in whole if call.on_loop] == []
    assert 0 < work.busiest_turn() <= MAX_ROWS_PER_TURN


def _entries_of(args: tuple[Any, ...], _result: Any) -> int:
    return len(args[0].entries)


def _new_of(args: tuple[Any, ...], _result: Any) -> int:
    return len(args[1])


def _report_entries(args: tuple[Any, ...], _result: Any) -> int:
    return int(args[0].entry_count)
