"""Scanner errors become translated Home Assistant errors with inert placeholders."""

from __future__ import annotations

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from custom_components.unifi_scanner.coordinator import as_ha_error, translate_error
from custom_components.unifi_scanner.scanner.exceptions import (
    ScannerAuthenticationError,
    ScannerConnectionError,
    ScannerRateLimitError,
    ScannerResponseError,
)


def test_each_family_has_its_translation_key() -> None:
    assert translate_error(ScannerAuthenticationError("no")) == ("invalid_auth", {})
    assert translate_error(ScannerRateLimitError("slow down")) == ("rate_limited", {})
    key, placeholders = translate_error(ScannerConnectionError(""))
    assert key == "communication_error"
    assert placeholders == {"error": "ScannerConnectionError"}


def test_gateway_text_in_an_error_is_made_inert() -> None:
    hostile = "Error: \x1b[31mapi.err.\u202eX\x00\r\nInjected: " + "A" * 5000
    _, placeholders = translate_error(ScannerResponseError(hostile))
    text = placeholders["error"]
    assert len(text) <= 200
    assert not any(ord(char) < 32 or 0x7F <= ord(char) < 0xA0 for char in text)
    assert "\u202e" not in text
    assert "\x1b" not in text
    assert "Injected" in text  # the readable part survives on one line


def test_each_layer_gets_its_own_error_class() -> None:
    rejected = as_ha_error(ScannerAuthenticationError("no"), ConfigEntryNotReady)
    assert type(rejected) is ConfigEntryAuthFailed  # starts reauthentication
    assert rejected.translation_key == "invalid_auth"
    failed = as_ha_error(ScannerConnectionError("down"), UpdateFailed)
    assert type(failed) is UpdateFailed
    assert failed.translation_key == "communication_error"
    assert failed.translation_placeholders == {"error": "down"}
    limited = as_ha_error(ScannerRateLimitError("wait"), ConfigEntryNotReady)
    assert type(limited) is ConfigEntryNotReady  # a rate limit never starts reauthentication
    action = as_ha_error(
        ScannerAuthenticationError("no"), HomeAssistantError, rejected=HomeAssistantError
    )
    assert type(action) is HomeAssistantError
    assert action.translation_domain == "unifi_scanner"
