"""Fixtures of the backlog modules: the gateway process and an entry that notifies a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.const import CONF_MIN_SEVERITY, CONF_NOTIFY_SERVICES

from .gateway import DAY_BACKLOG, Gateway, gateway_process

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def backlog_size() -> int:
    """Events the gateway logged since the checkpoint (the benchmark may ask for another)."""
    return DAY_BACKLOG


@pytest.fixture
def gateway_niceness() -> int:
    """How readily the gateway process yields the CPU (the benchmark overrides it)."""
    return 0


@pytest.fixture
def simulator(
    socket_enabled: None,  # noqa: ARG001 - loopback sockets
    backlog_size: int,
    gateway_niceness: int,
) -> Iterator[Gateway]:
    """Serve ``backlog_size`` events from a gateway process of its own."""
    with gateway_process(backlog_size, niceness=gateway_niceness) as gateway:
        yield gateway


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone about every finding, as a user who wants everything would."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}
