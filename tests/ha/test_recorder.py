"""The recorder keeps the numbers of the findings sensor, not its titles and periods."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.recorder import history
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_mock_service
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.unifi_scanner.const import DOMAIN

from .conftest import UNIQUE_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Start the recorder before Home Assistant, then allow the integration (as conftest does)."""
    del recorder_mock, enable_custom_integrations


async def test_the_recorder_keeps_numbers_not_titles(
    recorder_mock: Any,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
) -> None:
    del recorder_mock
    async_mock_service(hass, "notify", "phone")
    start = dt_util.utcnow() - timedelta(seconds=1)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE_ID}_findings")
    assert entity_id is not None
    live = hass.states.get(entity_id)
    assert live is not None
    assert live.attributes["top_findings"]  # the entity shows them ...
    states = await hass.async_add_executor_job(
        history.state_changes_during_period, hass, start, None, entity_id
    )
    recorded = states[entity_id][-1]
    assert recorded.state == live.state
    for name in ("top_findings", "period_start", "period_end", "by_category", "by_severity"):
        assert name not in recorded.attributes  # ... the database does not
    assert recorded.attributes["muted"] == 0
    assert await hass.config_entries.async_unload(config_entry.entry_id)
