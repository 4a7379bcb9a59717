"""Controller flavours and the fault switches a test can flip while the simulator runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

# How long a test waits for a held request to arrive before it fails instead of hanging; a
# request that arrives at all does so within milliseconds.
HANG_GUARD: Final = 60.0


class Mode(StrEnum):
    """Which kind of controller the simulator pretends to be."""

    UNIFI_OS = "unifi_os"
    """UniFi OS console running Network 9: legacy endpoints and the v2 system log."""
    CLASSIC = "classic"
    """Self-hosted Network 7/8 controller: no `/proxy/network` prefix and no v2 system log."""
    NETWORK10 = "network10"
    """UniFi OS console running Network 10: legacy event and IPS endpoints are gone."""


@dataclass
class Faults:
    """Misbehaviour applied to API requests; mutable so a test can change it mid-run.

    Login, logout and the detection page are exempt unless `paths` names them, so a
    test of a broken endpoint is not turned into a test of a broken login.
    `fail_after` counts targeted requests since a switch was turned on (the count
    restarts whenever every switch is off).
    """

    latency: float = 0.0
    status: int | None = None
    malformed_json: bool = False
    truncated_body: bool = False
    drop_connection: bool = False
    fail_after: int = 0
    paths: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any switch is on (`fail_after` and `paths` only shape the others)."""
        return bool(
            self.latency > 0
            or self.status is not None
            or self.malformed_json
            or self.truncated_body
            or self.drop_connection
        )


@dataclass
class Gate:
    """Holds every request whose path contains one of `paths` until the test releases it.

    A test that acts while a request is in flight (expiring the session, rotating the CSRF
    token, unloading the entry) waits for the request to reach the gateway instead of guessing
    how long it takes, acts, then releases it; nothing depends on the machine's speed.
    """

    paths: tuple[str, ...]
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def holds(self, path: str) -> bool:
        """Whether a request for `path` is held now."""
        return not self.released.is_set() and any(part in path for part in self.paths)

    async def reached(self) -> None:
        """Wait until a held request has arrived."""
        async with asyncio.timeout(HANG_GUARD):
            await self.arrived.wait()

    def release(self) -> None:
        """Let the held requests, and every later one, through."""
        self.released.set()
