"""The finding event entity: fires once per new finding, typed by severity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import signal_finding
from .entity import UnifiScannerEntity
from .scanner.models import Severity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import UnifiScannerConfigEntry

PARALLEL_UPDATES = 0

FINDING = EventEntityDescription(
    key="finding",
    translation_key="finding",
    event_types=[severity.value for severity in Severity],
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the finding event entity of one entry."""
    async_add_entities(
        [UnifiScannerFindingEvent(coordinator=entry.runtime_data.coordinator, description=FINDING)]
    )


class UnifiScannerFindingEvent(UnifiScannerEntity, EventEntity):
    """Announces each new finding; attributes are already cleaned by the delivery."""

    @property
    def available(self) -> bool:
        """Past events stay readable while the gateway is unreachable."""
        return True

    async def async_added_to_hass(self) -> None:
        """Listen for findings of this entry."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_finding(self.coordinator.config_entry.entry_id),
                self._async_finding,
            )
        )

    @callback
    def _async_finding(self, data: dict[str, Any]) -> None:
        """Fire the event for one finding."""
        attributes = {key: value for key, value in data.items() if key != "severity"}
        self._trigger_event(data["severity"], attributes)
        self.async_write_ha_state()
