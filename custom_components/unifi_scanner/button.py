"""The scan-now button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import UnifiScannerEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import UnifiScannerConfigEntry

PARALLEL_UPDATES = 1

SCAN_NOW = ButtonEntityDescription(key="scan_now", translation_key="scan_now")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the scan-now button of one entry."""
    async_add_entities(
        [UnifiScannerScanButton(coordinator=entry.runtime_data.coordinator, description=SCAN_NOW)]
    )


class UnifiScannerScanButton(UnifiScannerEntity, ButtonEntity):
    """Scan and deliver now (joins a scan already running)."""

    @property
    def available(self) -> bool:
        """Stay pressable while the gateway is unreachable: a press retries at once."""
        return True

    async def async_press(self) -> None:
        """Run the scan; errors surface as translated HomeAssistantError."""
        await self.coordinator.async_scan_now(deliver=True)
