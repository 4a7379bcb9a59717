"""Async client for the Network application of a UniFi gateway (UniFi OS or classic).

``UnifiClient`` holds the endpoint methods (sites, sysinfo, probe, devices, health, the log
sources paged by ``paging``), ``collect`` (one collection read page by page, newest first:
``collection``) and ``fetch_since`` (all of it at once); the session, login and the single
``request()`` chokepoint live in ``transport``, the pure envelope helpers in ``envelope``.
Paths and quirks follow UNIFI_API.md.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .collection import NORMALIZE_CHUNK, Collection
from .envelope import MFA_MESSAGE, _count, _data, _jwt_csrf, _retry_after
from .exceptions import ScannerUnsupportedError
from .models import (
    Capabilities,
    Device,
    FetchResult,
    GatewayInfo,
    HealthSubsystem,
    LogEntry,
    Site,
    Source,
)
from .normalize import normalize_device, normalize_health, sort_entries
from .normalize.collector import OrderedCollector
from .paging import (
    IPS_PAGE_SIZE,
    LEGACY_PAGE_SIZE,
    MAX_PAGES,
    SYSTEM_LOG_PAGE_SIZE,
    LogPaging,
    _item_ms,
    _ms,
    _utc,
)
from .transport import DEFAULT_PORT, UNIFI_OS_PREFIX, _SessionExpiredError

if TYPE_CHECKING:
    from collections.abc import (
        Awaitable,
        Callable,
        Iterable,
        Mapping,
    )

    from .collection import Fetchers, Pages

# The names callers and tests have always imported from this module, wherever they now live.
__all__ = [
    "DEFAULT_PORT",
    "IPS_PAGE_SIZE",
    "LEGACY_PAGE_SIZE",
    "MAX_PAGES",
    "MFA_MESSAGE",
    "NORMALIZE_CHUNK",
    "SYSTEM_LOG_PAGE_SIZE",
    "UNIFI_OS_PREFIX",
    "Collection",
    "UnifiClient",
    "_SessionExpiredError",
    "_count",
    "_data",
    "_item_ms",
    "_jwt_csrf",
    "_retry_after",
    "_utc",
]

LOGGER = logging.getLogger(__name__)


async def _on_worker(step: Callable[[], None]) -> None:
    """Run a large page's digest step on the loop's default executor."""
    await asyncio.get_running_loop().run_in_executor(None, step)


@dataclass(kw_only=True)
class UnifiClient(LogPaging):
    """One gateway, one site, one login session on an injected aiohttp session."""

    _capabilities: Capabilities | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def capabilities(self) -> Capabilities | None:
        """What ``probe()`` found, None before it ran."""
        return self._capabilities

    # --- endpoints -----------------------------------------------------------------------------

    async def sites(self) -> list[Site]:
        """Sites this account can see."""
        envelope = await self.request("GET", "self/sites", site_scoped=False)
        return [
            Site(
                id=str(item.get("_id") or item["name"]),
                name=item["name"],
                description=str(item.get("desc") or item["name"]),
            )
            for item in _data(envelope)
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        ]

    async def gateway_info(self) -> GatewayInfo:
        """Version and identity of the Network application (``stat/sysinfo``)."""
        data = _data(await self.request("GET", "stat/sysinfo"))
        info = data[0] if data and isinstance(data[0], dict) else {}

        def text(name: str) -> str | None:
            value = info.get(name)
            return value if isinstance(value, str) and value else None

        return GatewayInfo(
            version=text("version"),
            hostname=text("hostname"),
            name=text("name"),
            timezone=text("timezone"),
            device_type=text("ubnt_device_type"),
            anonymous_id=text("anonymous_controller_id"),
        )

    async def _supported(self, call: Callable[[], Awaitable[Any]]) -> bool:
        try:
            await call()
        except ScannerUnsupportedError:
            return False
        return True

    async def probe(self) -> Capabilities:
        """Find which log sources exist (404 = not supported); done once per client."""
        if self._capabilities is not None:
            return self._capabilities
        now = datetime.now(UTC)
        end = _ms(now)
        start = _ms(now - timedelta(hours=1))
        system_log = await self._supported(
            lambda: self.request(
                "POST",
                "system-log/all",
                json={"timestampFrom": start, "timestampTo": end, "pageNumber": 0, "pageSize": 1},
                v2=True,
            )
        )
        legacy_events = await self._supported(
            lambda: self.request(
                "POST", "stat/event", json={"_sort": "-time", "within": 1, "_start": 0, "_limit": 1}
            )
        )
        alarms = await self._supported(lambda: self.request("GET", "list/alarm"))
        ips = await self._supported(
            lambda: self.request(
                "POST", "stat/ips/event", json={"start": start, "end": end, "_limit": 1}
            )
        )
        self._capabilities = Capabilities(
            unifi_os=bool(self._unifi_os),
            system_log=system_log,
            legacy_events=legacy_events,
            alarms=alarms,
            ips=ips,
        )
        LOGGER.debug("Capabilities: %s", self._capabilities)
        return self._capabilities

    async def devices(self) -> list[Device]:
        """Adopted devices with their health fields."""
        envelope = await self.request("GET", "stat/device")
        return [device for item in _data(envelope) if (device := normalize_device(item))]

    async def health(self) -> list[HealthSubsystem]:
        """Subsystem health (wan, www, wlan, lan, vpn)."""
        envelope = await self.request("GET", "stat/health")
        return [sub for item in _data(envelope) if (sub := normalize_health(item))]

    async def raw_system_log(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every v2 system-log entry between ``start`` and ``end``, all pages."""
        return [row async for page in self._system_log_pages(start, end) for row in page]

    async def raw_events(self, since: datetime) -> list[dict[str, Any]]:
        """Legacy ``stat/event`` rows since ``since`` (the window is whole hours, so coarse)."""
        return [row async for page in self._event_pages(since) for row in page]

    async def raw_alarms(self, since: datetime) -> list[dict[str, Any]]:
        """Alarms (archived or not) raised since ``since``; unparseable times are kept."""
        return [row async for page in self._alarm_pages(since) for row in page]

    async def raw_ips_events(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Legacy IPS rows between ``start`` and ``end``, newest first, all of them.

        A truncated answer (``meta.count`` above the rows received) is continued by moving
        ``end`` down to the oldest row seen, which works whether or not the gateway honours a
        ``_start`` offset on this endpoint; overlapping rows are dropped by id.
        """
        return [row async for page in self._ips_pages(start, end) for row in page]

    async def read_log_since(
        self, since_ms: int, *, legacy_first: bool = False
    ) -> tuple[Source, list[dict[str, Any]]] | None:
        """Log rows from ``since_ms`` to now, for live alerts: one request when nothing happened.

        The v2 system log where it exists, else legacy ``stat/event`` (filtered here, its window
        is whole hours); ``legacy_first`` the other way round: its rows are the ones the event
        stream pushes, ids included. None on a gateway with neither.
        """
        capabilities = await self.probe()
        since = datetime.fromtimestamp(since_ms / 1000, UTC)
        if capabilities.legacy_events and (legacy_first or not capabilities.system_log):
            source, pages = Source.EVENT, self._event_pages(since)
        elif capabilities.system_log:
            source, pages = Source.SYSTEM_LOG, self._system_log_pages(since, datetime.now(UTC))
        else:
            return None
        rows: list[dict[str, Any]] = []
        async with aclosing(pages):
            async for page in pages:
                rows += (row for row in page if (_item_ms(row) or since_ms) >= since_ms)
        return source, rows

    # --- one collection ------------------------------------------------------------------------

    def collect(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        rows: Iterable[tuple[Source, Mapping[str, Any]]] = (),
    ) -> Collection:
        """One collection of ``[since, until]`` (``until`` defaults to now), read as digested.

        ``rows`` are extra raw rows merged into the stream (stream-only rows the caller kept),
        each normalised on its own, without window or repeat check. Awaiting the collection
        (``await client.collect(since)``) probes the capabilities (once per client) so they are
        known before the first batch; ``digest`` does so by itself. No page is requested before
        ``digest`` starts.
        """
        since = _utc(since)
        until = _utc(until) if until is not None else datetime.now(UTC)
        extra = list(rows)

        async def prepare() -> tuple[Capabilities, OrderedCollector, Fetchers, set[Source]]:
            capabilities = await self.probe()
            fetchers: tuple[tuple[Source, bool, Callable[[], Pages]], ...] = (
                (
                    Source.SYSTEM_LOG,
                    capabilities.system_log,
                    lambda: self._system_log_pages(since, until),
                ),
                (Source.EVENT, capabilities.legacy_events, lambda: self._event_pages(since)),
                (Source.ALARM, capabilities.alarms, lambda: self._alarm_pages(since)),
                (Source.IPS, capabilities.ips, lambda: self._ips_pages(since, until)),
            )
            supported = {source: pages for source, ok, pages in fetchers if ok}
            collector = OrderedCollector(supported, since_ms=_ms(since), until_ms=_ms(until))
            for start in range(0, len(extra), NORMALIZE_CHUNK):
                if start:
                    await asyncio.sleep(0)
                collector.preload(extra[start : start + NORMALIZE_CHUNK])
            extra.clear()
            unsupported = {source for source, ok, _pages in fetchers if not ok}
            return capabilities, collector, supported, unsupported

        return Collection(since=since, until=until, prepare=prepare)

    async def device_state(self) -> tuple[list[Device], list[HealthSubsystem]]:
        """Devices and subsystem health, each empty where the gateway has no such endpoint."""
        try:
            devices = await self.devices()
        except ScannerUnsupportedError:
            devices = []
        try:
            health = await self.health()
        except ScannerUnsupportedError:
            health = []
        return devices, health

    async def fetch_since(self, since: datetime, *, until: datetime | None = None) -> FetchResult:
        """Collect every entry in ``[since, until]`` from all supported sources, plus snapshots.

        Entries are deduplicated per source by id and sorted by (time, source, id); the engine
        deduplicates across sources. A legacy endpoint answering 404 is recorded as unsupported.

        This is ``collect`` gathered into one tuple and sorted oldest first (on the loop's
        default executor when it is larger than a page), so it holds the whole collection: a
        large backlog is better streamed with ``collect``.
        """
        entries: list[LogEntry] = []
        async with self.collect(since, until=until) as collection:
            await collection.digest(entries.extend, offload=_on_worker)
        entries.reverse()
        withdrawn = collection.withdrawn
        if withdrawn:
            entries = [entry for entry in entries if entry.source not in withdrawn]
        # Oldest first, each millisecond in (source, id) order: reversing left its ties reversed.
        if len(entries) <= NORMALIZE_CHUNK:
            sort_entries(entries)
        else:
            await asyncio.get_running_loop().run_in_executor(None, sort_entries, entries)
        devices, health = await self.device_state()
        return FetchResult(
            since=collection.since,
            until=collection.until,
            entries=tuple(entries),
            devices=tuple(devices),
            health=tuple(health),
            capabilities=collection.capabilities,
            unsupported=collection.unsupported,
            skipped=collection.skipped,
        )
