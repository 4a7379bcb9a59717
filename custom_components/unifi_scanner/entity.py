"""The base entity: one service device per gateway site, names from translation keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from yarl import URL

from .const import DOMAIN
from .coordinator import UnifiScannerCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


class UnifiScannerEntity(CoordinatorEntity[UnifiScannerCoordinator]):
    """An entity of one scanned site."""

    _attr_has_entity_name = True

    def __init__(
        self, *, coordinator: UnifiScannerCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the site's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        gateway = coordinator.gateway
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(entry.unique_id))},
            entry_type=DeviceEntryType.SERVICE,
            name=entry.title,
            manufacturer="Ubiquiti",
            model=gateway.device_type,
            sw_version=gateway.version,
            configuration_url=str(
                URL.build(
                    scheme="https", host=entry.data[CONF_HOST], port=entry.data.get(CONF_PORT)
                )
            ),
        )
