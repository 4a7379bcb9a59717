"""How each log source is paged: the requests, where a page ends, what the next one asks for.

Every pager yields the rows of one answer at a time, newest first, and keeps nothing of an
answer once its rows are handed on: ``Collection`` digests a page before the next is asked for
(or while it is read ahead), so a backlog of any size is read in flat memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from .envelope import _count, _data, _whole_number
from .exceptions import ScannerResponseError
from .transport import UnifiTransport

if TYPE_CHECKING:
    from .collection import Pages

# Rows per request. A page is decoded, then digested, each in one step (on a worker thread when
# it is large), so a page is kept to about 2 MB of JSON (IPS rows are three times the size of an
# event row): each step holds the interpreter for a few milliseconds.
LEGACY_PAGE_SIZE: Final = 3000
SYSTEM_LOG_PAGE_SIZE: Final = 1000
IPS_PAGE_SIZE: Final = 1000
# A gateway that keeps announcing more rows must not keep a scan busy forever.
MAX_PAGES: Final = 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _utc(moment: datetime) -> datetime:
    """Make a datetime aware; naive values are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _item_ms(item: Any) -> int | None:
    """Cheap ``time`` (ms) of a raw item, for the client-side window filter."""
    return _whole_number(item.get("time") if isinstance(item, dict) else None)


def _item_id(item: Any) -> str | int | None:
    """Return the ``_id`` of a raw legacy row (None when it has none or it is not a scalar)."""
    value = item.get("_id") if isinstance(item, dict) else None
    return value if isinstance(value, str | int) else None


@dataclass(kw_only=True)
class LogPaging(UnifiTransport):
    """The paged log sources of one gateway: v2 system log, legacy events, alarms, IPS rows."""

    async def _system_log_pages(self, start: datetime, end: datetime) -> Pages:
        """Yield the v2 system log page by page (newest first) until the last page."""
        base = {
            "timestampFrom": _ms(_utc(start)),
            "timestampTo": _ms(_utc(end)),
            "pageSize": SYSTEM_LOG_PAGE_SIZE,
        }
        for page in range(MAX_PAGES):
            answer = await self.request(
                "POST", "system-log/all", json={**base, "pageNumber": page}, v2=True
            )
            if isinstance(answer, list):
                yield answer
                return
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list):
                msg = "The gateway's system log answer has no data list"
                raise ScannerResponseError(msg)
            pages = answer.get("total_page_count")
            del answer
            last = not data or not isinstance(pages, int) or page + 1 >= pages
            yield data
            del data
            if last:
                return

    async def _legacy_pages(self, path: str, body: dict[str, Any]) -> Pages:
        """Page a legacy POST by ``_start`` offset while ``meta.count`` says rows are left."""
        received = 0
        for _ in range(MAX_PAGES):
            envelope = await self.request(
                "POST", path, json={**body, "_start": received, "_limit": LEGACY_PAGE_SIZE}
            )
            data = _data(envelope)
            total = _count(envelope)
            del envelope
            received += len(data)
            last = not data or total is None or total <= received
            yield data
            del data
            if last:
                return

    def _event_pages(self, since: datetime) -> Pages:
        hours = (datetime.now(UTC) - _utc(since)).total_seconds() / 3600
        within = max(1, math.ceil(hours))
        return self._legacy_pages("stat/event", {"_sort": "-time", "within": within})

    async def _alarm_pages(self, since: datetime) -> Pages:
        """Alarms come in one answer; it is one page."""
        since_ms = _ms(_utc(since))
        envelope = await self.request("GET", "list/alarm")
        yield [
            item
            for item in _data(envelope)
            if (moment := _item_ms(item)) is None or moment >= since_ms
        ]

    async def _ips_pages(self, start: datetime, end: datetime) -> Pages:
        """Yield IPS rows page by page, each without the rows an earlier page had.

        The next request ends at the oldest time of this answer, so only the rows of that very
        millisecond can come again (and rows without a readable time): only their ids are
        remembered, never the whole collection's. A row newer than the end asked for was
        delivered by an earlier page (a gateway ignoring ``end``), so it is not fresh either.
        """
        start_ms, end_ms = _ms(_utc(start)), _ms(_utc(end))
        newest: float = math.inf  # the first answer is taken whole, as before
        seen: set[Any] = set()
        for _ in range(MAX_PAGES):
            envelope = await self.request(
                "POST",
                "stat/ips/event",
                json={"start": start_ms, "end": end_ms, "_sort": "-time", "_limit": IPS_PAGE_SIZE},
            )
            data = _data(envelope)
            total = _count(envelope)
            del envelope
            fresh = [
                item
                for item in data
                if _item_id(item) not in seen
                and ((moment := _item_ms(item)) is None or moment <= newest)
            ]
            times = [moment for item in data if (moment := _item_ms(item)) is not None]
            last = not fresh or total is None or total <= len(data) or not times
            if not last:
                boundary = min(times)
                again = {
                    _item_id(item)
                    for item in data
                    if (moment := _item_ms(item)) is None or moment == boundary
                }
                # The same end again: the rows already at it can still come again too.
                seen = again | seen if boundary == end_ms else again
                end_ms = boundary
                newest = boundary
            del data, times
            if fresh:
                yield fresh
            del fresh
            if last:
                return
