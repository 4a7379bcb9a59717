"""The console's event websocket: frames in, event rows out, reconnecting with backoff.

Frames look like ``{"meta": {"rc": "ok", "message": "events"}, "data": [row, ...]}``; only the
``events`` and ``alert`` messages carry log rows (shaped like ``stat/event`` and ``list/alarm``
rows). Everything else (``sta:sync``, ``device:sync``, the empty frame a console sends every
quarter of an hour, anything that is not JSON) is skipped, never an error. See UNIFI_API.md §7.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import orjson

from .exceptions import ScannerError, ScannerRateLimitError, ScannerStreamRefusedError
from .models import Source

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .transport import UnifiTransport

LOGGER = logging.getLogger(__name__)

MESSAGE_SOURCES: Final = {"events": Source.LIVE, "alert": Source.LIVE_ALERT}


def parse_frame(frame: str | bytes) -> tuple[Source, list[dict[str, Any]]] | None:
    """Return the source and rows of an ``events`` or ``alert`` frame, None for anything else."""
    if not frame:
        return None
    try:
        decoded = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    meta = decoded.get("meta") if isinstance(decoded, dict) else None
    message = meta.get("message") if isinstance(meta, dict) else None
    source = MESSAGE_SOURCES.get(message) if isinstance(message, str) else None
    rows = decoded.get("data") if source is not None else None
    if source is None or not isinstance(rows, list):
        return None
    return source, [row for row in rows if isinstance(row, dict)]


@dataclass(slots=True)
class Backoff:
    """Exponential delays with jitter between reconnects: ``first`` doubling up to ``longest``.

    The jitter (up to a quarter of the step, taken off so no wait exceeds its step) keeps many
    Home Assistant instances from reconnecting to one console in lockstep after it restarted.
    """

    first: float = 15.0
    longest: float = 300.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt; each call doubles the step."""
        step: float = min(self.first * 2.0**self.attempt, self.longest)
        self.attempt += 1
        return step - step * 0.25 * random.random()  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        """Start again from the first step (the stream came back)."""
        self.attempt = 0


@dataclass(slots=True)
class StreamCounters:
    """What the stream did since the entry was loaded (diagnostics)."""

    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    frames: int = 0
    rows: int = 0
    last_frame_ms: int | None = None


type RowsHandler = Callable[[Source, list[dict[str, Any]]], Awaitable[None]]


class EventStream:
    """Keep one site's event websocket open and hand each frame's rows to ``on_rows``.

    ``run`` returns only when the gateway refuses the stream (``ScannerStreamRefusedError``
    propagates) or it is cancelled. A lost socket is logged once, reopened after a backoff
    delay, and logged once more when it is back; ``on_open`` runs after every open, so the
    caller can read what the log recorded during the gap.
    """

    def __init__(
        self,
        transport: UnifiTransport,
        on_rows: RowsHandler,
        *,
        on_open: Callable[[], Awaitable[None]],
        on_change: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
        clock_ms: Callable[[], int],
    ) -> None:
        """Bind to a transport whose session the stream shares (no login of its own)."""
        self._transport = transport
        self._on_rows = on_rows
        self._on_open = on_open
        self._on_change = on_change
        self.backoff = backoff or Backoff()
        self._clock_ms = clock_ms
        self.counters = StreamCounters()
        self._lost_logged = False

    async def run(self) -> None:
        """Stream until refused or cancelled, reconnecting after every loss."""
        while True:
            try:
                socket = await self._transport.open_event_stream()
            except ScannerStreamRefusedError:
                raise
            except ScannerRateLimitError as err:
                self._lost(err)
                await asyncio.sleep(max(self.backoff.next_delay(), err.retry_after or 0.0))
                continue
            except ScannerError as err:
                self._lost(err)
                await asyncio.sleep(self.backoff.next_delay())
                continue
            await self._read(socket)
            # Even after a clean close: a console that accepts and closes must not be hammered.
            await asyncio.sleep(self.backoff.next_delay())

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        counters = self.counters
        counters.connected = True
        counters.reconnects += counters.connects > 0
        counters.connects += 1
        if self._lost_logged:
            LOGGER.info("The event stream of %s is back", self._transport.host)
            self._lost_logged = False
        self.backoff.reset()
        self._on_change()
        # aiohttp hands a protocol error (a frame over the size limit) over as the ERROR
        # message's data, not as ``socket.exception()``.
        error: BaseException | None = None
        try:
            await self._on_open()
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    await self._frame(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    error = message.data
                    break
        finally:
            counters.connected = False
            self._on_change()
            await socket.close()
        self._lost(error or socket.exception())

    async def _frame(self, frame: str) -> None:
        counters = self.counters
        counters.frames += 1
        counters.last_frame_ms = self._clock_ms()
        parsed = parse_frame(frame)
        if parsed is None or not parsed[1]:
            return
        source, rows = parsed
        counters.rows += len(rows)
        await self._on_rows(source, rows)

    def _lost(self, err: BaseException | None) -> None:
        """Log the first failure of a run of them; retries stay quiet until the stream is back."""
        if self._lost_logged:
            return
        self._lost_logged = True
        reason = type(err).__name__ if err is not None else "closed by the console"
        LOGGER.warning(
            "The event stream of %s was lost (%s); reconnecting with backoff",
            self._transport.host,
            reason,
        )
