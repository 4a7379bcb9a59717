"""Config, reauth, reconfigure and options flows.

Setup starts with the choice of auth method: an API key (UniFi OS consoles with Network 9 or
newer) or a local account. Either way the gateway's identity and sites are read before anything
is created. The unique id is the gateway's identity plus the site id, so the same site is never
added twice, whichever method it came with. Reauthentication and reconfiguration offer the
entry's own method first and the other one second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_VERIFY_SSL
from homeassistant.core import callback

from . import CATALOGUE_KEY, build_client, entry_credentials, entry_method
from .const import CONF_AUTH_METHOD, CONF_SITE, CONF_SITE_ID, DOMAIN, LOGGER
from .scanner.auth import AuthMethod
from .scanner.catalogue import load_catalogue
from .scanner.exceptions import (
    ScannerApiKeyUnsupportedError,
    ScannerAuthenticationError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
)
from .schemas import (
    CREDENTIAL_FIELDS,
    credentials_schema,
    flatten_options,
    options_schema,
    rules_options,
    rules_schema,
    site_schema,
    suggested_options,
    suggested_rules,
    threshold_errors,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

    from .data import UnifiScannerConfigEntry
    from .scanner.models import GatewayInfo, Site

# Each method's step name; the menus list the key first, as the recommended choice.
METHOD_STEPS: Final = {AuthMethod.API_KEY: "api_key", AuthMethod.LOCAL_ACCOUNT: "local_account"}
_CREDENTIALS: Final = frozenset(name for names in CREDENTIAL_FIELDS.values() for name in names)


def _methods_from(data: Mapping[str, Any]) -> list[AuthMethod]:
    """Both methods, the entry's own first."""
    own = entry_method(data)
    return [own, *(method for method in AuthMethod if method is not own)]


def _entry_data(
    stored: Mapping[str, Any], method: AuthMethod, form: Mapping[str, Any]
) -> dict[str, Any]:
    """Entry data for ``method``: the stored data with the form's fields on top.

    The other method's credentials are dropped; a secret left empty keeps the stored one (only
    offered when the method stays). A form with a host replaces the port too: no port, no port.
    """
    data = {key: value for key, value in stored.items() if key not in _CREDENTIALS}
    if entry_method(stored) is method:
        data |= {key: stored[key] for key in CREDENTIAL_FIELDS[method] if key in stored}
    submitted = {key: value for key, value in form.items() if value not in (None, "")}
    if CONF_HOST in submitted:
        submitted[CONF_HOST] = str(submitted[CONF_HOST]).strip()
        data.pop(CONF_PORT, None)
    if CONF_PORT in submitted:
        submitted[CONF_PORT] = int(submitted[CONF_PORT])
    if CONF_API_KEY in submitted:
        submitted[CONF_API_KEY] = str(submitted[CONF_API_KEY]).strip()
    return data | submitted | {CONF_AUTH_METHOD: method.value}


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> tuple[GatewayInfo, list[Site]]:
    """Sign in and read the gateway's identity and sites; the session is let go afterwards."""
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
    key = entry_method(data) is AuthMethod.API_KEY
    try:
        entry_credentials(data)
    except ValueError:
        errors["base"] = "invalid_api_key"
        return None
    try:
        return await _async_probe(hass, data)
    except ScannerApiKeyUnsupportedError:
        errors["base"] = "api_key_unsupported"
    except ScannerMfaRequiredError:
        errors["base"] = "mfa_required"
    except ScannerAuthenticationError:
        errors["base"] = "invalid_api_key" if key else "invalid_auth"
    except ScannerRateLimitError:
        errors["base"] = "rate_limited"
    except (ScannerError, ValueError):
        errors["base"] = "cannot_connect"
    except Exception:  # noqa: BLE001 - the form must show "unknown", not crash
        LOGGER.exception("Unexpected error while connecting to the gateway")
        errors["base"] = "unknown"
    return None


def _unique_id(gateway: GatewayInfo, site_id: str) -> str:
    """Combine the gateway's identity and the site: stable across address and credential changes."""
    return f"{gateway.anonymous_id}_{site_id}" if gateway.anonymous_id else site_id


class UnifiScannerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a gateway site."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: the auth method is stored (1.1 entries are local accounts)

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

    # --- adding a site -------------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """Let the user choose how Home Assistant signs in."""
        return self.async_show_menu(step_id="user", menu_options=list(METHOD_STEPS.values()))

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the address and an API key, then read the gateway with it."""
        return await self._async_step_connect(AuthMethod.API_KEY, user_input)

    async def async_step_local_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the address and a local account, then log in."""
        return await self._async_step_connect(AuthMethod.LOCAL_ACCOUNT, user_input)

    async def _async_step_connect(
        self, method: AuthMethod, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data({}, method, user_input)
            if (probed := await _async_try_probe(self.hass, data, errors)) is not None:
                self._data = data
                self._gateway, sites = probed
                self._sites = {site.name: site for site in sites}
                if len(sites) == 1:
                    return await self._async_create(sites[0])
                return await self.async_step_site()
        return self.async_show_form(
            step_id=METHOD_STEPS[method],
            data_schema=self.add_suggested_values_to_schema(credentials_schema(method), user_input),
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
        assert self._gateway is not None  # noqa: S101 - set by the connect step
        await self.async_set_unique_id(_unique_id(self._gateway, site.id))
        self._abort_if_unique_id_configured()
        gateway_label = self._gateway.name or self._gateway.hostname or self._data[CONF_HOST]
        title = gateway_label if len(self._sites) == 1 else f"{gateway_label} {site.description}"
        return self.async_create_entry(
            title=title, data={**self._data, CONF_SITE: site.name, CONF_SITE_ID: site.id}
        )

    # --- new credentials -----------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002
        """Start over the credentials after the gateway rejected them."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Offer new credentials of the entry's method, or the other method."""
        entry = self._get_reauth_entry()
        return self.async_show_menu(
            step_id="reauth_confirm",
            menu_options=[f"reauth_{METHOD_STEPS[method]}" for method in _methods_from(entry.data)],
            description_placeholders={"title": entry.title},
        )

    async def async_step_reauth_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key."""
        return await self._async_step_new_credentials(AuthMethod.API_KEY, user_input)

    async def async_step_reauth_local_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password (and the account) again."""
        return await self._async_step_new_credentials(AuthMethod.LOCAL_ACCOUNT, user_input)

    async def _async_step_new_credentials(
        self, method: AuthMethod, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data(entry.data, method, user_input)
            if (probed := await _async_try_probe(self.hass, data, errors)) is not None:
                return await self._async_update_same_site(entry, probed[0], data)
        suggested = user_input or {
            key: entry.data[key] for key in CREDENTIAL_FIELDS[method][:-1] if key in entry.data
        }
        schema = credentials_schema(method, connection=False)
        return self.async_show_form(
            step_id=f"reauth_{METHOD_STEPS[method]}",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    # --- a new address or method ---------------------------------------------------------------

    async def async_step_reconfigure(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Offer the entry's method first (keeping its secret), the other method second."""
        methods = _methods_from(self._get_reconfigure_entry().data)
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=[f"reconfigure_{METHOD_STEPS[method]}" for method in methods],
        )

    async def async_step_reconfigure_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address, and sign in with an API key."""
        return await self._async_step_reconnect(AuthMethod.API_KEY, user_input)

    async def async_step_reconfigure_local_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address, and sign in with a local account."""
        return await self._async_step_reconnect(AuthMethod.LOCAL_ACCOUNT, user_input)

    async def _async_step_reconnect(
        self, method: AuthMethod, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data(entry.data, method, user_input)
            if (probed := await _async_try_probe(self.hass, data, errors)) is not None:
                return await self._async_update_same_site(entry, probed[0], data)
        keeps = entry_method(entry.data) is method
        shown = (CONF_HOST, CONF_PORT, CONF_VERIFY_SSL, *CREDENTIAL_FIELDS[method][:-1])
        suggested = user_input or {key: entry.data[key] for key in shown if key in entry.data}
        schema = credentials_schema(method, keep_secret=keeps)
        return self.async_show_form(
            step_id=f"reconfigure_{METHOD_STEPS[method]}",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def _async_update_same_site(
        self, entry: UnifiScannerConfigEntry, gateway: GatewayInfo, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store ``data`` and reload, unless the credentials reach another gateway or site."""
        await self.async_set_unique_id(_unique_id(gateway, entry.data[CONF_SITE_ID]))
        self._abort_if_unique_id_mismatch()
        return self.async_update_reload_and_abort(entry, data=data)


class UnifiScannerOptionsFlow(OptionsFlow):
    """Scan schedule, delivery channels and thresholds; which rules report, and how loudly."""

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Offer the two kinds of options."""
        return self.async_show_menu(step_id="init", menu_options=["settings", "rules"])

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and validate the scan and delivery form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options = flatten_options(user_input)
            if not threshold_errors(options, errors):
                return self.async_create_entry(data={**self.config_entry.options, **options})
        notify = sorted(
            name
            for name in self.hass.services.async_services_for_domain("notify")
            if name != "send_message"
        )
        current = user_input or suggested_options(self.config_entry.options, notify)
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(options_schema(notify), current),
            errors=errors,
        )

    async def async_step_rules(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Turn rules off, and set per category the least urgent finding that notifies."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self.config_entry.options, **rules_options(user_input)}
            )
        catalogue = self.hass.data.get(CATALOGUE_KEY)
        if catalogue is None:  # the integration was never set up in this run
            catalogue = await self.hass.async_add_executor_job(load_catalogue)
        return self.async_show_form(
            step_id="rules",
            data_schema=self.add_suggested_values_to_schema(
                rules_schema(catalogue), suggested_rules(self.config_entry.options)
            ),
        )
