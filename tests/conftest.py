"""Shared fixtures and the test profile.

The integration package is imported first: the test harness ships its own ``custom_components``
package and Home Assistant would otherwise not find ``unifi_scanner``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest
from hypothesis import HealthCheck, settings

import custom_components.unifi_scanner.scanner  # noqa: F401
from tests.deprecations import DeprecationReports, deprecation_reports
from tests.simulator.faults import HANG_GUARD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

# Property tests run the same examples on every machine and never judge by time: a run that
# passes once passes everywhere, however busy the machine is.
settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Run each test's event loop in debug mode, synchronous tests included.

    Replaces the harness fixture of the same name, which on the latest harness (0.13.316, with
    pytest-asyncio 1.3) asks for the current loop from synchronous code and so fails for every
    synchronous test on Python 3.13.
    """
    asyncio.get_running_loop().set_debug(True)


@pytest.fixture(autouse=True)
def no_deprecation_reports() -> Iterator[DeprecationReports]:
    """Fail any test during which Home Assistant reports a deprecation of this integration."""
    with deprecation_reports() as reports:
        yield reports
    if found := reports.take():
        pytest.fail("Home Assistant reported deprecated usage:\n" + "\n".join(found))


def pytest_report_header() -> str:
    """Name the Home Assistant under test: the suite runs on the floor and the latest one."""
    from homeassistant.const import __version__  # noqa: PLC0415 - only for the header

    return f"Home Assistant {__version__}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Open a plain client for the simulator: cookies by IP, its self-signed certificate."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(ssl=False),
        timeout=aiohttp.ClientTimeout(total=HANG_GUARD),
    ) as session:
        yield session
