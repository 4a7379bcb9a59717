"""Live entries for one site: the event stream, its catch-up after a gap, or a short poll.

The feed hands normalised entries to its owner as they arrive. It keeps a mark (the newest
entry time it has handed over) so that, once a lost stream is back, it reads what the log
recorded during the gap; and where the gateway refuses the stream (an API key on a console
that wants a session, a proxy without websockets) it polls the log from that mark instead,
trying the stream again at most once per ``socket_retry``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from .exceptions import ScannerError, ScannerRateLimitError, ScannerStreamRefusedError
from .models import Source
from .normalize import normalize_entries
from .stream import Backoff, EventStream

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .client import UnifiClient
    from .models import LogEntry

LOGGER = logging.getLogger(__name__)

SEEN_MARGIN_MS: Final = 60_000
"""Ids are remembered this long behind the mark, past any re-read's overlap."""


class FeedMode(StrEnum):
    """How live entries reach Home Assistant."""

    STREAM = "stream"
    POLLING = "polling"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    """Timing of the feed (seconds): reconnect backoff, poll interval, stream retry."""

    backoff_first: float = 15.0
    backoff_longest: float = 300.0
    poll_interval: float = 60.0
    socket_retry: float = 3600.0
    overlap_ms: int = 10_000
    """A catch-up or poll re-reads this much before the mark: log rows may land late."""


@dataclass(slots=True)
class PollCounters:
    """What polling (and catching up) did since the entry was loaded (diagnostics)."""

    reads: int = 0
    failures: int = 0
    last_ok: bool = False


type EntriesHandler = Callable[[list[LogEntry]], Awaitable[None]]


class LiveFeed:
    """Run the stream or the poll for one site and pass on each new entry once."""

    def __init__(
        self,
        client: UnifiClient,
        on_entries: EntriesHandler,
        *,
        settings: FeedSettings,
        clock_ms: Callable[[], int],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        """Bind to the client; ``on_change`` hears when ``working`` or ``mode`` may change."""
        self._client = client
        self._on_entries = on_entries
        self._on_change = on_change
        self.settings = settings
        self._clock_ms = clock_ms
        self.stream = EventStream(
            client,
            self._stream_rows,
            on_open=self._caught_up,
            on_change=on_change,
            backoff=Backoff(first=settings.backoff_first, longest=settings.backoff_longest),
            clock_ms=clock_ms,
        )
        self.mode: FeedMode | None = None
        self.refused_status: int | None = None
        self.polls = PollCounters()
        self.entries = 0
        self._mark_ms = 0
        self._seen: dict[tuple[Source, str], int] = {}
        self._poll_failure_logged = False

    @property
    def working(self) -> bool:
        """Whether live entries can arrive right now (the stream is open, or polls succeed)."""
        if self.mode is FeedMode.STREAM:
            return self.stream.counters.connected
        return self.mode is FeedMode.POLLING and self.polls.last_ok

    async def run(self) -> None:
        """Feed until cancelled: the stream while it is offered, polling while it is refused."""
        self._mark_ms = self._clock_ms()
        while True:
            try:
                await self.stream.run()
            except ScannerStreamRefusedError as err:
                self.refused_status = err.status
                if self.mode is not FeedMode.POLLING:
                    LOGGER.info(
                        "%s does not open the event stream (HTTP %s); polling its log every %g s",
                        self._client.host,
                        err.status,
                        self.settings.poll_interval,
                    )
                self.mode = FeedMode.POLLING
                self._on_change()
            await self._poll_for(self.settings.socket_retry)

    async def _poll_for(self, duration: float) -> None:
        """Poll every ``poll_interval`` until ``duration`` has passed (then try the stream)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + duration
        while True:
            await self._read_log()
            remaining = until - loop.time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(self.settings.poll_interval, remaining))

    async def _caught_up(self) -> None:
        """Read what the log recorded since the mark, now that the stream (re)opened."""
        if self.mode is FeedMode.POLLING:
            LOGGER.info("%s opens the event stream again; polling stops", self._client.host)
        self.mode = FeedMode.STREAM
        self._on_change()
        await self._read_log(catching_up=True)

    async def _read_log(self, *, catching_up: bool = False) -> None:
        """Read the log from the mark (one request when nothing happened) and pass it on.

        A catch-up reads legacy events where the gateway keeps them: they are the rows the
        stream pushes, so what both delivered is recognised by its id and passed on once, as
        one source (the engine's cross-source matching by time would pair unrelated rows).
        """
        try:
            read = await self._client.read_log_since(
                self._mark_ms - self.settings.overlap_ms, legacy_first=catching_up
            )
        except ScannerRateLimitError:
            self._poll_failed()
            return
        except ScannerError as err:
            self._poll_failed(err)
            return
        self.polls.reads += 1
        if not self.polls.last_ok:
            self.polls.last_ok = True
            self._on_change()
        if self._poll_failure_logged:
            LOGGER.info("Reading the log of %s works again", self._client.host)
            self._poll_failure_logged = False
        if read is not None:
            source, rows = read
            await self._pass_on(Source.LIVE if source is Source.EVENT else source, rows)

    def _poll_failed(self, err: ScannerError | None = None) -> None:
        self.polls.failures += 1
        if self.polls.last_ok:
            self.polls.last_ok = False
            self._on_change()
        if not self._poll_failure_logged:
            self._poll_failure_logged = True
            LOGGER.warning(
                "Reading the log of %s for live alerts failed (%s); trying again",
                self._client.host,
                type(err).__name__ if err else "login limit",
            )

    async def _stream_rows(self, source: Source, rows: list[dict[str, Any]]) -> None:
        await self._pass_on(source, rows)

    async def _pass_on(self, source: Source, rows: list[dict[str, Any]]) -> None:
        """Normalise, drop what was already passed on, move the mark, hand the rest over."""
        fresh: list[LogEntry] = []
        seen = self._seen
        for entry in normalize_entries(rows, source):
            key = (entry.source, entry.id)
            if key in seen:
                continue
            seen[key] = entry.time_ms
            fresh.append(entry)
        if not fresh:
            return
        newest = max(entry.time_ms for entry in fresh)
        if newest > self._mark_ms:
            self._mark_ms = newest
            floor = newest - self.settings.overlap_ms - SEEN_MARGIN_MS
            self._seen = {key: time for key, time in seen.items() if time >= floor}
        self.entries += len(fresh)
        await self._on_entries(fresh)
