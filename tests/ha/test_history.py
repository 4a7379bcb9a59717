"""History that means something: a running total for statistics, and a lean recorder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.sensor import SensorStateClass

from .conftest import PHONE_OPTIONS, async_next_scan, entity_id_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator import GatewaySimulator

COUNT_SENSORS = ("findings", "severe_findings", "medium_findings", "low_findings", "threats")


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Deliver every finding to notify.phone."""
    return dict(PHONE_OPTIONS)


@pytest.mark.usefixtures("phone")
async def test_findings_announced_only_grows_and_survives_a_restart(
    hass: HomeAssistant,
    freezer: Any,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    entity_id = entity_id_of(hass, "sensor", "findings_announced")
    state = hass.states.get(entity_id)
    assert state is not None
    first = int(state.state)
    report = init_integration.runtime_data.coordinator.data.report
    assert first == len(report.findings)  # the first report announced every finding
    assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING

    await async_next_scan(hass, freezer)  # nothing new: the total stays
    assert hass.states.get(entity_id).state == str(first)  # type: ignore[union-attr]
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert hass.states.get(entity_id).state == str(first + 1)  # type: ignore[union-attr]

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity_id).state == str(first + 1)  # type: ignore[union-attr]


async def test_count_sensors_are_measurements(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Counts per report go up and down: a measurement, so statistics keep min, mean and max."""
    del init_integration
    for key in COUNT_SENSORS:
        state = hass.states.get(entity_id_of(hass, "sensor", key))
        assert state is not None
        assert state.attributes["state_class"] == SensorStateClass.MEASUREMENT, key
