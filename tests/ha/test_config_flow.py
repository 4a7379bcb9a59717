"""Config, reauth, reconfigure and options flows against the simulator (every branch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.unifi_scanner.const import (
    CONF_AUTH_METHOD,
    CONF_CPU_CRITICAL,
    CONF_CPU_WARNING,
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_REPORT_FILES,
    CONF_SCAN_INTERVAL,
    CONF_SITE,
    CONF_SITE_ID,
    DOMAIN,
    SECTION_DELIVERY,
    SECTION_THRESHOLDS,
)
from custom_components.unifi_scanner.scanner.auth import AuthMethod
from tests.simulator import Faults, GatewaySimulator, Mode

from .conftest import HOME_SITE_ID, UNIQUE_ID, credentials_data

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

KEY = AuthMethod.API_KEY
ACCOUNT = AuthMethod.LOCAL_ACCOUNT
NEW_KEY = "k3y-Rotated-0123456789abcdefABCDEF"


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[None]:
    """Flows only: creating an entry must not start a scan."""
    with patch("custom_components.unifi_scanner.async_setup_entry", return_value=True):
        yield


def _user_input(sim: GatewaySimulator, method: AuthMethod, **overrides: Any) -> dict[str, Any]:
    credentials = credentials_data(sim, method)
    del credentials[CONF_AUTH_METHOD]
    return {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        **credentials,
        CONF_VERIFY_SSL: False,
    } | overrides


async def _start(hass: HomeAssistant, method: AuthMethod) -> ConfigFlowResult:
    """Open the user flow and pick ``method`` from its menu."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": method.value}
    )


async def test_user_menu_recommends_the_api_key(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["api_key", "local_account"]


async def test_user_single_site_local_account(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    result = await _start(hass, ACCOUNT)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local_account"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, ACCOUNT, **{CONF_HOST: f" {simulator.host} "})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["result"].unique_id == UNIQUE_ID
    assert result["result"].minor_version == 2
    assert result["data"] == {
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_AUTH_METHOD: "local_account",
        CONF_USERNAME: simulator.username,
        CONF_PASSWORD: simulator.password,
        CONF_VERIFY_SSL: False,
        CONF_SITE: "default",
        CONF_SITE_ID: HOME_SITE_ID,
    }
    # The probe let its session go without closing the connection pool Home Assistant shares
    # with every other integration that skips certificate checks.
    shared = async_get_clientsession(hass, verify_ssl=False)
    assert shared.connector is not None
    assert not shared.connector.closed


@pytest.mark.parametrize("simulator_mode", [Mode.UNIFI_OS, Mode.NETWORK10])
async def test_user_single_site_api_key(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    result = await _start(hass, KEY)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "api_key"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(simulator, KEY, **{CONF_API_KEY: f" {simulator.api_key}\n"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == UNIQUE_ID  # the same identity as with an account
    assert result["data"] == {
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_AUTH_METHOD: "api_key",
        CONF_API_KEY: simulator.api_key,
        CONF_VERIFY_SSL: False,
        CONF_SITE: "default",
        CONF_SITE_ID: HOME_SITE_ID,
    }
    assert simulator.login_attempts == 0  # a key never logs in
    assert simulator.api_key_requests >= 2  # the sites and stat/sysinfo


@pytest.mark.parametrize("method", [ACCOUNT, KEY])
@pytest.mark.parametrize("simulator_scenario", ["multisite"])
async def test_user_picks_one_of_several_sites(
    hass: HomeAssistant, simulator: GatewaySimulator, method: AuthMethod
) -> None:
    result = await _start(hass, method)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, method)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "site"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE: "jl3z2shm"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Acme Office Warehouse"
    assert result["data"][CONF_SITE] == "jl3z2shm"
    assert result["data"][CONF_SITE_ID] == "66a1b2c3d4e5f60718293a02"
    assert result["data"][CONF_AUTH_METHOD] == method.value
    unique_id = result["result"].unique_id
    assert unique_id is not None
    assert unique_id.endswith("_66a1b2c3d4e5f60718293a02")


def _wrong_password(_sim: GatewaySimulator) -> dict[str, Any]:
    return {CONF_PASSWORD: "wrong"}


def _wrong_key(_sim: GatewaySimulator) -> dict[str, Any]:
    return {CONF_API_KEY: "not-the-key-0123456789"}


def _malformed_key(_sim: GatewaySimulator) -> dict[str, Any]:
    return {CONF_API_KEY: "two words"}


def _rate_limited(sim: GatewaySimulator) -> dict[str, Any]:
    sim.login_limit = 0
    return {}


def _requests_limited(sim: GatewaySimulator) -> dict[str, Any]:
    sim.faults = Faults(status=429, paths=("/proxy/network/",))
    return {}


def _mfa(sim: GatewaySimulator) -> dict[str, Any]:
    sim.mfa_required = True
    return {}


def _unreachable(sim: GatewaySimulator) -> dict[str, Any]:
    sim.faults = Faults(status=502, paths=("/api/auth/login",))
    return {}


def _console_down(sim: GatewaySimulator) -> dict[str, Any]:
    sim.faults = Faults(status=502, paths=("/proxy/network/",))
    return {}


@pytest.mark.parametrize(
    ("method", "breakage", "error"),
    [
        (ACCOUNT, _wrong_password, "invalid_auth"),
        (ACCOUNT, _rate_limited, "rate_limited"),
        (ACCOUNT, _mfa, "mfa_required"),
        (ACCOUNT, _unreachable, "cannot_connect"),
        (KEY, _wrong_key, "invalid_api_key"),
        (KEY, _malformed_key, "invalid_api_key"),
        (KEY, _requests_limited, "rate_limited"),
        (KEY, _console_down, "cannot_connect"),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    method: AuthMethod,
    breakage: Callable[[GatewaySimulator], dict[str, Any]],
    error: str,
) -> None:
    result = await _start(hass, method)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, method, **breakage(simulator))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert hass.config_entries.async_entries(DOMAIN) == []
    if method is KEY:
        assert simulator.login_attempts == 0

    simulator.login_limit = 10
    simulator.reset_login_limit()
    simulator.mfa_required = False
    simulator.faults = Faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, method)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("simulator_mode", [Mode.CLASSIC])
async def test_api_key_on_a_self_hosted_application(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    result = await _start(hass, KEY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, KEY)
    )
    assert result["errors"] == {"base": "api_key_unsupported"}
    assert simulator.login_attempts == 0
    assert simulator.api_key_requests == 0  # nothing was even tried with the key


@pytest.mark.parametrize("method", [ACCOUNT, KEY])
async def test_user_unexpected_error(
    hass: HomeAssistant, simulator: GatewaySimulator, method: AuthMethod
) -> None:
    result = await _start(hass, method)
    with patch(
        "custom_components.unifi_scanner.config_flow._async_probe", side_effect=RuntimeError
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(simulator, method)
        )
    assert result["errors"] == {"base": "unknown"}


@pytest.mark.parametrize("method", [ACCOUNT, KEY])
@pytest.mark.usefixtures("config_entry")  # set up with a local account
async def test_same_site_by_either_method_is_already_configured(
    hass: HomeAssistant, simulator: GatewaySimulator, method: AuthMethod
) -> None:
    result = await _start(hass, method)
    user_input = _user_input(simulator, method, **{CONF_HOST: f"{simulator.host}:{simulator.port}"})
    del user_input[CONF_PORT]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- reauthentication -------------------------------------------------------------------------


async def _reauth(
    hass: HomeAssistant, entry: MockConfigEntry, method: AuthMethod
) -> ConfigFlowResult:
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reauth_confirm"
    assert (result["description_placeholders"] or {})["title"] == entry.title
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": f"reauth_{method.value}"}
    )


@pytest.mark.parametrize(
    ("auth_method", "menu"),
    [
        (ACCOUNT, ["reauth_local_account", "reauth_api_key"]),
        (KEY, ["reauth_api_key", "reauth_local_account"]),
    ],
)
async def test_reauth_offers_the_entry_method_first(
    hass: HomeAssistant, config_entry: MockConfigEntry, menu: list[str]
) -> None:
    result = await config_entry.start_reauth_flow(hass)
    assert result["menu_options"] == menu


async def test_reauth_new_password(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.set_password("new secret")
    result = await _reauth(hass, config_entry, ACCOUNT)
    assert result["step_id"] == "reauth_local_account"
    assert result["data_schema"] is not None
    username = next(k for k in result["data_schema"].schema if k == CONF_USERNAME)
    assert username.description == {"suggested_value": simulator.username}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: simulator.username, CONF_PASSWORD: "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert config_entry.data[CONF_PASSWORD] == "correct horse battery staple"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: simulator.username, CONF_PASSWORD: "new secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_PASSWORD] == "new secret"
    assert config_entry.data[CONF_AUTH_METHOD] == "local_account"


@pytest.mark.parametrize("auth_method", [KEY])
async def test_reauth_new_api_key(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.api_key = NEW_KEY
    result = await _reauth(hass, config_entry, KEY)
    assert result["step_id"] == "reauth_api_key"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "the-revoked-one"}
    )
    assert result["errors"] == {"base": "invalid_api_key"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_API_KEY] == NEW_KEY
    assert simulator.login_attempts == 0


async def test_reauth_switches_from_account_to_key(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    result = await _reauth(hass, config_entry, KEY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: simulator.api_key}
    )
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_AUTH_METHOD] == "api_key"
    assert config_entry.data[CONF_API_KEY] == simulator.api_key
    assert CONF_USERNAME not in config_entry.data  # the old method's secrets are gone
    assert CONF_PASSWORD not in config_entry.data


@pytest.mark.parametrize("auth_method", [KEY])
async def test_reauth_switches_from_key_to_account(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    result = await _reauth(hass, config_entry, ACCOUNT)
    assert result["data_schema"] is not None
    username = next(k for k in result["data_schema"].schema if k == CONF_USERNAME)
    assert username.description is None  # a key entry has no account to suggest
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: simulator.username, CONF_PASSWORD: simulator.password}
    )
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_AUTH_METHOD] == "local_account"
    assert CONF_API_KEY not in config_entry.data


@pytest.mark.usefixtures("simulator")
async def test_reauth_with_another_gateway_credentials(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Credentials that reach another console behind the same address are refused."""
    other = GatewaySimulator(scenario="multisite", port=0)
    await other.start()
    try:
        hass.config_entries.async_update_entry(
            config_entry, data={**config_entry.data, CONF_PORT: other.port}
        )
        result = await _reauth(hass, config_entry, KEY)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: other.api_key}
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert config_entry.data[CONF_AUTH_METHOD] == "local_account"


# --- reconfiguration --------------------------------------------------------------------------


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, method: AuthMethod
) -> ConfigFlowResult:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": f"reconfigure_{method.value}"}
    )


@pytest.mark.parametrize(
    ("auth_method", "menu"),
    [
        (ACCOUNT, ["reconfigure_local_account", "reconfigure_api_key"]),
        (KEY, ["reconfigure_api_key", "reconfigure_local_account"]),
    ],
)
async def test_reconfigure_offers_the_entry_method_first(
    hass: HomeAssistant, config_entry: MockConfigEntry, menu: list[str]
) -> None:
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["menu_options"] == menu


async def test_reconfigure_address_keeps_the_password(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    result = await _reconfigure(hass, config_entry, ACCOUNT)
    assert result["step_id"] == "reconfigure_local_account"
    assert result["data_schema"] is not None
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_VERIFY_SSL: False,
        CONF_USERNAME: simulator.username,
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: simulator.host,
            CONF_PORT: 1,
            CONF_VERIFY_SSL: False,
            CONF_USERNAME: simulator.username,
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{simulator.host}:{simulator.port}",
            CONF_VERIFY_SSL: False,
            CONF_USERNAME: simulator.username,
            CONF_PASSWORD: "",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_HOST] == f"{simulator.host}:{simulator.port}"
    assert CONF_PORT not in config_entry.data
    assert config_entry.data[CONF_PASSWORD] == simulator.password


@pytest.mark.parametrize("auth_method", [KEY])
async def test_reconfigure_keeps_or_replaces_the_key(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    connection = {CONF_HOST: simulator.host, CONF_PORT: simulator.port, CONF_VERIFY_SSL: False}
    result = await _reconfigure(hass, config_entry, KEY)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], connection)
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_API_KEY] == simulator.api_key

    simulator.api_key = NEW_KEY
    result = await _reconfigure(hass, config_entry, KEY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], connection | {CONF_API_KEY: NEW_KEY}
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_API_KEY] == NEW_KEY
    assert simulator.login_attempts == 0


async def test_reconfigure_switches_method_both_ways(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    connection = {CONF_HOST: simulator.host, CONF_PORT: simulator.port, CONF_VERIFY_SSL: False}
    result = await _reconfigure(hass, config_entry, KEY)
    assert result["data_schema"] is not None
    key_field = next(k for k in result["data_schema"].schema if k == CONF_API_KEY)
    assert type(key_field).__name__ == "Required"  # switching needs the new secret
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], connection | {CONF_API_KEY: simulator.api_key}
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_AUTH_METHOD] == "api_key"
    assert {CONF_USERNAME, CONF_PASSWORD}.isdisjoint(config_entry.data)

    result = await _reconfigure(hass, config_entry, ACCOUNT)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        connection | {CONF_USERNAME: simulator.username, CONF_PASSWORD: "wrong"},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert config_entry.data[CONF_AUTH_METHOD] == "api_key"  # nothing changed
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        connection | {CONF_USERNAME: simulator.username, CONF_PASSWORD: simulator.password},
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_AUTH_METHOD] == "local_account"
    assert CONF_API_KEY not in config_entry.data


async def test_reconfigure_other_gateway(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    other = GatewaySimulator(
        scenario="multisite", username=simulator.username, password=simulator.password
    )
    await other.start()
    try:
        result = await _reconfigure(hass, config_entry, ACCOUNT)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: other.host,
                CONF_PORT: other.port,
                CONF_VERIFY_SSL: False,
                CONF_USERNAME: simulator.username,
            },
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert config_entry.data[CONF_PORT] == simulator.port


async def _open_options(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> ConfigFlowResult:
    """Open the options menu and choose ``step``."""
    menu = await hass.config_entries.options.async_init(entry.entry_id)
    assert menu["type"] is FlowResultType.MENU
    assert menu["menu_options"] == ["settings", "rules"]
    return await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": step}
    )


def _options_input(**overrides: Any) -> dict[str, Any]:
    delivery = overrides.pop(SECTION_DELIVERY, {})
    thresholds = overrides.pop(SECTION_THRESHOLDS, {})
    return {
        CONF_SCAN_INTERVAL: 30.0,  # number selectors submit floats
        "lookback_hours": 12,
        "max_lookback_days": 3,
        CONF_MIN_SEVERITY: "severe",
        "announce_at_once": "medium",
        "poll_interval": 120.0,
        SECTION_DELIVERY: {
            "persistent_notification": False,
            CONF_NOTIFY_SERVICES: ["phone"],
            CONF_REPORT_FILES: True,
            "retention_days": 14,
        }
        | delivery,
        SECTION_THRESHOLDS: {
            "temperature_warning": 70,
            "temperature_critical": 85,
            CONF_CPU_WARNING: 75,
            CONF_CPU_CRITICAL: 90,
            "memory_warning": 80,
            "memory_critical": 90,
        }
        | thresholds,
    } | overrides


async def test_options_flow(hass: HomeAssistant) -> None:
    async_mock_service(hass, "notify", "phone")
    async_mock_service(hass, "notify", "send_message")
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={},
        options={CONF_NOTIFY_SERVICES: ["phone", "gone"], CONF_SCAN_INTERVAL: 60},
    )
    entry.add_to_hass(hass)

    result = await _open_options(hass, entry, "settings")
    assert result["type"] is FlowResultType.FORM
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    delivery = next(value for key, value in schema.items() if key == SECTION_DELIVERY)
    notify = next(v for k, v in delivery.schema.schema.items() if k == CONF_NOTIFY_SERVICES)
    assert notify.config["options"] == ["phone"]  # send_message needs a target; "gone" is gone
    notify_key = next(k for k in delivery.schema.schema if k == CONF_NOTIFY_SERVICES)
    assert notify_key.description == {"suggested_value": ["phone"]}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(**{SECTION_THRESHOLDS: {CONF_CPU_WARNING: 95.0}})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "threshold_order"}

    result = await hass.config_entries.options.async_configure(result["flow_id"], _options_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_SCAN_INTERVAL: 30,
        "lookback_hours": 12,
        "max_lookback_days": 3,
        CONF_MIN_SEVERITY: "severe",
        "announce_at_once": "medium",
        "poll_interval": 120,
        "persistent_notification": False,
        CONF_NOTIFY_SERVICES: ["phone"],
        "html_notify_services": [],
        CONF_REPORT_FILES: True,
        "retention_days": 14,
        "temperature_warning": 70,
        "temperature_critical": 85,
        CONF_CPU_WARNING: 75,
        CONF_CPU_CRITICAL: 90,
        "memory_warning": 80,
        "memory_critical": 90,
    }
    assert type(entry.options[CONF_SCAN_INTERVAL]) is int
    assert type(entry.options["poll_interval"]) is int


async def test_options_flow_defaults(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={}, options={})
    entry.add_to_hass(hass)
    result = await _open_options(hass, entry, "settings")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {SECTION_DELIVERY: {}, SECTION_THRESHOLDS: {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SCAN_INTERVAL] == 60
    assert entry.options[CONF_NOTIFY_SERVICES] == []
    assert entry.options["html_notify_services"] == []
    assert entry.options["persistent_notification"] is True
