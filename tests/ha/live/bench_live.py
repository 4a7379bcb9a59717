"""``scripts/bench --live``: how soon the real integration announces what the console pushes.

Not part of the test suite (the file name keeps pytest from collecting it): what it measures
depends on the machine, so it reports figures next to their targets and never fails on them.
It fails only when an announcement does not come at all.

Two figures, against a classic controller in a process of its own (``console.py``):

- push to event: from just before the console queues a frame with a new rogue DHCP server
  (severe, announced at once) to the ``unifi_scanner_finding`` bus listener, one push at a
  time, each about a switch of its own so that each completes a finding of its own;
- restart to alert: the console drops its sockets and forgets the sessions while an event is
  logged; the integration waits its real backoff (15 s less up to a quarter of jitter), signs in
  again, reopens, reads the log since its mark and announces the event.

Environment: ``BENCH_PUSHES`` (default 200) and ``BENCH_RESTARTS`` (default 3).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.unifi_scanner.const import EVENT_FINDING
from custom_components.unifi_scanner.live import STREAM_BACKOFF_FIRST
from tests.ha.backlog.bench_backlog import Target, _longest_block
from tests.ha.backlog.gateway import seed_reported_up_to_now
from tests.interpreter import described

from .console import SAFETY, Console, switch

RESTART_TARGET = round(STREAM_BACKOFF_FIRST + 1)

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.unifi_scanner.live import LiveAlerts

PUSHES = int(os.environ.get("BENCH_PUSHES", "200"))
RESTARTS = int(os.environ.get("BENCH_RESTARTS", "3"))


class Arrivals:
    """When the bus delivered the live announcement about each switch (``perf_counter``)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen for finding events; the listener is a callback, run as the event fires."""
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._loop = hass.loop
        self.stop = hass.bus.async_listen(EVENT_FINDING, self._heard)

    def expect(self, number: int) -> asyncio.Future[float]:
        """Return a future that the announcement about switch ``number`` resolves."""
        future: asyncio.Future[float] = self._loop.create_future()
        self._waiting[switch(number)["sw"]] = future
        return future

    @callback
    def _heard(self, event: Event[dict[str, Any]]) -> None:
        heard = time.perf_counter()
        if event.data.get("live") is not True:
            return
        future = self._waiting.pop(event.data.get("subject_mac") or "", None)
        if future is not None and not future.done():
            future.set_result(heard)


async def _stream_open(live: LiveAlerts) -> None:
    """Wait until the stream is open and its catch-up read after opening is done.

    The feed tells its listeners when the stream opens or closes, not when a read ends.
    """
    feed = live.feed
    counters = feed.stream.counters
    async with asyncio.timeout(SAFETY):
        while not (counters.connected and feed.polls.reads >= counters.connects):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def _latency(
    hass: HomeAssistant, console: Console, arrivals: Arrivals, op: str, number: int
) -> float:
    """Ask the console to ``op`` about switch ``number``; return seconds until the event."""
    arrived = arrivals.expect(number)
    console.send(op, number)
    async with asyncio.timeout(SAFETY):
        heard = await arrived
    answer = await hass.async_add_executor_job(console.answer)
    return heard - float(answer["started"])


@pytest.mark.live
async def test_bench_live(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Console,
    config_entry: MockConfigEntry,
) -> None:
    logging.getLogger().setLevel(logging.WARNING)  # the harness logs every entity at INFO
    async_mock_service(hass, "notify", "phone")
    seed_reported_up_to_now(hass_storage, config_entry)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()  # not the background tasks: the feed runs until unload
    live: LiveAlerts = config_entry.runtime_data.live
    arrivals = Arrivals(hass)
    # Measured without the loop's debug mode, which the test harness turns on.
    hass.loop.set_debug(False)
    await _stream_open(live)

    blocks: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_longest_block(stop, blocks))
    pushes = [await _latency(hass, simulator, arrivals, "push", n) for n in range(PUSHES)]
    stop.set()
    await probe

    restarts = []
    for n in range(PUSHES, PUSHES + RESTARTS):
        await _stream_open(live)
        restarts.append(await _latency(hass, simulator, arrivals, "restart", n))
    arrivals.stop()
    reconnects = live.feed.stream.counters.reconnects
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert reconnects == RESTARTS

    p50, p99 = _percentiles(pushes)
    figures = [
        Target("push to event (p50)", p50 * 1000, 100, "ms"),
        Target("push to event (p99)", p99 * 1000, 500, "ms"),
        Target("longest loop block (worst)", max(blocks) * 1000, 50, "ms"),
        # The first reconnect waits at most the first backoff step; one second more for the rest.
        Target("restart to alert (median)", statistics.median(restarts), RESTART_TARGET, "s"),
        Target("restart to alert (worst)", max(restarts), RESTART_TARGET, "s"),
    ]
    print(  # noqa: T201 - the report is the point
        f"\nUniFi Scanner live alerts through Home Assistant {HA_VERSION} "
        f"({described()}, {os.cpu_count()} CPUs, "
        f"affinity {len(os.sched_getaffinity(0))}): {PUSHES} pushes, "
        f"{RESTARTS} restart{'s' if RESTARTS != 1 else ''}\n"
        f"| {'figure':<26} | {'measured':>13} | {'target':>13} | result |\n"
        f"|{'-' * 28}|{'-' * 15}:|{'-' * 15}:|--------|\n" + "\n".join(f.line() for f in figures)
    )


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """Return the median and the 99th percentile (the largest sample below 100 samples)."""
    if len(samples) < 2:  # quantiles needs two
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[98]
