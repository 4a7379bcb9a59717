"""Config, reauth, reconfigure and options flows.

The user step logs in and lists the gateway's sites before anything is created; the unique id is
the gateway's identity plus the site id, so the same site is never added twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import callback

from . import build_client
from .const import CONF_SITE, CONF_SITE_ID, DOMAIN, LOGGER
from .scanner.exceptions import (
    ScannerAuthenticationError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
)
from .schemas import (
    REAUTH_SCHEMA,
    RECONFIGURE_SCHEMA,
    USER_SCHEMA,
    flatten_options,
    options_schema,
    site_schema,
    suggested_options,
    threshold_errors,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import UnifiScannerConfigEntry
    from .scanner.models import GatewayInfo, Site


def _clean_input(user_input: dict[str, Any]) -> dict[str, Any]:
    """Trim the host and store the port as an int (or not at all)."""
    data = dict(user_input)
    data[CONF_HOST] = str(data[CONF_HOST]).strip()
    if data.get(CONF_PORT):
        data[CONF_PORT] = int(data[CONF_PORT])
    else:
        data.pop(CONF_PORT, None)
    return data


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> tuple[GatewayInfo, list[Site]]:
    """Log in and read the gateway's identity and sites; the session is let go afterwards."""
    client = build_client(hass, data, auto_cleanup=False)
    try:
        await client.login()
        sites = await client.sites()
        gateway = await client.gateway_info()
        await client.close()
    finally:
        client.session.detach()
    return gateway, sites


async def _async_try_probe(
    hass: HomeAssistant, data: dict[str, Any], errors: dict[str, str]
) -> tuple[GatewayInfo, list[Site]] | None:
    """Probe, turning failures into form errors."""
    try:
        return await _async_probe(hass, data)
    except ScannerMfaRequiredError:
        errors["base"] = "mfa_required"
    except ScannerAuthenticationError:
        errors["base"] = "invalid_auth"
    except ScannerRateLimitError:
        errors["base"] = "rate_limited"
    except (ScannerError, ValueError):
        errors["base"] = "cannot_connect"
    except Exception:  # noqa: BLE001 - the form must show "unknown", not crash
        LOGGER.exception("Unexpected error while connecting to the gateway")
        errors["base"] = "unknown"
    return None


def _unique_id(gateway: GatewayInfo, site_id: str) -> str:
    """Combine the gateway's identity and the site: stable across address and password changes."""
    return f"{gateway.anonymous_id}_{site_id}" if gateway.anonymous_id else site_id


class UnifiScannerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a gateway site."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._data: dict[str, Any] = {}
        self._gateway: GatewayInfo | None = None
        self._sites: dict[str, Site] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: UnifiScannerConfigEntry) -> OptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return UnifiScannerOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the address and a local account, then log in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean_input(user_input)
            if (probed := await _async_try_probe(self.hass, data, errors)) is not None:
                self._data = data
                self._gateway, sites = probed
                self._sites = {site.name: site for site in sites}
                if len(sites) == 1:
                    return await self._async_create(sites[0])
                return await self.async_step_site()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_site(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of several sites."""
        if user_input is not None:
            return await self._async_create(self._sites[user_input[CONF_SITE]])
        schema = site_schema(self._sites.values())
        return self.async_show_form(step_id="site", data_schema=schema)

    async def _async_create(self, site: Site) -> ConfigFlowResult:
        """Create the entry unless this gateway site is already configured."""
        assert self._gateway is not None  # noqa: S101 - set by the user step
        await self.async_set_unique_id(_unique_id(self._gateway, site.id))
        self._abort_if_unique_id_configured()
        gateway_label = self._gateway.name or self._gateway.hostname or self._data[CONF_HOST]
        title = gateway_label if len(self._sites) == 1 else f"{gateway_label} {site.description}"
        return self.async_create_entry(
            title=title, data={**self._data, CONF_SITE: site.name, CONF_SITE_ID: site.id}
        )

    async def async_step_reauth(self, entry_data: dict[str, Any]) -> ConfigFlowResult:  # noqa: ARG002
        """Start over the password after the gateway rejected it."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and check it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            if await _async_try_probe(self.hass, data, errors) is not None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"username": entry.data[CONF_USERNAME]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or TLS verification of the same gateway site."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            connection = _clean_input(user_input)
            data = {**entry.data, **connection}
            if CONF_PORT not in connection:
                data.pop(CONF_PORT, None)
            if (probed := await _async_try_probe(self.hass, data, errors)) is not None:
                gateway, _sites = probed
                await self.async_set_unique_id(_unique_id(gateway, entry.data[CONF_SITE_ID]))
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
        suggested = user_input or {
            key: entry.data[key]
            for key in (CONF_HOST, CONF_PORT, CONF_VERIFY_SSL)
            if key in entry.data
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(RECONFIGURE_SCHEMA, suggested),
            errors=errors,
        )


class UnifiScannerOptionsFlow(OptionsFlow):
    """Scan schedule, delivery channels and device-health thresholds."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and validate the options form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options = flatten_options(user_input)
            if not threshold_errors(options, errors):
                return self.async_create_entry(data=options)
        notify = sorted(
            name
            for name in self.hass.services.async_services_for_domain("notify")
            if name != "send_message"
        )
        current = user_input or suggested_options(self.config_entry.options, notify)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(options_schema(notify), current),
            errors=errors,
        )
