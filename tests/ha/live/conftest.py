"""Fixtures of the live benchmark: the console process, and an entry that notifies a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.const import CONF_MIN_SEVERITY, CONF_NOTIFY_SERVICES

from .console import Console, console_process

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def simulator(socket_enabled: None) -> Iterator[Console]:  # noqa: ARG001 - loopback sockets
    """Serve the home scenario on a classic controller from a process of its own."""
    with console_process() as console:
        yield console


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Notify a phone, so each burst of live alerts also sends its message."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}
