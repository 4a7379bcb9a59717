"""A console in a process of its own that pushes events and restarts when told to.

Used by ``scripts/bench --live``. The console runs apart, as a real one would, so the time its
own work takes is not spent on Home Assistant's loop. It is a classic controller: its log
(``stat/event``) and its stream carry the same legacy rows, so an event with a made-up switch
reads the same whether it arrives pushed or in the catch-up after a gap.

Each command is one JSON line on the process's stdin, each answer one JSON line on its stdout.
The answer carries ``time.perf_counter()`` taken just before the console queued the frame (or
dropped its sockets): on Linux that clock is the system-wide monotonic one, so Home Assistant's
process can subtract it from its own reading.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.ha.backlog.gateway import child_process
from tests.simulator import GatewaySimulator, Mode

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

ROGUE_DHCP = "EVT_SW_DetectRogueDHCP"  # a severe finding whose subject is the switch
SAFETY = 60.0  # seconds; only keeps a broken run from hanging (a reconnect waits up to 15 s)


def switch(number: int) -> dict[str, Any]:
    """Return the fields of a made-up switch: each number is a subject of its own."""
    name = f"Bench Switch {number}"
    return {
        "sw": f"02:be:0c:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}",
        "sw_name": name,
        "sw_displayName": name,
    }


async def _restart(sim: GatewaySimulator, number: int) -> float:
    """Reboot as a console does (sockets dropped, sessions forgotten), log an event meanwhile.

    The console is up again at once, so the client's reopening after its backoff succeeds;
    returns when the drop began.
    """
    started = time.perf_counter()
    await sim.live.drop_all()
    sim.expire_sessions()
    sim.append_event(ROGUE_DHCP, **switch(number))  # no socket is open: only the log has it
    return started


async def _serve() -> None:
    sim = GatewaySimulator(mode=Mode.CLASSIC)
    await sim.start()
    _say({"port": sim.port, "username": sim.username, "password": sim.password})
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command = json.loads(line)
        if command["op"] == "push":
            started = time.perf_counter()
            sim.append_event(ROGUE_DHCP, **switch(command["number"]))
        else:
            started = await _restart(sim, command["number"])
        _say({"started": started, "connections": sim.live.connections})
    await sim.stop()


def _say(answer: dict[str, Any]) -> None:
    print(json.dumps(answer), flush=True)  # noqa: T201 - the answer to the parent


@dataclass(frozen=True, slots=True)
class Console:
    """The console process, and how to sign in to it."""

    process: subprocess.Popen[str]
    host: str
    port: int
    username: str
    password: str

    def send(self, op: str, number: int) -> None:
        """Ask for a push or a restart about switch ``number`` (a pipe write: never blocks)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, "number": number}) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        """Read the answer to the oldest command not answered yet (blocks until it comes)."""
        assert self.process.stdout is not None
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer


@contextmanager
def console_process(*, niceness: int = 19) -> Iterator[Console]:
    """Start the console; at ``niceness`` 19 it yields the CPU whenever Home Assistant wants it."""
    with child_process(["-m", "tests.ha.live.console"], niceness=niceness) as (process, said):
        yield Console(process, "127.0.0.1", said["port"], said["username"], said["password"])


if __name__ == "__main__":
    asyncio.run(_serve())
