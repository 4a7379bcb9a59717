"""``scripts/bench --ha``: a day's backlog through the real integration, in milliseconds.

Not part of the test suite (the file name keeps pytest from collecting it): what it measures
depends on the machine, so it reports figures next to their targets and never fails on them.
It fails only when the scan itself goes wrong. ``test_backlog.py`` beside it asserts the structure
that keeps these figures low.

Environment: ``BENCH_BACKLOG`` (events, default 100 000) and ``BENCH_RUNS`` (default 3).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.unifi_scanner.const import DOMAIN
from tests.interpreter import described

from .gateway import DAY_BACKLOG, Gateway, memory, reset_peak_memory, seed_reported_up_to_now

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

BACKLOG = int(os.environ.get("BENCH_BACKLOG", str(DAY_BACKLOG)))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PROBE_INTERVAL = 0.001  # seconds between two looks at the loop
BLOCK_LIMIT = 0.020  # seconds the loop may be kept from running at a time (the target)
MIB = 2**20
# The log sources a scan pages through (the next scan after a backlog should read few pages).
LOG_PATHS = ("stat/event", "system-log/all", "stat/ips/event", "list/alarm")


@dataclass(frozen=True, slots=True)
class Target:
    """One figure and the bound it should stay within."""

    name: str
    value: float
    limit: float
    unit: str

    def line(self) -> str:
        """Format as a table row with PASS or MISS."""
        verdict = "PASS" if self.value <= self.limit else "MISS"
        return (
            f"| {self.name:<26} | {self.value:>9.1f} {self.unit:<3} "
            f"| <= {self.limit:>6.0f} {self.unit:<3} | {verdict:<6} |"
        )


@pytest.fixture
def gateway_niceness() -> int:
    """Let the gateway yield the CPU to Home Assistant: what is measured is the integration's."""
    return 19


@pytest.fixture
def backlog_size() -> int:
    """Events the gateway logged since the checkpoint."""
    return BACKLOG


async def _longest_block(stop: asyncio.Event, blocks: list[float]) -> None:
    """Record how late each short sleep wakes up: how long the loop was kept from running."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(PROBE_INTERVAL)
        blocks.append(loop.time() - start - PROBE_INTERVAL)


async def _one_scan(
    hass: HomeAssistant, entry: MockConfigEntry, minutes: int
) -> tuple[list[float], float, int]:
    """Move the checkpoint a day back, run the scheduled scan; return blocks, time, memory."""
    await hass.services.async_call(
        DOMAIN, "reset_checkpoint", {"lookback_hours": 24}, blocking=True
    )
    blocks: list[float] = []
    stop = asyncio.Event()
    before = memory("VmRSS")
    peak_known = reset_peak_memory()
    # The probe runs without the loop's debug mode, which the test harness turns on.
    hass.loop.set_debug(False)
    probe = asyncio.create_task(_longest_block(stop, blocks))
    started = time.perf_counter()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
    await hass.async_block_till_done(wait_background_tasks=True)
    elapsed = time.perf_counter() - started
    stop.set()
    await probe
    added = memory("VmHWM" if peak_known else "VmRSS") - before
    result = entry.runtime_data.coordinator.data
    assert result.committed
    assert result.new_entries == BACKLOG
    return blocks, elapsed, added


async def _quiet_scan(hass: HomeAssistant, simulator: Gateway, minutes: int) -> int:
    """Run the next scan, which finds nothing new; return its busiest source's requests."""
    before = simulator.requests()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
    await hass.async_block_till_done(wait_background_tasks=True)
    after = simulator.requests()
    return max(
        (after[path] - before.get(path, 0) for path in after if path.endswith(LOG_PATHS)),
        default=0,
    )


async def test_bench_backlog(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Gateway,
    config_entry: MockConfigEntry,
) -> None:
    logging.getLogger().setLevel(logging.WARNING)  # the harness logs every entity at INFO
    async_mock_service(hass, "notify", "phone")
    seed_reported_up_to_now(hass_storage, config_entry)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    runs = [await _one_scan(hass, config_entry, 61 * (n + 1)) for n in range(RUNS)]
    requests = await _quiet_scan(hass, simulator, 61 * (RUNS + 1))
    assert config_entry.runtime_data.coordinator.data.new_entries == 0
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    blocks, times, added = zip(*runs, strict=True)
    longest = [max(run) * 1000 for run in blocks]
    probes = [block for run in blocks for block in run]
    late = sum(block > BLOCK_LIMIT for block in probes)
    figures = [
        Target("longest loop block (worst)", max(longest), BLOCK_LIMIT * 1000, "ms"),
        Target("scan time (median)", statistics.median(times), 2, "s"),
        Target("added peak memory (worst)", max(added) / MIB, 64, "MiB"),
        Target("next scan: requests/source", requests, 3, ""),
    ]
    print(  # noqa: T201 - the report is the point
        f"\nUniFi Scanner backlog through Home Assistant {HA_VERSION} "
        f"({described()}, {os.cpu_count()} CPUs, "
        f"affinity {len(os.sched_getaffinity(0))}): {BACKLOG:,} events, "
        f"{RUNS} run{'s' if RUNS != 1 else ''}\n"
        f"| {'figure':<26} | {'measured':>13} | {'target':>13} | result |\n"
        f"|{'-' * 28}|{'-' * 15}:|{'-' * 15}:|--------|\n"
        + "\n".join(f.line() for f in figures)
        + f"\nlongest block of each run: {', '.join(f'{ms:.1f}' for ms in longest)} ms; "
        f"{late} of {len(probes):,} looks at the loop came more than "
        f"{BLOCK_LIMIT * 1000:.0f} ms late ({late / len(probes):.2%})"
    )
