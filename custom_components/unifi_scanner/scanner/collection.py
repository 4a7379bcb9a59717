"""One collection of log entries, read page by page and handed over newest first.

``UnifiClient.collect`` builds a ``Collection``; ``digest`` feeds a consumer one page per
synchronous step, which is how a scan reads a backlog of any size in flat memory without keeping
the event loop busy, and what ``fetch_since`` gathers.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack, aclosing
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Self

from .exceptions import ScannerUnsupportedError
from .normalize import gc_paused, in_worker_turn

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        Awaitable,
        Callable,
        Generator,
        Mapping,
    )
    from datetime import datetime

    from .models import Capabilities, LogEntry, SkippedRows, Source
    from .normalize.collector import OrderedCollector

LOGGER = logging.getLogger(__name__)

# A page of more rows than this takes its digest step on a worker thread, when one is offered.
NORMALIZE_CHUNK: Final = 3000

type Pages = AsyncGenerator[list[dict[str, Any]]]

type Fetchers = Mapping[Source, Callable[[], Pages]]
type Prepare = Callable[[], Awaitable[tuple[Capabilities, OrderedCollector, Fetchers, set[Source]]]]


class Collection:
    """One collection of log entries, handed over newest first.

    ``digest(consume)`` hands ``consume`` lists of entries newest first across all sources,
    each millisecond in collection order ``(source, id)`` (``sort_newest_first``: the order the
    engine reads a collection in), each list older than the one before (except entries the
    gateway delivered out of its own order, see ``out_of_order``). Pages are taken always from
    the source whose pages reach least far back; while one is digested, the next page of its
    source is already on its way (``_ReadAhead``), so the gateway's time to answer overlaps
    the digest. About two pages per source are held at once however large the backlog. A
    collection is read once; ``async with collection`` (or ``aclose()``) closes the page
    requests still open when the consumer fails.

    ``capabilities`` is known once the collection was awaited or entered; ``unsupported`` and
    ``skipped`` are final once ``digest`` has returned.
    """

    def __init__(self, *, since: datetime, until: datetime, prepare: Prepare) -> None:
        """Read what ``prepare`` sets up; see ``UnifiClient.collect``."""
        self.since: Final = since
        self.until: Final = until
        self._prepare: Prepare | None = prepare
        self._capabilities: Capabilities | None = None
        self._collector: OrderedCollector | None = None
        self._fetchers: Fetchers = {}
        self._unsupported: set[Source] = set()
        self._reading: AsyncGenerator[Any] | None = None

    async def _prepared(self) -> Self:
        if self._prepare is not None:
            prepare, self._prepare = self._prepare, None
            (
                self._capabilities,
                self._collector,
                self._fetchers,
                self._unsupported,
            ) = await prepare()
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        """Probe the capabilities (once per client) and normalise the extra rows."""
        return self._prepared().__await__()

    @property
    def capabilities(self) -> Capabilities:
        """What the gateway supports (known once prepared)."""
        if self._capabilities is None:
            msg = "The collection has not been awaited or entered yet"
            raise RuntimeError(msg)
        return self._capabilities

    @property
    def collector(self) -> OrderedCollector:
        """The collector behind the stream (its figures: held, remembered, out of order)."""
        if self._collector is None:
            msg = "The collection has not been awaited or entered yet"
            raise RuntimeError(msg)
        return self._collector

    @property
    def unsupported(self) -> frozenset[Source]:
        """Sources this gateway does not have (by probe, or found answering 404)."""
        return frozenset(self._unsupported)

    @property
    def skipped(self) -> dict[Source, SkippedRows]:
        """Per source with any, the rows that could not be used."""
        return self.collector.skipped()

    @property
    def out_of_order(self) -> int:
        """Entries handed over after entries they precede (the gateway broke its order)."""
        return self.collector.out_of_order

    @property
    def withdrawn(self) -> frozenset[Source]:
        """Sources found unsupported after some of their entries had been handed over."""
        return self.collector.withdrawn

    async def aclose(self) -> None:
        """Stop reading: close every page request still open."""
        if self._reading is not None:
            await self._reading.aclose()

    async def __aenter__(self) -> Self:
        """Prepare the collection; leaving the block closes it."""
        return await self._prepared()

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close every page request still open."""
        await self.aclose()

    async def _pages(self) -> AsyncGenerator[tuple[Source, list[dict[str, Any]]]]:
        """Yield each page as it arrives, from the source the collector names next."""
        await self._prepared()
        collector = self.collector
        async with AsyncExitStack() as stack:
            opened: dict[Source, _ReadAhead] = {}
            while (source := collector.next_source()) is not None:
                pages = opened.get(source)
                if pages is None:
                    pages = opened[source] = await stack.enter_async_context(
                        aclosing(_ReadAhead(self._fetchers[source]()))
                    )
                for other in opened.values():
                    await other.settled()  # one request at a time: a page read ahead first
                try:
                    page = await pages.next()
                except ScannerUnsupportedError:
                    LOGGER.debug("%s is not supported by this gateway", source)
                    collector.discard(source)
                    self._unsupported.add(source)
                    continue
                if page is None:
                    collector.finish(source)
                    continue
                yield source, page
                del page

    async def digest(
        self,
        consume: Callable[[list[LogEntry]], object],
        *,
        offload: Callable[[Callable[[], None]], Awaitable[None]] | None = None,
        offload_above: int = NORMALIZE_CHUNK,
    ) -> None:
        """Read the whole collection into ``consume``, one page per synchronous step.

        Each page is normalised, handed over and consumed in one step with the cyclic garbage
        collector paused, so its entries are gone again before the collector next looks: they
        never reach the old generation, whose full collections traverse the whole process (on
        Home Assistant's heap, well over 100 ms each). A page of more than ``offload_above``
        rows takes that step through ``offload`` (a worker thread), a smaller one on the loop.
        """
        if self._reading is not None:
            msg = "A collection can be read only once"
            raise RuntimeError(msg)
        collector = (await self._prepared()).collector

        def step(page: list[dict[str, Any]] | None, source: Source | None) -> None:
            with gc_paused():
                if page is not None and source is not None:
                    collector.add_page(page, source)
                    batch = collector.ready()
                else:
                    batch = collector.remaining()
                if batch:
                    consume(batch)
                del batch
                if page is not None:
                    page.clear()  # its rows are freed here, not by whoever drops the list

        pages = self._pages()
        self._reading = pages  # closed by aclose()
        async with aclosing(pages):
            async for source, page in pages:
                await asyncio.sleep(0)  # the page was decoded in the turn that just ended
                if offload is not None and len(page) > offload_above:
                    await offload(partial(in_worker_turn, partial(step, page, source)))
                else:
                    step(page, source)
                del page
        step(None, None)
        self._log_end(collector)

    @staticmethod
    def _log_end(collector: OrderedCollector) -> None:
        LOGGER.debug(
            "Collected %d entries, holding at most %d entries and %d ids at once; "
            "%d out of the gateway's order",
            collector.emitted,
            collector.peak_held,
            collector.peak_remembered,
            collector.out_of_order,
        )
        skipped = collector.skipped()
        if skipped:
            LOGGER.debug(
                "Skipped rows that could not be used: %s",
                ", ".join(
                    f"{source} {rows.unreadable} without a usable id or time, "
                    f"{rows.conflicting} with a repeated id and different content"
                    for source, rows in skipped.items()
                ),
            )


class _ReadAhead:
    """One source's pages, the next already requested while the one handed out is digested.

    A gateway takes a while to answer each page (a console's database, its network); asking for
    the next page only once the last one was digested added that wait to every page. The page
    read ahead is the one the source's pager would have requested next anyway, so no extra
    request is made. The collection still sends one request at a time: before it asks another
    source, the page read ahead has arrived (``settled``), so the console's session sees
    requests in turn, and a failure of that page ends the collection then, as it would have a
    moment later.
    """

    def __init__(self, pages: Pages) -> None:
        self._pages = pages
        self._ahead: asyncio.Task[list[dict[str, Any]] | None] | None = None

    async def next(self) -> list[dict[str, Any]] | None:
        """Return the next page (None after the last), and request the one after it."""
        ahead, self._ahead = self._ahead, None
        page = await (ahead if ahead is not None else self._read())
        if page is not None:
            self._ahead = asyncio.create_task(self._read())
        return page

    async def settled(self) -> None:
        """Wait until the page read ahead has arrived, leaving it for ``next``.

        A failure is raised now, as a failure of the page asked for would have been: the
        collection cannot complete. A source found unsupported is left for its turn, where it
        is dropped and the other sources go on.
        """
        ahead = self._ahead
        if ahead is None:
            return
        await asyncio.wait((ahead,))
        failure = None if ahead.cancelled() else ahead.exception()
        if failure is not None and not isinstance(failure, ScannerUnsupportedError):
            raise failure

    async def _read(self) -> list[dict[str, Any]] | None:
        return await anext(self._pages, None)

    async def aclose(self) -> None:
        """Drop the page read ahead (its request is cancelled), then close the pager.

        The pager can only be closed once the read has stopped, so closing goes on while it
        stops even if the close itself is cancelled meanwhile (Home Assistant cancelling a
        scan twice while it unloads); the cancellation is raised once the pager is closed.
        The wait is bounded: a read ends within the transport's request timeout.
        """
        ahead, self._ahead = self._ahead, None
        cancelled: asyncio.CancelledError | None = None
        if ahead is not None:
            ahead.cancel()
            while not ahead.done():
                try:
                    await asyncio.wait((ahead,))
                except asyncio.CancelledError as err:
                    cancelled = err
            if not ahead.cancelled():
                ahead.exception()  # retrieved: a failure nobody asked for is not news
        await self._pages.aclose()
        if cancelled is not None:
            raise cancelled
