"""Sensors: the last report's counts and when scans, reports and the checkpoint happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory

from .entity import UnifiScannerEntity
from .findings import inert
from .scanner.models import Severity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .coordinator import UnifiScannerCoordinator
    from .data import UnifiScannerConfigEntry
    from .scanner.report import Report

PARALLEL_UPDATES = 0
TOP_TITLES = 5


@dataclass(frozen=True, kw_only=True)
class UnifiScannerSensorDescription(SensorEntityDescription):
    """How to read one sensor from the coordinator."""

    value_fn: Callable[[UnifiScannerCoordinator], StateType | datetime]
    attributes_fn: Callable[[Report], dict[str, Any]] | None = None
    always_available: bool = False


def _report[T](fn: Callable[[Report], T]) -> Callable[[UnifiScannerCoordinator], T | None]:
    """Read from the last report; unknown until the first scan finished."""
    return lambda coordinator: None if coordinator.data is None else fn(coordinator.data.report)


def _findings_attributes(report: Report) -> dict[str, Any]:
    """Small attributes (well under 4 KB): counts, period and the most urgent titles."""
    return {
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "by_severity": {sev.value: count for sev, count in report.counts_by_severity.items()},
        "by_category": {cat.value: count for cat, count in report.counts_by_category.items()},
        "top_findings": [inert(f.title, max_len=120) for f in report.findings[:TOP_TITLES]],
        "muted": len(report.muted),
        "acknowledged": len(report.acknowledged),
    }


def _unknown_attributes(report: Report) -> dict[str, Any]:
    return {"keys": [inert(key, max_len=60) for key in list(report.unknown_keys)[:10]]}


def _severity(severity: Severity) -> UnifiScannerSensorDescription:
    return UnifiScannerSensorDescription(
        key=f"{severity.value}_findings",
        translation_key=f"{severity.value}_findings",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_report(lambda report: report.counts_by_severity[severity]),
    )


SENSORS: tuple[UnifiScannerSensorDescription, ...] = (
    UnifiScannerSensorDescription(
        key="last_report",
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda coordinator: coordinator.store.state.last_report_at,
    ),
    UnifiScannerSensorDescription(
        key="findings",
        translation_key="findings",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_report(lambda report: len(report.findings)),
        attributes_fn=_findings_attributes,
    ),
    *(_severity(severity) for severity in Severity),
    UnifiScannerSensorDescription(
        key="threats",
        translation_key="threats",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_report(lambda report: report.threats.total),
    ),
    UnifiScannerSensorDescription(
        key="findings_announced",
        translation_key="findings_announced",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda coordinator: coordinator.store.state.announced,
        always_available=True,
    ),
    UnifiScannerSensorDescription(
        key="last_scan",
        translation_key="last_scan",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.last_attempt,
        always_available=True,
    ),
    UnifiScannerSensorDescription(
        key="checkpoint",
        translation_key="checkpoint",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.store.state.checkpoint.last_success,
        always_available=True,
    ),
    UnifiScannerSensorDescription(
        key="unknown_keys",
        translation_key="unknown_keys",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_report(lambda report: report.unknown_key_count),
        attributes_fn=_unknown_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of one entry."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        UnifiScannerSensor(coordinator=coordinator, description=description)
        for description in SENSORS
    )


class UnifiScannerSensor(UnifiScannerEntity, SensorEntity):
    """A sensor read through its description."""

    entity_description: UnifiScannerSensorDescription
    # The period and the titles change with every report: the recorder keeps the numbers only.
    _unrecorded_attributes = frozenset(
        {"period_start", "period_end", "top_findings", "by_category", "by_severity", "keys"}
    )

    @property
    def available(self) -> bool:
        """Scan bookkeeping stays readable while the gateway is unreachable."""
        return self.entity_description.always_available or super().available

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the small attribute set of the findings sensors."""
        if self.entity_description.attributes_fn is None or self.coordinator.data is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data.report)
