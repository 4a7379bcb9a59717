"""The console's event websocket: open sockets per site, and the frames pushed to them.

Events appended while a socket is open are pushed to it as ``{"meta": {"rc": "ok", "message":
"events"}, "data": [row]}``, the row shaped like a ``stat/event`` row. Each socket has one writer
task fed by a queue, so frames leave in the order they were pushed, and pushing stays
synchronous.

Real consoles also send what a client must survive (UNIFI_API.md 7 and 7.1): frames of other
types (``sta:sync``, ``device:sync``, ``alert``), empty frames, several rows per frame, frames
over aiohttp's default 4 MiB limit, restarts that drop every socket, and 502/503 answers to the
upgrade while they boot. Each has a switch or a push method here, so tests can show each one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import http
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aiohttp import WSCloseCode, web

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web_request

HEARTBEAT: Final = 15.0
"""Seconds between the server's pings, as consoles keep idle sockets alive."""
CLOSE_WAIT: Final = 2.0
"""How long closing a socket waits for the client's answer before it lets go."""
CLIENT_DEFAULT_LIMIT: Final = 4 * 1024 * 1024
"""aiohttp's default `max_msg_size`: the limit a huge frame is made to exceed."""
HUGE_FRAME_BYTES: Final = 5 * 1024 * 1024 + 64 * 1024
"""Least size of the frame `push_huge` sends: past 5 MiB, as consoles were seen to send."""
PADDING_FIELD: Final = "padding"
"""The field of the last row that `push_huge` fills to make the frame big."""

NOISE_CLIENT: Final[dict[str, Any]] = {
    "mac": "3c:22:fb:10:20:30",
    "hostname": "living-room-tv",
    "ip": "192.168.1.140",
    "is_wired": False,
    "essid": "Home",
    "uptime": 5400,
}
"""The client object a `sta:sync` noise frame carries (stat/sta shape, trimmed)."""
NOISE_DEVICE: Final[dict[str, Any]] = {
    "mac": "78:45:58:aa:bb:cc",
    "type": "uap",
    "state": 1,
    "uptime": 86400,
}
"""The partial device object a `device:sync` noise frame carries."""

type Frame = str | bytes
"""A text frame (str) or a binary frame (bytes)."""


def envelope(message: str, data: Any) -> str:
    """Serialise one frame as consoles do: ``{"meta": {"rc": "ok", "message": …}, "data": …}``."""
    return json.dumps({"meta": {"rc": "ok", "message": message}, "data": data})


NOISE_FRAMES: Final[tuple[Frame, ...]] = (
    envelope("sta:sync", [NOISE_CLIENT]),
    envelope("device:sync", [NOISE_DEVICE]),
    "",
)
"""What `push_noise` sends, in order; `noisy` sends one of them, in turn, before each event."""


def garbage_frames(valid: dict[str, Any], decoy: dict[str, Any]) -> list[Frame]:
    """Return the frames `push_garbage` sends, in order.

    A correct client takes exactly one row from them: `valid`, from the eighth frame, whose
    `data` list also holds items that are not objects. `decoy` appears only where no client
    should take it (truncated JSON, a top-level array, an object without `meta`), so a test can
    prove it was left alone. The binary frame is not JSON: consoles send text.
    """
    events = envelope("events", [decoy])
    return [
        "",  # the empty frame consoles send now and then (core#110146)
        "Service Unavailable",  # not JSON at all
        events[: len(events) // 2],  # JSON cut short
        json.dumps([json.loads(events)]),  # JSON, but an array instead of an object
        json.dumps({"data": [decoy]}),  # an object without meta
        json.dumps({"meta": {"rc": "ok", "message": "events"}}),  # events without data
        envelope("events", "EVT_AP_Lost_Contact"),  # data is a string
        envelope("events", [None, "EVT_AP_Lost_Contact", 7, [decoy["key"]], valid]),
        b"\x00\x01\x02\x03\xfe\xff",  # a binary frame
    ]


@dataclass(slots=True)
class _Socket:
    site: str
    frames: asyncio.Queue[Frame] = field(default_factory=asyncio.Queue)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class LiveStreams:
    """Every open event socket, by site, and the switches for the failures consoles show."""

    def __init__(self) -> None:
        """Start with no socket and every switch off."""
        self.connections = 0
        """Upgrades accepted since the simulator started."""
        self.noisy = False
        """Send one noise frame (`NOISE_FRAMES` in turn) before each `events` frame.

        Lets a test prove that the normal flow skips other message types and empty frames.
        """
        self.refuse_status: int | None = None
        """Answer an otherwise valid upgrade with this HTTP status instead of upgrading.

        502 is a proxy without websockets, 503 a console still booting; None upgrades. The
        answer comes after authentication and the site check; `faults` covers a refusal that
        comes before them.
        """
        self.refusals = 0
        """Upgrades answered with `refuse_status`."""
        self.drops = 0
        """Sockets closed by `drop_all`, as a restart closes them."""
        self.sent: collections.Counter[str] = collections.Counter()
        """Frames written so far, by site, counting each socket a frame went to."""
        self._open: dict[web.WebSocketResponse, _Socket] = {}
        self._noise_turn = 0
        self._progress: set[asyncio.Event] = set()

    @property
    def open_count(self) -> int:
        """Sockets open right now."""
        return len(self._open)

    @property
    def sent_total(self) -> int:
        """Frames written so far to every socket of every site."""
        return self.sent.total()

    async def wait_sent(self, count: int, *, site: str | None = None) -> None:
        """Return once `count` frames were written for `site` (or in all, for None).

        Waits on the counter, never on time: wrap it in `asyncio.timeout` as a safety net.
        """
        while (self.sent_total if site is None else self.sent[site]) < count:
            progress = asyncio.Event()
            self._progress.add(progress)
            try:
                await progress.wait()
            finally:
                self._progress.discard(progress)

    async def serve(self, request: web_request.Request, site: str) -> web.StreamResponse:
        """Upgrade, then push frames until the client or the simulator closes the socket."""
        # compress: permessage-deflate when the client offers it, as aiounifi does.
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT, timeout=CLOSE_WAIT, compress=True)
        if self.refuse_status is not None and socket.can_prepare(request).ok:
            self.refusals += 1
            return _refusal(self.refuse_status)
        entry = _Socket(site)
        # Known before the handshake answer leaves, so a client that has its socket can push.
        self._open[socket] = entry
        try:
            await socket.prepare(request)
            self.connections += 1
            writer = asyncio.create_task(self._write(socket, entry))
            try:
                async for _message in socket:  # the console ignores what clients send
                    pass
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
        finally:
            del self._open[socket]
            entry.ended.set()
        return socket

    async def _write(self, socket: web.WebSocketResponse, entry: _Socket) -> None:
        while True:
            frame = await entry.frames.get()
            try:
                if isinstance(frame, bytes):
                    await socket.send_bytes(frame)
                else:
                    await socket.send_str(frame)
            except ConnectionError:
                return  # the client went away; the reader ends the socket
            self.sent[entry.site] += 1
            for progress in self._progress:
                progress.set()

    # -- pushing ----------------------------------------------------------------

    def push_frame(self, site: str, frame: Frame) -> None:
        """Queue one raw frame, text or binary, for every socket of `site`."""
        for entry in self._open.values():
            if entry.site == site:
                entry.frames.put_nowait(frame)

    def push(self, site: str, rows: list[dict[str, Any]]) -> None:
        """Queue one ``events`` frame holding every row of `rows` for every socket of `site`.

        With `noisy` on, one noise frame goes first.
        """
        if self.noisy:
            self.push_frame(site, NOISE_FRAMES[self._noise_turn % len(NOISE_FRAMES)])
            self._noise_turn += 1
        self.push_frame(site, envelope("events", rows))

    def push_alert(self, site: str, rows: list[dict[str, Any]]) -> None:
        """Queue one ``alert`` frame holding `rows` for every socket of `site`."""
        self.push_frame(site, envelope("alert", rows))

    def push_noise(self, site: str) -> None:
        """Queue `NOISE_FRAMES` (``sta:sync``, ``device:sync``, empty) for every socket of `site`.

        None of them carries an event: a client must skip all three and keep reading.
        """
        for frame in NOISE_FRAMES:
            self.push_frame(site, frame)

    def push_huge(
        self, site: str, rows: Iterable[dict[str, Any]], *, min_bytes: int = HUGE_FRAME_BYTES
    ) -> list[dict[str, Any]]:
        """Queue one valid ``events`` frame of at least `min_bytes`; return the rows it holds.

        The last row (copied) gets a `PADDING_FIELD` string long enough; the others are sent as
        given. A client with aiohttp's default limit (`CLIENT_DEFAULT_LIMIT`) fails on it, one
        with a raised `max_msg_size` reads it and should take every returned row.
        """
        sent = [copy.deepcopy(row) for row in rows]
        if not sent:
            msg = "a huge frame needs at least one row"
            raise ValueError(msg)
        sent[-1][PADDING_FIELD] = ""
        short = min_bytes - len(envelope("events", sent).encode())
        sent[-1][PADDING_FIELD] = "x" * max(0, short)
        self.push_frame(site, envelope("events", sent))
        return sent

    def push_garbage(
        self, site: str, valid: dict[str, Any], decoy: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Queue `garbage_frames(valid, decoy)`; return the rows a correct client takes: [valid].

        A test can push a normal event after it to prove the client is still reading.
        """
        for frame in garbage_frames(valid, decoy):
            self.push_frame(site, frame)
        return [valid]

    # -- closing ----------------------------------------------------------------

    async def drop_all(self) -> int:
        """Close every socket with GOING_AWAY, as a console restart does; return how many.

        Returns once the dropped sockets are gone from `open_count`.
        Sessions survive: call the simulator's `expire_sessions` too for a reboot that
        forgets them, and set `refuse_status` for the boot that follows.
        """
        dropped = await self._close_every(b"restarting")
        self.drops += dropped
        return dropped

    async def close_all(self) -> None:
        """Close every socket when the simulator stops (not counted as drops)."""
        await self._close_every(b"restarting")

    async def _close_every(self, reason: bytes) -> int:
        closing = {
            socket: entry
            for socket, entry in self._open.items()
            if socket.prepared and not socket.closed
        }
        await asyncio.gather(
            *(socket.close(code=WSCloseCode.GOING_AWAY, message=reason) for socket in closing)
        )
        await asyncio.gather(*(entry.ended.wait() for entry in closing.values()))
        return len(closing)


def _refusal(status: int) -> web.Response:
    """Answer with `status` and the small HTML page nginx gives in front of a booting console."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:  # a status the standard does not name
        phrase = ""
    return web.Response(
        status=status,
        text=f"<html><body><h1>{status} {phrase}</h1>nginx</body></html>",
        content_type="text/html",
    )
