"""Binary sensors: a problem needs attention; live alerts can arrive.

Problem is on while the report on show holds an open severe or device finding. Live alerts
(diagnostic) is on while the event stream is open, or, where the console refuses it, while
polling its log works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import UnifiScannerEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import UnifiScannerConfigEntry, UnifiScannerRuntimeData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UnifiScannerBinarySensorDescription(BinarySensorEntityDescription):
    """How to read one binary sensor from the last report."""

    is_on_fn: Callable[[UnifiScannerRuntimeData], bool | None]
    attributes_fn: Callable[[UnifiScannerRuntimeData], dict[str, str | None]] = lambda _: {}
    follows_scans: bool = True
    """Unavailable while scans fail; the live path's sensor tells its own state."""


BINARY_SENSORS: tuple[UnifiScannerBinarySensorDescription, ...] = (
    UnifiScannerBinarySensorDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda runtime: (
            None if (data := runtime.coordinator.data) is None else data.report.problem
        ),
    ),
    UnifiScannerBinarySensorDescription(
        key="live_alerts",
        translation_key="live_alerts",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda runtime: runtime.live.feed.working,
        attributes_fn=lambda runtime: {"mode": runtime.live.feed.mode},
        follows_scans=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of one entry."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        UnifiScannerBinarySensor(coordinator=coordinator, description=description)
        for description in BINARY_SENSORS
    )


class UnifiScannerBinarySensor(UnifiScannerEntity, BinarySensorEntity):
    """A binary sensor read through its description."""

    entity_description: UnifiScannerBinarySensorDescription

    @property
    def available(self) -> bool:
        """Follow the scans unless the description says otherwise."""
        return not self.entity_description.follows_scans or super().available

    @property
    def is_on(self) -> bool | None:
        """Return the state (Problem is unknown until the first scan finished)."""
        return self.entity_description.is_on_fn(self.coordinator.config_entry.runtime_data)

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Return what the description adds (the live path's mode)."""
        return self.entity_description.attributes_fn(self.coordinator.config_entry.runtime_data)
