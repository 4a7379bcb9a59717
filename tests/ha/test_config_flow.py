"""Config, reauth, reconfigure and options flows against the simulator (every branch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
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
from tests.simulator import Faults, GatewaySimulator

from .conftest import HOME_SITE_ID, UNIQUE_ID

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[None]:
    """Flows only: creating an entry must not start a scan."""
    with patch("custom_components.unifi_scanner.async_setup_entry", return_value=True):
        yield


def _user_input(sim: GatewaySimulator, **overrides: Any) -> dict[str, Any]:
    return {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_USERNAME: sim.username,
        CONF_PASSWORD: sim.password,
        CONF_VERIFY_SSL: False,
    } | overrides


async def test_user_single_site(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, **{CONF_HOST: f" {simulator.host} "})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["result"].unique_id == UNIQUE_ID
    assert result["data"] == {
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
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


@pytest.mark.parametrize("simulator_scenario", ["multisite"])
async def test_user_picks_one_of_several_sites(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator)
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
    unique_id = result["result"].unique_id
    assert unique_id is not None
    assert unique_id.endswith("_66a1b2c3d4e5f60718293a02")


def _wrong_password(_sim: GatewaySimulator) -> dict[str, Any]:
    return {CONF_PASSWORD: "wrong"}


def _rate_limited(sim: GatewaySimulator) -> dict[str, Any]:
    sim.login_limit = 0
    return {}


def _mfa(sim: GatewaySimulator) -> dict[str, Any]:
    sim.mfa_required = True
    return {}


def _unreachable(sim: GatewaySimulator) -> dict[str, Any]:
    sim.faults = Faults(status=502, paths=("/api/auth/login",))
    return {}


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        (_wrong_password, "invalid_auth"),
        (_rate_limited, "rate_limited"),
        (_mfa, "mfa_required"),
        (_unreachable, "cannot_connect"),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant, simulator: GatewaySimulator, breakage: Any, error: str
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator, **breakage(simulator))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    simulator.login_limit = 10
    simulator.reset_login_limit()
    simulator.mfa_required = False
    simulator.faults = Faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_unexpected_error(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch(
        "custom_components.unifi_scanner.config_flow._async_probe", side_effect=RuntimeError
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(simulator)
        )
    assert result["errors"] == {"base": "unknown"}


@pytest.mark.usefixtures("config_entry")
async def test_user_already_configured(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user_input = _user_input(simulator, **{CONF_HOST: f"{simulator.host}:{simulator.port}"})
    del user_input[CONF_PORT]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    simulator.set_password("new secret")
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert (result["description_placeholders"] or {})["username"] == simulator.username

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_PASSWORD] == "new secret"


async def test_reconfigure(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: simulator.host, CONF_PORT: 1, CONF_VERIFY_SSL: False}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{simulator.host}:{simulator.port}", CONF_VERIFY_SSL: False},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_HOST] == f"{simulator.host}:{simulator.port}"
    assert CONF_PORT not in config_entry.data
    assert config_entry.data[CONF_PASSWORD] == simulator.password


async def test_reconfigure_other_gateway(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    other = GatewaySimulator(
        scenario="multisite", username=simulator.username, password=simulator.password
    )
    await other.start()
    try:
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: other.host, CONF_PORT: other.port, CONF_VERIFY_SSL: False},
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert config_entry.data[CONF_PORT] == simulator.port


def _options_input(**overrides: Any) -> dict[str, Any]:
    delivery = overrides.pop(SECTION_DELIVERY, {})
    thresholds = overrides.pop(SECTION_THRESHOLDS, {})
    return {
        CONF_SCAN_INTERVAL: 30.0,  # number selectors submit floats
        "lookback_hours": 12,
        "max_lookback_days": 3,
        CONF_MIN_SEVERITY: "severe",
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

    result = await hass.config_entries.options.async_init(entry.entry_id)
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


async def test_options_flow_defaults(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={}, options={})
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {SECTION_DELIVERY: {}, SECTION_THRESHOLDS: {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SCAN_INTERVAL] == 60
    assert entry.options[CONF_NOTIFY_SERVICES] == []
    assert entry.options["html_notify_services"] == []
    assert entry.options["persistent_notification"] is True
