"""The problem binary sensor: on while the last report holds an open severe or device finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

from .entity import UnifiScannerEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import ScanResult, UnifiScannerConfigEntry
    from .scanner.report import Report

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UnifiScannerBinarySensorDescription(BinarySensorEntityDescription):
    """How to read one binary sensor from the last report."""

    is_on_fn: Callable[[Report], bool]


BINARY_SENSORS: tuple[UnifiScannerBinarySensorDescription, ...] = (
    UnifiScannerBinarySensorDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda report: report.problem,
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
    def is_on(self) -> bool | None:
        """Return the state; unknown until the first scan finished."""
        data: ScanResult | None = self.coordinator.data
        return None if data is None else self.entity_description.is_on_fn(data.report)
