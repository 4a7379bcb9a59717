"""E-mail notify actions get the HTML report; other notify actions get Markdown only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.unifi_scanner.const import (
    CONF_HTML_NOTIFY_SERVICES,
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Send Markdown to a phone and, with the HTML report, to a mailbox."""
    return {
        CONF_MIN_SEVERITY: "low",
        CONF_NOTIFY_SERVICES: ["phone"],
        CONF_HTML_NOTIFY_SERVICES: ["mailbox"],
    }


@pytest.fixture
def calls(hass: HomeAssistant) -> dict[str, list[ServiceCall]]:
    """Record both notify actions before the integration is set up."""
    return {
        "phone": async_mock_service(hass, "notify", "phone"),
        "mailbox": async_mock_service(hass, "notify", "mailbox"),
    }


async def test_html_goes_only_to_the_email_targets(
    calls: dict[str, list[ServiceCall]], init_integration: MockConfigEntry
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    phone, mailbox = calls["phone"], calls["mailbox"]
    assert len(phone) == 1
    assert len(mailbox) == 1
    assert "data" not in phone[0].data
    html = mailbox[0].data["data"]["html"]
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "UniFi Scanner" in html
    # Both get the same title and the Markdown text.
    assert mailbox[0].data["title"] == phone[0].data["title"]
    assert mailbox[0].data["message"] == phone[0].data["message"]
