"""Hostile gateway strings reach every output of the real integration, and stay inert there.

Whoever names a client, an SSID or a device, or sends traffic that trips an IPS signature,
chooses the text. Each corpus string is planted in every such field of the simulated gateway
(with a marker proving the field reached the output), then one scan runs and every output a
user or an automation sees is inspected: the persistent notification, the notify message, the
report files, the bus events, entity states and attributes, diagnostics, and the log at DEBUG.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import voluptuous as vol
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_REPORT_FILES,
    DOMAIN,
    EVENT_FINDING,
    EVENT_REPORT,
)
from tests.scanner.hostile import HOSTILE, MARKUP_NEEDLES, TEMPLATE_NEEDLES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator import GatewaySimulator

# One marker per field: it survives every escaping, so finding it proves the field got through.
FIELDS = ("zqhost", "zqssid", "zqdevice", "zqsignature", "zqadmin", "zqmessage")
_FORBIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ESCAPE_PAIR = re.compile(r"\\.", re.DOTALL)
_EVENT_HANDLER = re.compile(r"(?i)<[^>]*\son\w+\s*=")


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Every channel on: notify a phone, write report files, notify about every finding."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"], CONF_REPORT_FILES: True}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the reports sent to notify.phone."""
    return async_mock_service(hass, "notify", "phone")


def _plant(simulator: GatewaySimulator, text: str) -> None:
    """Put ``text`` (behind each field's marker) in every gateway field that reaches a user."""
    host, ssid, device, signature, admin, message = (f"{field} {text}" for field in FIELDS)
    at = dt_util.utcnow() - timedelta(minutes=20)
    mac = "a4:83:e7:00:00:99"
    for step in range(12):  # a client flapping between access points: its hostname is shown
        simulator.append_event(
            "EVT_WU_Roam", at=at + timedelta(seconds=20 * step), user=mac, hostname=host
        )
    simulator.append_event("EVT_AP_DetectRogueAP", at=at, essid=ssid)
    simulator.append_event("EVT_AD_LoginFailed", at=at, admin=admin)
    simulator.append_event("EVT_SW_DetectRogueDHCP", at=at, msg=message)
    simulator.append_ips_alert(at=at, inner_alert_signature=signature, inner_alert_category=text)
    for raw in simulator.devices:  # the offline access point's health finding names it
        raw["name"] = device


def _controls(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in _FORBIDDEN]


def _strings(value: object) -> Iterator[str]:
    """Every string (keys included) inside JSON-like data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _assert_inert_data(value: object, where: str) -> None:
    """Plain data (events, attributes, diagnostics): one clean, bounded line per string."""
    for text in _strings(value):
        assert not _controls(text.replace("\n", "")), where
        assert len(text) <= 2000, where
        for needle in TEMPLATE_NEEDLES:
            assert needle not in text, where


def _assert_inert_markdown(markdown: str, where: str) -> None:
    """No link, image, raw HTML, code span, autolink or template can form."""
    assert not _controls(markdown), where
    for needle in TEMPLATE_NEEDLES:
        assert needle not in markdown, where
    plain = _ESCAPE_PAIR.sub("", markdown)  # what is left is live Markdown
    for needle in ("<", "[", "](", "`"):
        assert needle not in plain, where
    assert "://" not in markdown, where
    assert not re.search(r"(?im)(?:^|\s)www\.", markdown), where


def _assert_inert_html(html: str) -> None:
    lowered = html.lower()
    for needle in (*MARKUP_NEEDLES, *TEMPLATE_NEEDLES):
        assert needle not in lowered
    assert not _EVENT_HANDLER.search(html)
    assert "://" not in html
    assert not _controls(html)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_gateway_strings_are_inert_everywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    text: str,
) -> None:
    hass.config.config_dir = str(tmp_path)
    caplog.set_level(logging.DEBUG)
    findings = async_capture_events(hass, EVENT_FINDING)
    reports = async_capture_events(hass, EVENT_REPORT)
    _plant(simulator, text)

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.runtime_data.coordinator.data.committed

    notification = hass.data["persistent_notification"][f"{DOMAIN}_{config_entry.entry_id}"]
    _assert_inert_markdown(notification["message"], "persistent notification")
    _assert_inert_data(notification["title"], "notification title")
    assert len(phone) == 1
    _assert_inert_markdown(phone[0].data["message"], "notify message")
    _assert_inert_data(phone[0].data["title"], "notify title")

    folder = tmp_path / DOMAIN / config_entry.entry_id
    (html_file,) = folder.glob("*.html")
    (markdown_file,) = folder.glob("*.md")
    html, markdown = html_file.read_text(), markdown_file.read_text()
    _assert_inert_html(html)
    _assert_inert_markdown(markdown, "report file")
    for field in FIELDS[:-1]:  # no report shows event messages, only what rules make of them
        assert field in markdown, field
        assert field in html, field

    assert findings
    _assert_inert_data([event.data for event in findings], "finding events")
    _assert_inert_data([event.data for event in reports], "report events")
    states = [
        {"state": state.state, **state.attributes}
        for state in hass.states.async_all()
        if state.entity_id.split(".")[1].startswith("home")
    ]
    assert len(states) >= 10
    _assert_inert_data(states, "entity states")

    # The frontend shows to-do descriptions as Markdown.
    todo_id = next(
        state.entity_id for state in hass.states.async_all("todo") if "home" in state.entity_id
    )
    response: Any = await hass.services.async_call(
        "todo", "get_items", {"entity_id": todo_id}, blocking=True, return_response=True
    )
    items = response[todo_id]["items"]
    assert items
    for item in items:
        _assert_inert_data(item["summary"], "to-do summary")
        _assert_inert_markdown(item.get("description") or "", "to-do description")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    _assert_inert_data(diagnostics, "diagnostics")
    assert len(json.dumps(diagnostics)) < 2_000_000

    for record in caplog.records:
        message = record.getMessage()
        assert not _controls(message.replace("\t", "")), record.name
        assert len(message) < 20_000, record.name
    assert await hass.config_entries.async_unload(config_entry.entry_id)


# --- service calls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("run_scan", {"deliver": "perhaps"}, None),
        ("run_scan", {"config_entry": ["one", "two"]}, None),
        ("run_scan", {"unexpected": 1}, None),
        (
            "run_scan",
            {"config_entry": "<script>alert(1)</script>" * 1000},
            "config_entry_not_found",
        ),
        ("reset_checkpoint", {"lookback_hours": "a day"}, None),
        ("reset_checkpoint", {"since": "the day before yesterday"}, None),
        ("reset_checkpoint", {"lookback_hours": 0}, "invalid_lookback"),
        ("reset_checkpoint", {"lookback_hours": "nan"}, "invalid_lookback"),
        ("reset_checkpoint", {"lookback_hours": "inf"}, "invalid_lookback"),
        ("reset_checkpoint", {"lookback_hours": 1e300}, "invalid_lookback"),
        ("reset_checkpoint", {"since": "9999-12-31T23:59:59+00:00"}, "since_in_future"),
    ],
)
async def test_malformed_service_calls_change_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: GatewaySimulator,
    phone: list[ServiceCall],
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    key: str | None,
) -> None:
    stored = json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"])
    requests = sum(simulator.requests.values())
    if service == "reset_checkpoint":
        data = {"config_entry": init_integration.entry_id} | data
    with pytest.raises((vol.Invalid, ServiceValidationError)) as err:
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=service == "run_scan"
        )
    if key is None:  # refused by the schema, with the field named
        assert isinstance(err.value, vol.Invalid)
        assert err.value.path
    else:
        assert isinstance(err.value, ServiceValidationError)
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == key
        _assert_inert_data(err.value.translation_placeholders or {}, "error placeholders")
        assert len(str(err.value.translation_placeholders)) < 500
    assert json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]) == stored
    assert sum(simulator.requests.values()) == requests
    assert len(phone) == 1
