"""What the simulator suites share: a real client of the simulator, modes, log records, pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner.auth import LocalAccount
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.models import Source
from custom_components.unifi_scanner.scanner.normalize import normalize_entries, sort_entries
from tests.simulator import Mode

if TYPE_CHECKING:
    import logging
    from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence

    import aiohttp

    from custom_components.unifi_scanner.scanner.models import LogEntry
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


# The client's page generator of each log source.
PAGE_METHODS = {
    Source.SYSTEM_LOG: "_system_log_pages",
    Source.EVENT: "_event_pages",
    Source.ALARM: "_alarm_pages",
    Source.IPS: "_ips_pages",
}


def watch_pages(
    client: UnifiClient, monkeypatch: pytest.MonkeyPatch
) -> tuple[set[Source], set[Source]]:
    """Record which page generators were started and which were closed."""
    started: set[Source] = set()
    closed: set[Source] = set()
    for source, name in PAGE_METHODS.items():
        original = getattr(client, name)

        def watched(
            *args: Any, _source: Source = source, _original: Any = original
        ) -> AsyncGenerator[list[dict[str, Any]]]:
            async def pages() -> AsyncGenerator[list[dict[str, Any]]]:
                started.add(_source)
                try:
                    async for page in _original(*args):
                        yield page
                finally:
                    closed.add(_source)

            return pages()

        monkeypatch.setattr(client, name, watched)
    return started, closed


def with_rows(
    entries: Sequence[LogEntry], rows: Iterable[tuple[Source, Mapping[str, Any]]]
) -> list[LogEntry]:
    """Return ``entries`` with extra rows normalised in, each on its own, oldest first.

    What a collection given ``rows=`` must hand over: the oracle of the extra-rows tests.
    """
    merged = list(entries)
    for source, row in rows:
        merged += normalize_entries((row,), source)
    sort_entries(merged)
    return merged
