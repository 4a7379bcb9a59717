"""One scan at a time per entry: checkpoint → fetch → analyse → report → deliver → commit.

Scanner errors are mapped to Home Assistant errors here and nowhere else: ``ConfigEntryAuthFailed``
and ``UpdateFailed`` for scheduled scans, ``HomeAssistantError`` for scans a user asked for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING

from homeassistant.const import CONF_HOST
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LARGE_BATCH, LOGGER
from .data import ScannerOptions, ScanResult
from .delivery import ReportDelivery
from .findings import fresh_findings, state_key
from .quieting import Quieter, settled
from .scanner.exceptions import (
    ScannerAuthenticationError,
    ScannerError,
    ScannerRateLimitError,
)
from .scanner.normalize import in_worker_turn
from .scanner.period import Period
from .scanner.report import build_report
from .scanner.sanitize import clean
from .scanner.transport import login_cool_down as scanner_cool_down

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from homeassistant.core import HomeAssistant

    from .checkpoint import CheckpointStore, LiveRow
    from .data import UnifiScannerConfigEntry
    from .scanner.catalogue import RuleCatalogue
    from .scanner.client import Collection, UnifiClient
    from .scanner.models import GatewayInfo
    from .scanner.report import Report
    from .scanner.watermark import Checkpoint

ANNOUNCED_LIVE_GRACE = timedelta(hours=6)
"""How long a live announcement waits for the log to show what the stream already told."""


def translate_error(err: ScannerError) -> tuple[str, dict[str, str]]:
    """Return the translation key and placeholders that describe a scanner error."""
    if isinstance(err, ScannerAuthenticationError):
        return "invalid_auth", {}
    if isinstance(err, ScannerRateLimitError):
        return "rate_limited", {}
    # The message may quote the gateway (an error code, a path): cleaned like any gateway string.
    return "communication_error", {"error": clean(str(err), max_len=200) or type(err).__name__}


def login_cool_down(err: ScannerRateLimitError) -> timedelta:
    """How long to leave the gateway alone after it refused with its limit (scans and setup)."""
    return timedelta(seconds=scanner_cool_down(err))


def as_ha_error(
    err: ScannerError,
    unavailable: type[HomeAssistantError],
    *,
    rejected: type[HomeAssistantError] = ConfigEntryAuthFailed,
) -> HomeAssistantError:
    """Map a scanner error to the Home Assistant error of the caller's layer, translated.

    Rejected credentials become ``rejected`` (``ConfigEntryAuthFailed`` starts reauthentication);
    everything else becomes ``unavailable`` (not ready, update failed, or a failed action).
    """
    key, placeholders = translate_error(err)
    cls = rejected if isinstance(err, ScannerAuthenticationError) else unavailable
    return cls(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


@dataclass(slots=True)
class _Running:
    """The scan in progress: whether it delivers, and where its result will appear."""

    deliver: bool
    result: asyncio.Future[ScanResult]


class UnifiScannerCoordinator(DataUpdateCoordinator[ScanResult]):
    """Run scans for one gateway site and hold the last one's result."""

    config_entry: UnifiScannerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: UnifiScannerConfigEntry,
        *,
        client: UnifiClient,
        store: CheckpointStore,
        gateway: GatewayInfo,
        catalogue: RuleCatalogue,
    ) -> None:
        """Build the coordinator; the first scan is started by setup, in the background."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=ScannerOptions.from_options(entry.options).scan_interval,
        )
        self.client = client
        self.store = store
        self.gateway = gateway
        self.catalogue = catalogue
        self.delivery = ReportDelivery(hass, entry)
        self.quieter = Quieter(self)
        self.last_attempt: datetime | None = None
        self._lock = asyncio.Lock()
        self._running: _Running | None = None
        # Where the last undelivered scan started: a retry must cover the same events even when
        # the first-run look-back window has moved on since.
        self._retry_since: datetime | None = None
        self._cool_down_until: datetime | None = None
        self.analysis_lock = asyncio.Lock()
        """Held while the live path analyses and announces, and while a scan reads what was.

        A scan's own analysis needs no lock: it works on its own ``Period``.
        """
        self.delivering: frozenset[str] = frozenset()
        """Ids of the findings the report in flight announces (the live path leaves them)."""

    @property
    def options(self) -> ScannerOptions:
        """The current options (read at every scan, so changes apply at once)."""
        return ScannerOptions.from_options(self.config_entry.options)

    def apply_options(self) -> None:
        """Move the next scheduled scan to the new interval."""
        self.update_interval = self.options.scan_interval
        if self._unsub_refresh is not None:
            self._schedule_refresh()

    async def _async_update_data(self) -> ScanResult:
        """Scheduled scan: deliver, and map failures for the coordinator's bookkeeping."""
        try:
            return await self.async_scan(deliver=True)
        except ScannerError as err:
            raise as_ha_error(err, UpdateFailed) from err

    async def async_scan_now(self, *, deliver: bool) -> ScanResult:
        """Scan because a user asked (button, service); failures become HomeAssistantError."""
        try:
            result = await self.async_scan(deliver=deliver)
        except ScannerError as err:
            if isinstance(err, ScannerAuthenticationError):
                self.config_entry.async_start_reauth(self.hass)
            raise as_ha_error(err, HomeAssistantError, rejected=HomeAssistantError) from err
        if deliver:
            self.async_set_updated_data(result)
        return result

    async def async_scan(self, *, deliver: bool) -> ScanResult:
        """Run one scan, or join the one in progress when it does at least as much.

        A delivering scan requested during another delivering scan returns that scan's result
        instead of collecting again; a preview joins any scan; a delivering scan never joins a
        preview (it waits for the lock and then collects).
        """
        running = self._running
        if running is not None and (running.deliver or not deliver):
            return await asyncio.shield(running.result)
        async with self._lock:
            future: asyncio.Future[ScanResult] = self.hass.loop.create_future()
            future.add_done_callback(_consume)
            self._running = _Running(deliver=deliver, result=future)
            try:
                result = await self._scan(deliver=deliver)
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as err:
                future.set_exception(err)
                raise
            finally:
                self._running = None
            future.set_result(result)
            return result

    async def _collect(
        self, since: datetime, period: Period, rows: Iterable[LiveRow]
    ) -> Collection:
        """Collect from ``since`` into ``period``, page by page; no page outlives its step.

        A page larger than the usual hourly handful is normalised, selected and analysed in
        one job on a worker thread, so the event loop only receives and decodes pages.
        """
        collection = self.client.collect(since, rows=rows)
        await collection.digest(
            period.add, offload=self.hass.async_add_executor_job, offload_above=LARGE_BATCH
        )
        return collection

    async def async_reset_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Replace the stored checkpoint (waits for a scan in progress)."""
        async with self._lock:
            await self.store.async_update(
                lambda state: replace(state, checkpoint=checkpoint, reported_state=frozenset())
            )  # the announced device states are forgotten too: they are reported again
            self._retry_since = None
            self.delivery.committed()

    async def _scan(self, *, deliver: bool) -> ScanResult:
        """Collect, analyse, report and (unless previewing) deliver and commit."""
        now = dt_util.utcnow()
        self.last_attempt = now
        options = self.options
        state = self.store.state
        checkpoint = state.checkpoint
        since = checkpoint.since(
            now=now, lookback=options.lookback, max_lookback=options.max_lookback
        )
        if self._retry_since is not None:
            since = max(min(since, self._retry_since), now - options.max_lookback)
        if self._cool_down_until is not None and now < self._cool_down_until:
            msg = "The gateway's login limit was reached; waiting before trying again"
            raise ScannerRateLimitError(
                msg, retry_after=(self._cool_down_until - now).total_seconds()
            )
        period = Period(checkpoint, catalogue=self.catalogue, disabled=options.disabled_rules)
        try:
            collection = await self._collect(since, period, state.live_rows)
            devices, health = await self.client.device_state()
        except ScannerRateLimitError as err:
            self._cool_down_until = now + login_cool_down(err)
            raise
        self._cool_down_until = None
        conclude = partial(
            period.analysis, devices=devices, health=health, thresholds=options.thresholds, now=now
        )
        # Many subjects (a week of a busy site) make many findings: built off the loop.
        analysis = (
            await self.hass.async_add_executor_job(in_worker_turn, conclude)
            if period.new_entries > LARGE_BATCH
            else conclude()
        )
        period_start = since
        if checkpoint.last_success is not None:
            period_start = max(checkpoint.last_success, now - options.max_lookback)
        report = build_report(
            analysis,
            gateway=self.gateway.name or self.gateway.hostname or self.config_entry.data[CONF_HOST],
            site=self.config_entry.title,
            period_start=period_start,
            period_end=collection.until,
            generated_at=now,
            skipped=collection.skipped,
            quieting=state.quieting_for_next_report,
        )
        async with self.analysis_lock:  # what the live path announced until now is not news
            announced = self.store.state.announced_live
            report = replace(
                report,
                announced=MappingProxyType(
                    {
                        f.finding_id: announced[f.finding_id]
                        for f in report.findings
                        if f.finding_id in announced
                    }
                ),
            )
            fresh = tuple(
                finding
                for finding in fresh_findings(report, state.reported_state)
                if finding.finding_id not in announced
            )
            if deliver:
                self.delivering = frozenset(finding.finding_id for finding in fresh)
        if not deliver:
            return ScanResult(
                report=report,
                fresh=fresh,
                new_entries=period.new_entries,
                delivery=None,
                committed=False,
            )
        try:
            outcome = await self.delivery.async_deliver(report, fresh, options)
        finally:
            self.delivering = frozenset()
        if not outcome.ok:
            self._retry_since = since
            LOGGER.warning(
                "Delivery of the %s report failed on %s; the same events will be reported "
                "again by the next scan",
                self.config_entry.title,
                ", ".join(outcome.failed),
            )
            return ScanResult(
                report=report,
                fresh=fresh,
                new_entries=period.new_entries,
                delivery=outcome,
                committed=False,
            )
        advanced = period.advanced(now)
        reported = frozenset(state_key(finding) for finding in report.findings if finding.ongoing)
        covered = {_row_key(item) for item in state.live_rows}
        await self.store.async_update(
            lambda current: settled(
                replace(
                    current,
                    checkpoint=advanced,
                    last_report_at=now if fresh else current.last_report_at,
                    reported_state=reported,
                    announced=current.announced + len(fresh),
                    announced_live=_still_pending(current.announced_live, report, collection.until),
                    live_rows=tuple(
                        item for item in current.live_rows if _row_key(item) not in covered
                    ),
                ),
                report,
            )
        )
        self._retry_since = None
        self.delivery.committed()
        return ScanResult(
            report=report,
            fresh=fresh,
            new_entries=period.new_entries,
            delivery=outcome,
            committed=True,
        )


def _still_pending(
    announced: Mapping[str, datetime], report: Report, until: datetime
) -> Mapping[str, datetime]:
    """Keep the live announcements a delivered report has not covered yet.

    One announced after the report's end is not covered; nor one the report lacks because
    the log had not caught up with the stream, for up to ``ANNOUNCED_LIVE_GRACE``.
    """
    in_report = {finding.finding_id for finding in report.findings}
    return MappingProxyType(
        {
            finding_id: at
            for finding_id, at in announced.items()
            if at > until or (finding_id not in in_report and at > until - ANNOUNCED_LIVE_GRACE)
        }
    )


def _row_key(item: LiveRow) -> tuple[str, object, object]:
    """Identify a kept stream row across Store updates (its source, id and time)."""
    source, row = item
    return source, row.get("_id"), row.get("time")


def _consume(future: asyncio.Future[ScanResult]) -> None:
    """Mark a failed scan's error as seen when nobody joined it."""
    if not future.cancelled():
        future.exception()
