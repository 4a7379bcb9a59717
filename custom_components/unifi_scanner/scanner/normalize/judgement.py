"""What happened to an alert: blocked or not, which way it went, and how urgent that makes it.

Shared by the legacy and v2 normalisers, so an alert is judged the same whichever endpoint
reported it.
"""

from __future__ import annotations

from custom_components.unifi_scanner.scanner.models import Direction

BLOCKED_ACTIONS = frozenset({"blocked", "block", "drop", "dropped", "reject", "rejected", "deny"})


def direction(*, source_inside: bool | None, destination_inside: bool | None) -> Direction | None:
    """Inbound when outside reached in, outbound when inside reached out, else unknown."""
    if source_inside is False and destination_inside is not False:
        return Direction.INBOUND
    if source_inside is True and destination_inside is False:
        return Direction.OUTBOUND
    return None


def judged_severity(console: int | None, *, blocked: bool, way: Direction | None) -> int | None:
    """Rate an alert on the IPS scale (1 = severe) by what happened to it.

    A blocked attempt from outside was handled: worth knowing, never an emergency. Traffic from
    inside to outside that was only detected (a malware beacon, say) got out: an emergency.
    Without a known direction the console's own rating stands.
    """
    if way is Direction.OUTBOUND and not blocked:
        return 1
    if way is Direction.INBOUND and blocked:
        return max(console or 2, 2)
    return console
