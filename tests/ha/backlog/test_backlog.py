"""A backlog of 100 000 events since the checkpoint, collected by the real integration.

The gateway runs in a process of its own, as a real console would. The test asserts what keeps
Home Assistant responsive and its memory flat as structure, not time: the scan is analysed page
by page as the pages arrive, every large page is decoded and then analysed on worker threads,
the loop never handles more than the hourly handful of rows in one turn, and no more than a few
pages of entries are alive at any moment. How long the loop is blocked, in milliseconds, is
measured by ``scripts/bench --ha``.
"""

from __future__ import annotations

import gc
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

from custom_components.unifi_scanner import delivery
from custom_components.unifi_scanner.const import (
    DOMAIN,
    EVENT_REPORT,
    LARGE_BATCH,
)
from custom_components.unifi_scanner.delivery import NOTIFY_MAX_CHARS
from custom_components.unifi_scanner.scanner.client import (
    IPS_PAGE_SIZE,
    LEGACY_PAGE_SIZE,
    NORMALIZE_CHUNK,
    SYSTEM_LOG_PAGE_SIZE,
)
from custom_components.unifi_scanner.scanner.models import LogEntry, Source
from custom_components.unifi_scanner.scanner.period import Period
from tests.loop_work import LoopWork

from .gateway import DAY_BACKLOG, Gateway, memory, reset_peak_memory, seed_reported_up_to_now

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

BACKLOG = DAY_BACKLOG
EVENT_PATH = "/api/s/default/stat/event"
MAX_MEMORY = 128 * 2**20  # bytes of peak resident memory added by the scan (twice the target)
# Entries alive at once while the scan runs: a few pages, never the backlog.
MAX_ALIVE = 4 * max(LEGACY_PAGE_SIZE, SYSTEM_LOG_PAGE_SIZE, IPS_PAGE_SIZE)
SAMPLE_EVERY = 4  # batches between two counts of the entries alive (each walks the whole heap)


def _entries_alive() -> int:
    return sum(1 for item in gc.get_objects() if type(item) is LogEntry)


def _count_alive_entries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the entries alive after every few analysed batches; return the counts so far."""
    alive: list[int] = []
    analyse = Period.add
    batches = 0

    def counted(period: Period, batch: list[LogEntry]) -> None:
        nonlocal batches
        analyse(period, batch)
        batches += 1
        if batches % SAMPLE_EVERY == 0:
            alive.append(_entries_alive())

    monkeypatch.setattr(Period, "add", counted)
    return alive


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
    work.watch(Period, "add", "select and analyse", _batch_of)
    work.watch(Period, "analysis", "conclude", _analysed)
    work.watch(delivery, "_render", "render", _report_entries)
    gc.collect()
    before = _entries_alive()  # what earlier tests in this process still hold
    alive = _count_alive_entries(monkeypatch)
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

    _assert_responsive(work)
    _assert_flat([count - before for count in alive])
    # Afterwards only the handful the findings name (their first and newest occurrences).
    assert _entries_alive() - before <= 4 * len(report.findings)


def _assert_responsive(work: LoopWork) -> None:
    # Home Assistant stayed responsive by construction: every page larger than the hourly
    # handful was decoded on a worker thread, then normalised, handed over and analysed in one
    # job on a worker thread; the loop itself never handled more rows than that handful in a
    # turn. Only the report (built from findings) saw the whole count, off the loop too.
    assert work.stages() >= {"decode", "normalise", "hand over", "select and analyse", "render"}
    assert work.rows("normalise") >= BACKLOG
    assert work.rows("select and analyse") == BACKLOG
    large = [call for call in work.calls if call.rows > LARGE_BATCH]
    assert {call.stage for call in large} >= {"decode", "normalise", "select and analyse"}
    assert [call for call in large if call.on_loop] == []
    # One heavy batch at a time on the workers (a page read ahead waits for the digest step).
    assert [call for call in large if not call.in_turn] == []
    assert work.busiest_turn() <= LARGE_BATCH
    whole = [call for call in work.calls if call.rows >= BACKLOG]
    assert [(call.stage, call.on_loop) for call in whole] == [
        ("conclude", False),
        ("render", False),
    ]


def _assert_flat(alive: list[int]) -> None:
    # Memory stayed flat: while the scan ran, a few pages of entries were alive at most.
    assert len(alive) >= BACKLOG // NORMALIZE_CHUNK // SAMPLE_EVERY
    assert max(alive) <= MAX_ALIVE, alive


def _batch_of(args: tuple[Any, ...], _result: Any) -> int:
    return len(args[1])


def _analysed(_args: tuple[Any, ...], result: Any) -> int:
    return int(result.entry_count)


def _report_entries(args: tuple[Any, ...], _result: Any) -> int:
    return int(args[0].entry_count)
