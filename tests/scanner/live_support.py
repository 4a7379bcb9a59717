"""What the stream and feed tests share: a real client of the simulator, modes, log records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner.auth import LocalAccount
from custom_components.unifi_scanner.scanner.client import UnifiClient
from tests.simulator import Mode

if TYPE_CHECKING:
    import logging

    import aiohttp

    from tests.simulator import GatewaySimulator


def modes(*flavours: Mode) -> pytest.MarkDecorator:
    """Run a test against each of ``flavours`` (the ``sim`` fixture takes the mode)."""
    return pytest.mark.parametrize(
        "sim", [{"mode": mode} for mode in flavours], indirect=True, ids=[str(m) for m in flavours]
    )


ALL_MODES = modes(Mode.UNIFI_OS, Mode.CLASSIC, Mode.NETWORK10)


def make_client(
    sim: GatewaySimulator, http: aiohttp.ClientSession, **overrides: Any
) -> UnifiClient:
    """Return a client of ``sim`` signing in with its local account unless overridden."""
    options: dict[str, Any] = {
        "session": http,
        "host": sim.host,
        "port": sim.port,
        "credentials": LocalAccount(sim.username, sim.password),
    } | overrides
    return UnifiClient(**options)


def records(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> list[logging.LogRecord]:
    """Return the records of ``logger`` whose message holds ``text``."""
    return [r for r in caplog.records if r.name == logger and text in r.getMessage()]
