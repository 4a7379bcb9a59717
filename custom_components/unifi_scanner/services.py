"""Service actions: run a scan now, and move the checkpoint back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_CONFIG_ENTRY,
    ATTR_DELIVER,
    ATTR_LOOKBACK_HOURS,
    ATTR_SINCE,
    DOMAIN,
    SERVICE_RESET_CHECKPOINT,
    SERVICE_RUN_SCAN,
)
from .scanner.models import Source
from .scanner.render import report_to_dict
from .scanner.sanitize import clean
from .scanner.watermark import Checkpoint, SourceMark

if TYPE_CHECKING:
    from .data import UnifiScannerConfigEntry

# The reset look-back accepts up to the largest "maximum look-back" option (30 days).
MAX_RESET_HOURS = 30 * 24

RUN_SCAN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional(ATTR_DELIVER, default=True): cv.boolean,
    }
)
RESET_CHECKPOINT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional(ATTR_SINCE): cv.datetime,
        vol.Optional(ATTR_LOOKBACK_HOURS): vol.Coerce(float),
    }
)


def _invalid(*, key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _get_entry(hass: HomeAssistant, entry_id: str | None) -> UnifiScannerConfigEntry:
    """Resolve the target entry; without an id there must be exactly one entry."""
    if entry_id is None:
        entries = hass.config_entries.async_entries(DOMAIN)
        if len(entries) != 1:
            raise _invalid(key="config_entry_required")
        entry = entries[0]
    elif (found := hass.config_entries.async_get_entry(entry_id)) is None or (
        found.domain != DOMAIN
    ):
        # The id is whatever the caller typed: show it as one short line.
        raise _invalid(key="config_entry_not_found", entry=clean(entry_id, max_len=100))
    else:
        entry = found
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid(key="config_entry_not_loaded", entry=entry.title)
    return cast("UnifiScannerConfigEntry", entry)


async def _async_run_scan(call: ServiceCall) -> ServiceResponse:
    """Scan now; ``deliver: false`` previews without notifying or moving the checkpoint."""
    entry = _get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY))
    deliver: bool = call.data[ATTR_DELIVER]
    result = await entry.runtime_data.coordinator.async_scan_now(deliver=deliver)
    response = report_to_dict(result.report)
    response["new_findings"] = len(result.fresh)
    response["delivered"] = result.committed
    if result.delivery is not None:
        response["delivery"] = dict(result.delivery.results)
    return response


def _start_at(data: dict[str, Any], now: datetime) -> datetime | None:
    """Validate ``since`` / ``lookback_hours``; return where reporting restarts."""
    since: datetime | None = data.get(ATTR_SINCE)
    hours: float | None = data.get(ATTR_LOOKBACK_HOURS)
    if since is not None and hours is not None:
        raise _invalid(key="since_and_lookback")
    if hours is not None:
        if not 0 < hours <= MAX_RESET_HOURS:
            raise _invalid(key="invalid_lookback", maximum=str(MAX_RESET_HOURS))
        return now - timedelta(hours=hours)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt_util.get_default_time_zone())
        if (since := since.astimezone(UTC)) >= now:
            raise _invalid(key="since_in_future")
        return since
    return None


async def _async_reset_checkpoint(call: ServiceCall) -> None:
    """Move the checkpoint back so the next scan reports again from there."""
    entry = _get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY))
    start = _start_at(dict(call.data), dt_util.utcnow())
    checkpoint = Checkpoint()
    if start is not None:
        mark = SourceMark(time_ms=int(start.timestamp() * 1000), ids=frozenset())
        # The watermark subtracts its overlap from the oldest mark; add it back here so the
        # next scan starts exactly at ``start``.
        mark = SourceMark(
            time_ms=mark.time_ms + int(checkpoint.overlap.total_seconds() * 1000), ids=mark.ids
        )
        checkpoint = Checkpoint(marks=dict.fromkeys(Source, mark))
    await entry.runtime_data.coordinator.async_reset_checkpoint(checkpoint)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's service actions (once, in ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_SCAN,
        _async_run_scan,
        schema=RUN_SCAN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESET_CHECKPOINT,
        _async_reset_checkpoint,
        schema=RESET_CHECKPOINT_SCHEMA,
    )
