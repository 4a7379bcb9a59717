"""The console's event websocket: open sockets per site, and the frames pushed to them.

Events appended while a socket is open are pushed to it as ``{"meta": {"rc": "ok", "message":
"events"}, "data": [row]}``, the row shaped like a ``stat/event`` row. Each socket has one writer
task fed by a queue, so frames leave in the order the events were appended, and appending stays
synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aiohttp import WSCloseCode, web

if TYPE_CHECKING:
    from aiohttp import web_request

HEARTBEAT: Final = 15.0
"""Seconds between the server's pings, as consoles keep idle sockets alive."""
CLOSE_WAIT: Final = 2.0
"""How long closing a socket waits for the client's answer before it lets go."""


@dataclass(slots=True)
class _Socket:
    site: str
    frames: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class LiveStreams:
    """Every open event socket, by site."""

    def __init__(self) -> None:
        """Start with no socket."""
        self.connections = 0
        """Upgrades accepted since the simulator started."""
        self._open: dict[web.WebSocketResponse, _Socket] = {}

    @property
    def open_count(self) -> int:
        """Sockets open right now."""
        return len(self._open)

    async def serve(self, request: web_request.Request, site: str) -> web.WebSocketResponse:
        """Upgrade, then push frames until the client or the simulator closes the socket."""
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT, timeout=CLOSE_WAIT)
        await socket.prepare(request)
        self.connections += 1
        entry = _Socket(site)
        self._open[socket] = entry
        writer = asyncio.create_task(self._write(socket, entry.frames))
        try:
            async for _message in socket:  # the console ignores what clients send
                pass
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            del self._open[socket]
        return socket

    @staticmethod
    async def _write(socket: web.WebSocketResponse, frames: asyncio.Queue[str]) -> None:
        while True:
            frame = await frames.get()
            await socket.send_str(frame)

    def push(self, site: str, rows: list[dict[str, Any]]) -> None:
        """Queue one ``events`` frame for every socket of ``site``."""
        frame = json.dumps({"meta": {"rc": "ok", "message": "events"}, "data": rows})
        for entry in self._open.values():
            if entry.site == site:
                entry.frames.put_nowait(frame)

    async def close_all(self) -> None:
        """Close every socket, as a console does when it restarts."""
        for socket in list(self._open):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"restarting")
