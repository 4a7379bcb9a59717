"""Controller flavours and the fault switches a test can flip while the simulator runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
