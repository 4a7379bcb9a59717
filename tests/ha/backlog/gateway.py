"""A day's backlog since the checkpoint, served by a gateway in a process of its own.

Shared by the backlog test (structure) and ``scripts/bench --ha`` (milliseconds and memory). The
gateway runs apart, as a real console would, so what happens on Home Assistant's loop is the
integration's own doing and not the simulator's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from custom_components.unifi_scanner.const import DOMAIN
from custom_components.unifi_scanner.scanner.models import Source
from tests.simulator import GatewaySimulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_homeassistant_custom_component.common import MockConfigEntry

DAY_BACKLOG = 100_000  # events logged while Home Assistant was off for a day

# The gateway process: the home scenario on a classic controller, its stores replaced by the
# backlog; it prints what the test needs to know, then serves, answering each line on its stdin
# with how often each path was requested so far, until its stdin closes.
_GATEWAY = """
import asyncio, datetime as dt, json, sys
from tests.simulator import GatewaySimulator, Mode, generate_events

async def main():
    sim = GatewaySimulator(mode=Mode.CLASSIC)
    for store in (sim.events, sim.alarms, sim.ips_events):
        store.clear()
    end = dt.datetime.fromtimestamp(int(sys.argv[1]) / 1000, dt.UTC)
    backlog = generate_events(int(sys.argv[2]), seed=7, end=end, span=dt.timedelta(hours=23))
    sim.events.extend(backlog)
    await sim.start()
    print(json.dumps({
        "port": sim.port,
        "threats": sum(1 for row in backlog if row["key"] == "EVT_IPS_IpsAlert"),
        "newest": max(row["time"] for row in backlog),
    }), flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        print(json.dumps(dict(sim.requests)), flush=True)
    await sim.stop()

asyncio.run(main())
"""


@dataclass(frozen=True, slots=True)
class Gateway:
    """The gateway process and what it said about its backlog."""

    process: subprocess.Popen[str]
    host: str
    port: int
    username: str
    password: str
    threats: int
    newest: int

    def requests(self) -> dict[str, int]:
        """Return how often each path was requested so far (the gateway keeps serving)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        counts: dict[str, int] = json.loads(self.process.stdout.readline())
        return counts


@contextmanager
def child_process(
    args: list[str], *, niceness: int
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Run this interpreter with ``args`` at ``niceness``; yield it and the JSON line it says first.

    When this process is pinned to some of the CPUs (``scripts/bench --ha --one-core``), the
    child runs on the others: it stands for a gateway, which has hardware of its own. Closing
    its standard input asks it to end; one that does not within 10 s is killed.
    """
    apart = set(range(os.cpu_count() or 1)) - os.sched_getaffinity(0)

    def prepare() -> None:
        os.nice(niceness)
        if apart:
            os.sched_setaffinity(0, apart)

    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, *args],
        cwd=Path(__file__).parents[3],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=prepare,  # noqa: PLW1509 - no threads in the child yet
    )
    try:
        assert process.stdout is not None
        yield process, json.loads(process.stdout.readline())
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gateway_process(backlog: int, *, niceness: int = 0) -> Iterator[Gateway]:
    """Start the gateway process (the backlog ends 10 minutes ago) and stop it at the end.

    A real gateway is another machine. Here it shares the cores with Home Assistant, unless
    Home Assistant is pinned to fewer (see ``child_process``): a benchmark gives it
    ``niceness`` 19 so that it yields the CPU whenever Home Assistant's threads want it; a test
    leaves it at 0, so that a busy machine slows it no more than the rest.
    """
    defaults = GatewaySimulator()
    end = int((time.time() - 600) * 1000)
    with child_process(["-c", _GATEWAY, str(end), str(backlog)], niceness=niceness) as (
        process,
        said,
    ):
        yield Gateway(
            process=process,
            host="127.0.0.1",
            port=said["port"],
            username=defaults.username,
            password=defaults.password,
            threats=said["threats"],
            newest=said["newest"],
        )


def memory(field: str) -> int:
    """Read a ``VmRSS``/``VmHWM`` line of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    msg = f"{field} not found"
    raise LookupError(msg)


def reset_peak_memory() -> bool:
    """Restart the peak-RSS counter (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def seed_reported_up_to_now(hass_storage: dict[str, Any], entry: MockConfigEntry) -> None:
    """Store a checkpoint that has reported everything up to now: a first scan finds nothing."""
    key = f"{DOMAIN}.{entry.entry_id}"
    mark = {"time_ms": int(time.time() * 1000), "ids": []}
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "checkpoint": {
                "last_success": dt_util.utcnow().isoformat(),
                "marks": {source.value: mark for source in Source},
            }
        },
    }
