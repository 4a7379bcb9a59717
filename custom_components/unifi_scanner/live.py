"""Live alerts for one entry: findings announced within seconds, still exactly once.

The pure ``LiveFeed`` hands over entries from the console's event stream (or the log, polled or
read after a gap). They join a sliding window analysed by the same engine as a scan; a finding
that an arriving entry completed, at or above the "announce at once" severity, not muted and not
announced yet, is announced as a report would announce it: the finding bus event and the event
entity (with ``live: true``), then one notification per burst of about two seconds.

Exactly once: the announcement is saved in the Store (finding id → when) before anything fires,
and the hourly report skips those ids (listing them as "announced at"); a finding the report in
flight is announcing is skipped here. The commit of the report that covers an announcement
forgets it. Rows only the stream delivers are kept in the Store until a report covered them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from homeassistant.core import HassJob, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .checkpoint import LIVE_SOURCES
from .const import DOMAIN, LARGE_BATCH, LOGGER
from .scanner.live_feed import FeedSettings, LiveFeed
from .scanner.live_window import LiveWindow
from .scanner.normalize import in_worker_turn
from .scanner.quiet import split_muted
from .scanner.report import with_live

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from .checkpoint import LiveRow, StoredState
    from .coordinator import UnifiScannerCoordinator
    from .data import ScannerOptions, UnifiScannerConfigEntry
    from .scanner.models import Capabilities, Finding, LogEntry

# Timing (seconds); module constants so tests can shorten them.
STREAM_BACKOFF_FIRST: Final = 15.0
STREAM_BACKOFF_LONGEST: Final = 300.0
STREAM_RETRY_WHILE_POLLING: Final = 3600.0
ANNOUNCE_BATCH_SECONDS: Final = 2.0
"""Findings announced within this long of the first share one message."""
LIVE_ROWS_MAX: Final = 2_000
"""Stream-only rows kept for the next report; a longer outage of delivery drops the oldest."""


def _clock_ms() -> int:
    return time.time_ns() // 1_000_000


class LiveAlerts:
    """The live path of one entry."""

    def __init__(self, coordinator: UnifiScannerCoordinator, capabilities: Capabilities) -> None:
        """Bind to the entry's coordinator; nothing runs until ``start``."""
        self._coordinator = coordinator
        self._hass = coordinator.hass
        self._window = LiveWindow()
        # Without stat/event (Network 10) no REST source returns the stream's client events:
        # they are kept for the report.
        self._keep_rows = not capabilities.legacy_events
        self._pending: list[Finding] = []
        self._cancel_flush: Callable[[], None] | None = None
        self.announced = 0
        self.feed = LiveFeed(
            coordinator.client,
            self._async_entries,
            settings=FeedSettings(
                backoff_first=STREAM_BACKOFF_FIRST,
                backoff_longest=STREAM_BACKOFF_LONGEST,
                poll_interval=coordinator.options.poll_interval.total_seconds(),
                socket_retry=STREAM_RETRY_WHILE_POLLING,
            ),
            clock_ms=_clock_ms,
            on_change=coordinator.async_update_listeners,
        )

    def start(self, entry: UnifiScannerConfigEntry) -> None:
        """Run the feed for as long as the entry is loaded."""
        entry.async_create_background_task(
            self._hass, self.feed.run(), name=f"{DOMAIN} live alerts {entry.title}"
        )
        entry.async_on_unload(self._stop)

    def apply_options(self, options: ScannerOptions) -> None:
        """Use a new poll interval from the next poll on."""
        self.feed.settings = replace(
            self.feed.settings, poll_interval=options.poll_interval.total_seconds()
        )

    @callback
    def _stop(self) -> None:
        if self._cancel_flush is not None:
            self._cancel_flush()
            self._cancel_flush = None

    async def _async_entries(self, entries: list[LogEntry]) -> None:
        """Analyse the window with the new entries, then announce what they completed."""
        coordinator = self._coordinator
        options = coordinator.options
        now = dt_util.utcnow()
        async with coordinator.analysis_lock:
            run = partial(
                self._window.completed,
                entries,
                catalogue=coordinator.catalogue,
                thresholds=options.thresholds,
                now=now,
                disabled=options.disabled_rules,
                checkpoint=coordinator.store.state.checkpoint,
            )
            completed = (
                await self._hass.async_add_executor_job(in_worker_turn, run)
                if len(self._window) + len(entries) > LARGE_BATCH
                else run()
            )
            state = coordinator.store.state
            urgent = [finding for finding in completed if options.announces_at_once(finding)]
            audible, _muted, _ended = split_muted(urgent, state.mutes, now)
            skip = state.announced_live.keys() | coordinator.delivering
            new = [finding for finding in audible if finding.finding_id not in skip]
            rows: list[LiveRow] = (
                [(entry.source, entry.raw) for entry in entries if entry.source in LIVE_SOURCES]
                if self._keep_rows
                else []
            )
            if new or rows:
                state = await coordinator.store.async_update(
                    partial(_remember, new=new, rows=rows, at=now)
                )
        if new:
            self._announce(new, state, now)

    def _announce(self, new: list[Finding], state: StoredState, now: datetime) -> None:
        """Fire the events, show the findings in the entities, queue the notification."""
        coordinator = self._coordinator
        self.announced += len(new)
        coordinator.delivery.fire_findings(new, live=True)
        result = coordinator.data
        if result is not None:
            report = with_live(result.report, new, state.announced_live, state.quieting, now=now)
            # Not async_set_updated_data: that would also move the next scheduled scan.
            coordinator.data = replace(result, report=report)
            coordinator.async_update_listeners()
        notify = [finding for finding in new if coordinator.options.notifies(finding)]
        if not notify:
            return
        self._pending += notify
        if self._cancel_flush is None:
            self._cancel_flush = async_call_later(
                self._hass,
                ANNOUNCE_BATCH_SECONDS,
                HassJob(self._async_flush, cancel_on_shutdown=True),
            )

    async def _async_flush(self, _now: datetime) -> None:
        """Send the queued findings as one message; on failure leave them to the report."""
        self._cancel_flush = None
        findings, self._pending = self._pending, []
        coordinator = self._coordinator
        if await coordinator.delivery.async_alert(findings, coordinator.options):
            return
        LOGGER.warning(
            "A live alert of %s could not be sent everywhere; the next report announces it",
            coordinator.config_entry.title,
        )
        ids = {finding.finding_id for finding in findings}
        await coordinator.store.async_update(
            lambda state: replace(
                state,
                announced_live=MappingProxyType(
                    {key: at for key, at in state.announced_live.items() if key not in ids}
                ),
            )
        )

    @property
    def diagnostics(self) -> dict[str, object]:
        """How the live path is doing, for the entry's diagnostics (no gateway strings)."""
        feed = self.feed
        counters = feed.stream.counters
        return {
            "mode": feed.mode,
            "working": feed.working,
            "refused_status": feed.refused_status,
            "stream_connected": counters.connected,
            "connects": counters.connects,
            "reconnects": counters.reconnects,
            "frames": counters.frames,
            "stream_rows": counters.rows,
            "last_frame": None
            if counters.last_frame_ms is None
            else dt_util.utc_from_timestamp(counters.last_frame_ms / 1000).isoformat(),
            "log_reads": feed.polls.reads,
            "log_read_failures": feed.polls.failures,
            "entries": feed.entries,
            "window_entries": len(self._window),
            "announced": self.announced,
            "kept_stream_rows": len(self._coordinator.store.state.live_rows),
        }


def _remember(
    state: StoredState, *, new: list[Finding], rows: list[LiveRow], at: datetime
) -> StoredState:
    """Return ``state`` with the announcements and the stream-only rows added."""
    return replace(
        state,
        announced_live=MappingProxyType(
            {**state.announced_live, **{finding.finding_id: at for finding in new}}
        ),
        announced=state.announced + len(new),
        live_rows=(*state.live_rows, *rows)[-LIVE_ROWS_MAX:],
    )
