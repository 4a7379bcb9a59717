"""The gateway password or API key (and the session cookie) never leave the integration.

One test, once per auth method, walks an entry through everything that makes it talk, fail and
report: setup, scans, an outage, a re-login after the session expired, the login limit, a
password changed or a key revoked on the console, a failed and a successful reauthentication,
user-triggered scans that fail, report files and diagnostics. Everything written meanwhile
(every log record at DEBUG, Home Assistant and aiohttp included, exceptions with their chained
causes, notifications, notify messages, report files, bus events, entity states, repair issues,
flow results, diagnostics and the stored checkpoint) is then searched for the secrets.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_USERNAME
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_mock_service,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_REPORT_FILES,
    DOMAIN,
)
from custom_components.unifi_scanner.diagnostics import async_get_config_entry_diagnostics
from custom_components.unifi_scanner.scanner.auth import AuthMethod
from tests.simulator import Faults

from .conftest import async_next_scan

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import Event, HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator import GatewaySimulator

SECRET_FIELD = {AuthMethod.API_KEY: CONF_API_KEY, AuthMethod.LOCAL_ACCOUNT: CONF_PASSWORD}
NEW_SECRET = "n3w-Pa55phrase-after-rotation"  # noqa: S105 - the secret under test


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Every channel on."""
    return {CONF_MIN_SEVERITY: "low", CONF_NOTIFY_SERVICES: ["phone"], CONF_REPORT_FILES: True}


def _text(value: Any) -> str:
    return json.dumps(value, default=repr, ensure_ascii=False)


def _exception_text(err: BaseException) -> str:
    """Format the exception as a traceback prints it (chained causes included) plus its repr."""
    return "".join(traceback.format_exception(err)) + repr(err) + repr(err.__cause__)


async def _failing_scan(hass: HomeAssistant) -> BaseException:
    """Ask for a scan that fails and return what the user was shown."""
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "run_scan", {}, blocking=True, return_response=True)
    return err.value


def _rotate(simulator: GatewaySimulator, method: AuthMethod) -> None:
    """Change the secret on the console, as an admin would."""
    if method is AuthMethod.API_KEY:
        simulator.api_key = NEW_SECRET
    else:
        simulator.set_password(NEW_SECRET)


def _reauth_input(simulator: GatewaySimulator, method: AuthMethod, secret: str) -> dict[str, str]:
    if method is AuthMethod.API_KEY:
        return {CONF_API_KEY: secret}
    return {CONF_USERNAME: simulator.username, CONF_PASSWORD: secret}


async def _reauthenticate(
    hass: HomeAssistant, simulator: GatewaySimulator, method: AuthMethod
) -> list[str]:
    """Answer the reauthentication flow wrongly, then rightly; return what it showed."""
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    form = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"next_step_id": f"reauth_{method.value}"}
    )
    wrong = await hass.config_entries.flow.async_configure(
        form["flow_id"], _reauth_input(simulator, method, "not-it-either")
    )
    assert wrong["errors"]
    done = await hass.config_entries.flow.async_configure(
        form["flow_id"], _reauth_input(simulator, method, NEW_SECRET)
    )
    assert done["reason"] == "reauth_successful"
    return [_text(form), _text(wrong), _text(done)]


@pytest.mark.parametrize("auth_method", list(AuthMethod))
async def test_secrets_never_leave_the_integration(
    hass: HomeAssistant,
    auth_method: AuthMethod,
    hass_storage: dict[str, Any],
    freezer: Any,
    tmp_path: Path,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("custom_components.unifi_scanner", "aiohttp", "homeassistant"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    hass.config.config_dir = str(tmp_path)
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "phone")
    events: list[Event] = async_capture_events(hass, "*")
    old_secret = simulator.api_key if auth_method is AuthMethod.API_KEY else simulator.password
    shown: list[BaseException] = []
    haystack: list[str] = []

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    client = config_entry.runtime_data.client
    cookies = [cookie.value for cookie in client.session.cookie_jar if len(cookie.value) > 8]
    assert bool(cookies) is (auth_method is AuthMethod.LOCAL_ACCOUNT)  # a key has no session

    simulator.append_event("EVT_AD_LoginFailed")
    simulator.expire_sessions()  # the next scan logs in again
    await async_next_scan(hass, freezer)
    simulator.faults = Faults(status=502)
    await async_next_scan(hass, freezer)
    shown.append(await _failing_scan(hass))
    simulator.faults = Faults(status=429)
    await async_next_scan(hass, freezer)
    shown.append(await _failing_scan(hass))  # waiting out the gateway's request limit
    simulator.faults = Faults()
    simulator.login_limit = 0
    simulator.expire_sessions()
    await async_next_scan(hass, freezer)
    if auth_method is AuthMethod.LOCAL_ACCOUNT:  # a key does not log in, so it has no limit
        shown.append(await _failing_scan(hass))
    simulator.reset_login_limit()
    simulator.login_limit = 10
    _rotate(simulator, auth_method)
    await async_next_scan(hass, freezer)
    shown.append(await _failing_scan(hass))
    coordinator = config_entry.runtime_data.coordinator
    assert coordinator.last_exception is not None
    shown.append(coordinator.last_exception)

    haystack += await _reauthenticate(hass, simulator, auth_method)
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.append_event("EVT_SW_DetectRogueDHCP")
    await async_next_scan(hass, freezer)
    assert len(phone) >= 2

    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    shown_data = diagnostics["entry"]["data"]  # the method is shown, its secret is not
    assert (shown_data["auth_method"], shown_data[SECRET_FIELD[auth_method]]) == (
        auth_method,
        "**REDACTED**",
    )
    haystack += [
        caplog.text,
        *(record.getMessage() for record in caplog.records),
        *(_exception_text(err) for err in shown),
        _text(diagnostics),
        _text([call.data for call in phone]),
        _text(hass.data["persistent_notification"]),
        _text([(event.event_type, event.data) for event in events]),
        _text([state.as_dict() for state in hass.states.async_all()]),
        _text([issue.to_json() for issue in ir.async_get(hass).issues.values()]),
        _text(hass_storage.get(f"{DOMAIN}.{config_entry.entry_id}")),
        str(config_entry.reason),
        repr(client),
        *(path.read_text() for path in (tmp_path / DOMAIN).rglob("*") if path.is_file()),
    ]
    assert len(caplog.records) > 100  # DEBUG really was captured
    everything = "\n".join(haystack)
    for secret in (old_secret, NEW_SECRET, *cookies):
        assert secret not in everything
        assert json.dumps(secret)[1:-1] not in everything
    assert await hass.config_entries.async_unload(config_entry.entry_id)
