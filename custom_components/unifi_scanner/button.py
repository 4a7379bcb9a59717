"""Buttons: scan now, and acknowledge every open finding."""

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
ACKNOWLEDGE_ALL = ButtonEntityDescription(key="acknowledge_all", translation_key="acknowledge_all")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of one entry."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            UnifiScannerScanButton(coordinator=coordinator, description=SCAN_NOW),
            UnifiScannerAcknowledgeButton(coordinator=coordinator, description=ACKNOWLEDGE_ALL),
        ]
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


class UnifiScannerAcknowledgeButton(UnifiScannerEntity, ButtonEntity):
    """Acknowledge every open finding of the last report."""

    @property
    def available(self) -> bool:
        """Pressable once there is a report, whether or not the gateway answers now."""
        return self.coordinator.data is not None

    async def async_press(self) -> None:
        """Mark the report's findings as dealt with; Problem turns off unless news arrives."""
        report = self.coordinator.quieter.report
        if report is not None:
            await self.coordinator.quieter.async_acknowledge(report.findings)
