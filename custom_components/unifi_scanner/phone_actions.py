"""Buttons on phone notifications: "Mute 7 days" and "Acknowledge" for a report's top finding.

The companion app fires ``mobile_app_notification_action`` with the button's action id, which
names the entry and the finding. Anyone who can fire events could send any id, so an action is
carried out only for a loaded entry of this integration whose last report has that finding;
anything else is ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback

from .const import (
    ACTION_ACKNOWLEDGE_PREFIX,
    ACTION_MUTE_PREFIX,
    DOMAIN,
    LOGGER,
)
from .scanner.quiet import FINDING_ID_RE

if TYPE_CHECKING:
    from collections.abc import Callable

    from .data import UnifiScannerConfigEntry

EVENT_NOTIFICATION_ACTION = "mobile_app_notification_action"
PHONE_REASON = "Muted from a phone notification"


@callback
def async_setup_phone_actions(hass: HomeAssistant) -> Callable[[], None]:
    """Listen for the integration's notification buttons (once, in ``async_setup``)."""

    async def handle(event: Event) -> None:
        action = event.data.get("action")
        if not isinstance(action, str):
            return
        for prefix, mute in ((ACTION_MUTE_PREFIX, True), (ACTION_ACKNOWLEDGE_PREFIX, False)):
            if action.startswith(prefix):
                await _async_apply(hass, action.removeprefix(prefix), mute=mute)
                return

    return hass.bus.async_listen(EVENT_NOTIFICATION_ACTION, handle)


async def _async_apply(hass: HomeAssistant, target: str, *, mute: bool) -> None:
    """Mute or acknowledge ``<entry id>:<finding id>`` when both are real."""
    entry_id, _, finding_id = target.partition(":")
    entry: UnifiScannerConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.state is not ConfigEntryState.LOADED
        or not FINDING_ID_RE.match(finding_id)
    ):
        LOGGER.debug("Ignored a notification action for an unknown entry or finding")
        return
    quieter = entry.runtime_data.coordinator.quieter
    finding = quieter.finding(finding_id)
    if finding is None:
        LOGGER.debug("Ignored a notification action for a finding the last report does not have")
        return
    if mute:
        await quieter.async_mute_for_a_while(finding, PHONE_REASON)
    else:
        await quieter.async_acknowledge((finding,))
