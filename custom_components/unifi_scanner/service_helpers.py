"""What every service action shares: finding its entry, and refusing bad input."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .scanner.sanitize import clean

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import UnifiScannerConfigEntry


def invalid(*, key: str, **placeholders: str) -> ServiceValidationError:
    """Build the translated error that refuses an action's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def get_entry(hass: HomeAssistant, entry_id: str | None) -> UnifiScannerConfigEntry:
    """Resolve the target entry; without an id there must be exactly one entry."""
    if entry_id is None:
        entries = hass.config_entries.async_entries(DOMAIN)
        if len(entries) != 1:
            raise invalid(key="config_entry_required")
        entry = entries[0]
    elif (found := hass.config_entries.async_get_entry(entry_id)) is None or (
        found.domain != DOMAIN
    ):
        # The id is whatever the caller typed: show it as one short line.
        raise invalid(key="config_entry_not_found", entry=clean(entry_id, max_len=100))
    else:
        entry = found
    if entry.state is not ConfigEntryState.LOADED:
        raise invalid(key="config_entry_not_loaded", entry=entry.title)
    return cast("UnifiScannerConfigEntry", entry)
