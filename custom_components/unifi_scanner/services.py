"""Service actions: run a scan now, move the checkpoint back, and quiet findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_CONFIG_ENTRY,
    ATTR_DELIVER,
    ATTR_LOOKBACK_HOURS,
    ATTR_SINCE,
    DOMAIN,
    SERVICE_ACKNOWLEDGE,
    SERVICE_LIST_MUTES,
    SERVICE_MUTE,
    SERVICE_RESET_CHECKPOINT,
    SERVICE_RUN_SCAN,
    SERVICE_UNMUTE,
)
from .quiet_services import (
    ACKNOWLEDGE_SCHEMA,
    LIST_MUTES_SCHEMA,
    MUTE_SCHEMA,
    UNMUTE_SCHEMA,
    async_acknowledge,
    async_list_mutes,
    async_mute,
    async_unmute,
)
from .scanner.models import Source
from .scanner.render import report_to_dict
from .scanner.watermark import Checkpoint, SourceMark
from .service_helpers import get_entry, invalid

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


async def _async_run_scan(call: ServiceCall) -> ServiceResponse:
    """Scan now; ``deliver: false`` previews without notifying or moving the checkpoint."""
    entry = get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY))
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
        raise invalid(key="since_and_lookback")
    if hours is not None:
        if not 0 < hours <= MAX_RESET_HOURS:
            raise invalid(key="invalid_lookback", maximum=str(MAX_RESET_HOURS))
        return now - timedelta(hours=hours)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt_util.get_default_time_zone())
        if (since := since.astimezone(UTC)) >= now:
            raise invalid(key="since_in_future")
        return since
    return None


async def _async_reset_checkpoint(call: ServiceCall) -> None:
    """Move the checkpoint back so the next scan reports again from there."""
    entry = get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY))
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
    hass.services.async_register(DOMAIN, SERVICE_MUTE, async_mute, schema=MUTE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_UNMUTE, async_unmute, schema=UNMUTE_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_MUTES,
        async_list_mutes,
        schema=LIST_MUTES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ACKNOWLEDGE, async_acknowledge, schema=ACKNOWLEDGE_SCHEMA
    )
