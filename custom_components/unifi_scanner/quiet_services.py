"""Service actions that quiet findings: mute, unmute, list mutes, acknowledge.

Every input is checked before anything changes; a refusal is a translated
``ServiceValidationError`` that names the problem and leaves the stored state as it was.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_ALL,
    ATTR_CONFIG_ENTRY,
    ATTR_DURATION,
    ATTR_FINDING_ID,
    ATTR_FOREVER,
    ATTR_REASON,
    ATTR_RULE_ID,
    ATTR_SUBJECT,
    DEFAULT_MUTE_DURATION,
)
from .scanner.quiet import FINDING_ID_RE, REASON_MAX, Mute, normalize_subject
from .scanner.sanitize import clean
from .service_helpers import get_entry, invalid

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import ServiceCall, ServiceResponse

    from .scanner.catalogue import RuleCatalogue

FOREVER = "forever"

_TARGET = {
    vol.Optional(ATTR_CONFIG_ENTRY): cv.string,
    vol.Optional(ATTR_FINDING_ID): cv.string,
    vol.Optional(ATTR_RULE_ID): cv.string,
    vol.Optional(ATTR_SUBJECT): cv.string,
}
MUTE_SCHEMA = vol.Schema(
    {
        **_TARGET,
        vol.Optional(ATTR_DURATION): vol.Any(
            vol.All(cv.string, vol.Lower, FOREVER), cv.time_period
        ),
        vol.Optional(ATTR_FOREVER, default=False): cv.boolean,
        vol.Optional(ATTR_REASON): cv.string,
    }
)
UNMUTE_SCHEMA = vol.Schema({**_TARGET, vol.Optional(ATTR_ALL, default=False): cv.boolean})
LIST_MUTES_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY): cv.string})
ACKNOWLEDGE_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_CONFIG_ENTRY): cv.string, vol.Optional(ATTR_FINDING_ID): cv.string}
)


def _shown(text: str) -> str:
    """Quote what the caller typed in an error as one short line."""
    return clean(text, max_len=100)


def _target(data: dict[str, Any], catalogue: RuleCatalogue) -> tuple[str, str | None, str | None]:
    """Validate what to match: (rule id, subject, finding id); exactly one way of saying it."""
    finding_id: str | None = data.get(ATTR_FINDING_ID)
    rule_id: str | None = data.get(ATTR_RULE_ID)
    subject: str | None = data.get(ATTR_SUBJECT)
    if finding_id is not None and rule_id is not None:
        raise invalid(key="finding_and_rule")
    if finding_id is not None:
        if subject is not None:
            raise invalid(key="subject_needs_rule")
        if not FINDING_ID_RE.match(finding_id):
            raise invalid(key="invalid_finding_id", finding_id=_shown(finding_id))
        rule_id = finding_id.split(".", 1)[0]
    if rule_id is None:
        raise invalid(key="finding_or_rule_required")
    if rule_id not in catalogue:
        raise invalid(key="unknown_rule", rule_id=_shown(rule_id))
    if subject is not None:
        try:
            subject = normalize_subject(subject)
        except ValueError:
            raise invalid(key="invalid_mac", subject=_shown(subject)) from None
        if not subject:
            raise invalid(key="invalid_subject")
    return rule_id, subject, finding_id


def _until(data: dict[str, Any], now: datetime) -> datetime | None:
    """When the mute ends: None for forever; a duration must be longer than nothing."""
    duration: timedelta | str | None = data.get(ATTR_DURATION)
    if data[ATTR_FOREVER] or duration == FOREVER:
        return None
    if duration is None:
        duration = DEFAULT_MUTE_DURATION
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise invalid(key="invalid_duration")
    return now + duration


async def async_mute(call: ServiceCall) -> None:
    """Mute a finding, a rule's findings about one subject, or a whole rule."""
    coordinator = get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY)).runtime_data.coordinator
    data = dict(call.data)
    rule_id, subject, finding_id = _target(data, coordinator.catalogue)
    now = dt_util.utcnow()
    reason = data.get(ATTR_REASON)
    await coordinator.quieter.async_mute(
        Mute(
            rule_id=rule_id,
            subject=subject,
            finding_id=finding_id,
            until=_until(data, now),
            reason=clean(reason, max_len=REASON_MAX) or None if reason is not None else None,
            created=now,
        )
    )


async def async_unmute(call: ServiceCall) -> None:
    """Lift mutes: of a finding, of a rule (about one subject, or all of it), or every one."""
    coordinator = get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY)).runtime_data.coordinator
    data = dict(call.data)
    matches: Callable[[Mute], bool]
    if data[ATTR_ALL]:
        if any(name in data for name in (ATTR_FINDING_ID, ATTR_RULE_ID, ATTR_SUBJECT)):
            raise invalid(key="all_and_target")
        matches = _everything
    else:
        rule_id, subject, finding_id = _target(data, coordinator.catalogue)
        matches = _matcher(rule_id, subject, finding_id)
    if not await coordinator.quieter.async_unmute(matches):
        raise invalid(key="no_matching_mute")


def _everything(_mute: Mute) -> bool:
    return True


def _matcher(rule_id: str, subject: str | None, finding_id: str | None) -> Callable[[Mute], bool]:
    """Select what to lift: a finding's mute, or a rule's mutes (about ``subject``)."""
    if finding_id is not None:
        return lambda mute: mute.finding_id == finding_id
    if subject is not None:
        return lambda mute: mute.rule_id == rule_id and mute.subject == subject
    return lambda mute: mute.rule_id == rule_id


async def async_list_mutes(call: ServiceCall) -> ServiceResponse:
    """Return the entry's mutes, each with whether it still holds."""
    coordinator = get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY)).runtime_data.coordinator
    now = dt_util.utcnow()
    return {
        "mutes": [
            mute.to_dict() | {"active": mute.active(now)} for mute in coordinator.quieter.mutes
        ]
    }


async def async_acknowledge(call: ServiceCall) -> None:
    """Acknowledge one finding of the current report, or every open one."""
    quieter = get_entry(
        call.hass, call.data.get(ATTR_CONFIG_ENTRY)
    ).runtime_data.coordinator.quieter
    if quieter.report is None:
        raise invalid(key="no_report")
    finding_id: str | None = call.data.get(ATTR_FINDING_ID)
    if finding_id is None:
        await quieter.async_acknowledge(quieter.report.findings)
        return
    finding = quieter.finding(finding_id)
    if finding is None:
        raise invalid(key="unknown_finding", finding_id=_shown(finding_id))
    await quieter.async_acknowledge((finding,))
