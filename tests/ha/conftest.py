"""Fixtures for the Home Assistant tests: the real integration against the gateway simulator.

The simulator serves HTTPS on 127.0.0.1; the integration talks to it through Home Assistant's
own aiohttp session, exactly as it would talk to a console. Nothing of the integration is mocked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.unifi_scanner.const import (
    CONF_AUTH_METHOD,
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_SITE,
    CONF_SITE_ID,
    DOMAIN,
)
from custom_components.unifi_scanner.scanner.auth import AuthMethod
from tests.simulator import GatewaySimulator, Mode

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant, ServiceCall

    from custom_components.unifi_scanner.coordinator import UnifiScannerCoordinator

HOME_SITE_ID = "65f0c4d1e4b0a10b3c9d2e11"
HOME_CONTROLLER_ID = "9f3c6a1e-2b7d-4e58-9a0c-3d1f5b7e8a21"
UNIQUE_ID = f"{HOME_CONTROLLER_ID}_{HOME_SITE_ID}"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this repository."""


@pytest.fixture(autouse=True)
def live_feed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run the entry's live alerts only in tests marked ``live``.

    The feed runs until the entry unloads, so it would keep
    ``async_block_till_done(wait_background_tasks=True)`` waiting; and the scan-path suites
    count what the hourly report announces, which the live path would announce first.
    """
    if request.node.get_closest_marker("live") is not None:
        yield
        return
    with patch("custom_components.unifi_scanner.live.LiveAlerts.start"):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def simulator_mode() -> Mode:
    """Which controller flavour the simulator plays (override per test module)."""
    return Mode.UNIFI_OS


@pytest.fixture
def simulator_scenario() -> str:
    """Which scenario the simulator serves."""
    return "home"


@pytest.fixture
async def simulator(
    socket_enabled: None,  # noqa: ARG001 - opens loopback sockets for the server
    simulator_mode: Mode,
    simulator_scenario: str,
) -> AsyncIterator[GatewaySimulator]:
    """Run a gateway on 127.0.0.1 over HTTPS."""
    sim = GatewaySimulator(mode=simulator_mode, scenario=simulator_scenario)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def auth_method() -> AuthMethod:
    """How the test entry signs in (override per test or module)."""
    return AuthMethod.LOCAL_ACCOUNT


def credentials_data(simulator: GatewaySimulator, method: AuthMethod) -> dict[str, Any]:
    """Return the entry data that signs in to ``simulator`` with ``method``."""
    if method is AuthMethod.API_KEY:
        return {CONF_AUTH_METHOD: method.value, CONF_API_KEY: simulator.api_key}
    return {
        CONF_AUTH_METHOD: method.value,
        CONF_USERNAME: simulator.username,
        CONF_PASSWORD: simulator.password,
    }


@pytest.fixture
def entry_data(simulator: GatewaySimulator, auth_method: AuthMethod) -> dict[str, Any]:
    """Return connection data pointing at the simulator's default site."""
    return {
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        **credentials_data(simulator, auth_method),
        CONF_VERIFY_SSL: False,
        CONF_SITE: "default",
        CONF_SITE_ID: HOME_SITE_ID,
    }


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the test entry: every finding notifies, so tests see every report."""
    return {CONF_MIN_SEVERITY: "low"}


@pytest.fixture
def config_entry(
    hass: HomeAssistant, entry_data: dict[str, Any], entry_options: dict[str, Any]
) -> MockConfigEntry:
    """Add the entry of the simulator's default site (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        data=entry_data,
        options=entry_options,
        unique_id=UNIQUE_ID,
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set the entry up, let the first scan finish, and unload it at the end."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    yield config_entry
    if config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


# Options that deliver every finding to notify.phone (mocked by the ``phone`` fixture).
PHONE_OPTIONS: dict[str, Any] = {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"]}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the reports sent to notify.phone."""
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_mock_service,
    )

    return async_mock_service(hass, "notify", "phone")


def coordinator_of(entry: MockConfigEntry) -> UnifiScannerCoordinator:
    """Return the coordinator of a loaded test entry."""
    return entry.runtime_data.coordinator  # type: ignore[no-any-return]


def entity_id_of(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of the test entry's entity ``key`` on ``platform``."""
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415 - the helper's own

    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{UNIQUE_ID}_{key}")
    assert entity_id is not None, key
    return entity_id


async def async_next_scan(hass: HomeAssistant, freezer: Any, minutes: float = 60) -> None:
    """Move time forward to the next scheduled scan and wait until it finished."""
    from datetime import timedelta  # noqa: PLC0415 - keeps the helper self-contained

    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_fire_time_changed,
    )

    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


# --- exactly-once accounting (used by the fault, backlog and boundary tests) ------------------

LEDGER_KEY = "EVT_SW_DetectRogueDHCP"
LEDGER_RULE = "rogue_dhcp_detected"
LEDGER_DEVICE = "Office Switch"


def _ms(text: str) -> int:
    from datetime import datetime  # noqa: PLC0415 - keeps the helper self-contained

    return round(datetime.fromisoformat(text).timestamp() * 1000)


class Ledger:
    """Occurrences appended to the gateway, and the ``unifi_scanner_finding`` events about them.

    Every occurrence is a rogue DHCP server on one switch, so all of them aggregate into one
    finding per report whose ``count``, ``first_seen`` and ``last_seen`` say which occurrences
    it covers. ``tally`` matches each finding event against the appended occurrences: an
    occurrence no event covers is lost, one covered twice is a duplicate.
    """

    def __init__(self, hass: HomeAssistant, simulator: GatewaySimulator) -> None:
        """Start listening for finding events."""
        from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
            async_capture_events,
        )

        from custom_components.unifi_scanner.const import EVENT_FINDING  # noqa: PLC0415

        self._simulator = simulator
        self.appended: list[int] = []
        self.events = async_capture_events(hass, EVENT_FINDING)
        self._listed: list[tuple[int, int]] = []

    def listed(self, findings: list[dict[str, Any]]) -> None:
        """Take a report's findings marked "announced at" (``run_scan``'s answer) as coverage.

        A finding the live path announced fires no second event; the report still lists it with
        every occurrence of the period, which is how the later ones reach the user.
        """
        self._listed += [
            (_ms(f["first_seen"]), _ms(f["last_seen"]))
            for f in findings
            if f["rule_id"] == LEDGER_RULE and f.get("announced_at")
        ]

    def append(self, count: int = 1, *, at: Any = None) -> list[int]:
        """Append ``count`` occurrences (at ``at``, default the gateway's now); return times."""
        times = [
            int(self._simulator.append_event(LEDGER_KEY, at=at, device=LEDGER_DEVICE)["time"])
            for _ in range(count)
        ]
        self.appended.extend(times)
        return times

    def reports(self) -> list[int]:
        """Return the ``count`` of every finding event about the ledger's rule, in order."""
        return [e.data["count"] for e in self.events if e.data["rule_id"] == LEDGER_RULE]

    def tally(self) -> tuple[int, int]:
        """Return (lost, duplicates) over everything appended so far."""
        covered = [0] * len(self.appended)
        for event in self.events:
            if event.data["rule_id"] != LEDGER_RULE:
                continue
            first, last = _ms(event.data["first_seen"]), _ms(event.data["last_seen"])
            inside = [i for i, t in enumerate(self.appended) if first <= t <= last]
            count = event.data["count"]
            assert count <= len(inside), f"a finding counts {count} of {len(inside)} occurrences"
            # Cover the occurrences nobody covered yet first: only a surplus is a repeat.
            inside.sort(key=lambda i: covered[i])
            for i in inside[:count]:
                covered[i] += 1
        listed = [any(first <= t <= last for first, last in self._listed) for t in self.appended]
        lost = sum(1 for n, shown in zip(covered, listed, strict=True) if n == 0 and not shown)
        duplicates = sum(n - 1 for n in covered if n > 1)
        return lost, duplicates
