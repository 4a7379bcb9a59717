"""Form schemas: connection, site choice and options (with the nested-to-flat mapping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    ANNOUNCE_LEVELS,
    CATEGORY_FIELD_PREFIX,
    CONF_ANNOUNCE_AT_ONCE,
    CONF_CATEGORY_MIN_SEVERITY,
    CONF_DISABLED_RULES,
    CONF_HTML_NOTIFY_SERVICES,
    CONF_LOOKBACK_HOURS,
    CONF_MAX_LOOKBACK_DAYS,
    CONF_MIN_SEVERITY,
    CONF_NOTIFY_SERVICES,
    CONF_PERSISTENT_NOTIFICATION,
    CONF_POLL_INTERVAL,
    CONF_REPORT_FILES,
    CONF_RETENTION_DAYS,
    CONF_SCAN_INTERVAL,
    CONF_SITE,
    DEFAULT_ANNOUNCE_AT_ONCE,
    DEFAULT_LOOKBACK_HOURS,
    DEFAULT_MAX_LOOKBACK_DAYS,
    DEFAULT_MIN_SEVERITY,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SCAN_INTERVAL,
    MAX_LOOKBACK_HOURS,
    MAX_MAX_LOOKBACK_DAYS,
    MAX_POLL_INTERVAL,
    MAX_RETENTION_DAYS,
    MAX_SCAN_INTERVAL,
    MIN_POLL_INTERVAL,
    MIN_SCAN_INTERVAL,
    SECTION_DELIVERY,
    SECTION_THRESHOLDS,
    THRESHOLD_DEFAULTS,
    USE_GLOBAL_SEVERITY,
)
from .scanner.auth import AuthMethod
from .scanner.models import Category, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .scanner.catalogue import RuleCatalogue
    from .scanner.models import Site

_PORT = NumberSelector(NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX))
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_CONNECTION = {
    vol.Required(CONF_HOST): TextSelector(),
    vol.Optional(CONF_PORT): _PORT,
    vol.Required(CONF_VERIFY_SSL, default=False): BooleanSelector(),
}
# The fields that hold each method's credentials, the secret last.
CREDENTIAL_FIELDS: Final[dict[AuthMethod, tuple[str, ...]]] = {
    AuthMethod.API_KEY: (CONF_API_KEY,),
    AuthMethod.LOCAL_ACCOUNT: (CONF_USERNAME, CONF_PASSWORD),
}


def credentials_schema(
    method: AuthMethod, *, connection: bool = True, keep_secret: bool = False
) -> vol.Schema:
    """Build one auth method's form: the address (unless ``connection`` is off), then its fields.

    ``keep_secret`` makes the secret optional: left empty, the stored one stays.
    """
    *names, secret = CREDENTIAL_FIELDS[method]
    fields: dict[vol.Marker, Any] = dict(_CONNECTION) if connection else {}
    fields.update({vol.Required(name): TextSelector() for name in names})
    fields[vol.Optional(secret) if keep_secret else vol.Required(secret)] = _PASSWORD
    return vol.Schema(fields)


def site_schema(sites: Iterable[Site]) -> vol.Schema:
    """Offer the gateway's sites by their display names."""
    options = [SelectOptionDict(value=site.name, label=site.description) for site in sites]
    return vol.Schema(
        {
            vol.Required(CONF_SITE): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )


_TOP_LEVEL = (
    CONF_SCAN_INTERVAL,
    CONF_LOOKBACK_HOURS,
    CONF_MAX_LOOKBACK_DAYS,
    CONF_MIN_SEVERITY,
    CONF_ANNOUNCE_AT_ONCE,
    CONF_POLL_INTERVAL,
)
_DELIVERY = (
    CONF_PERSISTENT_NOTIFICATION,
    CONF_NOTIFY_SERVICES,
    CONF_HTML_NOTIFY_SERVICES,
    CONF_REPORT_FILES,
    CONF_RETENTION_DAYS,
)
_INTEGERS = frozenset(
    {
        CONF_SCAN_INTERVAL,
        CONF_LOOKBACK_HOURS,
        CONF_MAX_LOOKBACK_DAYS,
        CONF_RETENTION_DAYS,
        CONF_POLL_INTERVAL,
        *(key for key, _ in THRESHOLD_DEFAULTS),
    }
)


def _number(minimum: int, maximum: int, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


def _services(notify_services: list[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=notify_services, multiple=True, mode=SelectSelectorMode.DROPDOWN
        )
    )


def options_schema(notify_services: list[str]) -> vol.Schema:
    """Build the form; ``notify_services`` are the notify actions that exist right now."""
    thresholds = {
        vol.Required(key, default=default): _number(1, 150, "°C")
        if key.startswith("temperature")
        else _number(1, 100, "%")
        for key, default in THRESHOLD_DEFAULTS
    }
    return vol.Schema(
        {
            vol.Required(CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL): _number(
                MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL, "min"
            ),
            vol.Required(CONF_LOOKBACK_HOURS, default=DEFAULT_LOOKBACK_HOURS): _number(
                1, MAX_LOOKBACK_HOURS, "h"
            ),
            vol.Required(CONF_MAX_LOOKBACK_DAYS, default=DEFAULT_MAX_LOOKBACK_DAYS): _number(
                1, MAX_MAX_LOOKBACK_DAYS, "d"
            ),
            vol.Required(CONF_MIN_SEVERITY, default=DEFAULT_MIN_SEVERITY): SelectSelector(
                SelectSelectorConfig(
                    options=[severity.value for severity in Severity],
                    translation_key=CONF_MIN_SEVERITY,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(CONF_ANNOUNCE_AT_ONCE, default=DEFAULT_ANNOUNCE_AT_ONCE): SelectSelector(
                SelectSelectorConfig(
                    options=list(ANNOUNCE_LEVELS),
                    translation_key=CONF_ANNOUNCE_AT_ONCE,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(CONF_POLL_INTERVAL, default=DEFAULT_POLL_INTERVAL): _number(
                MIN_POLL_INTERVAL, MAX_POLL_INTERVAL, "s"
            ),
            vol.Required(SECTION_DELIVERY): section(
                vol.Schema(
                    {
                        vol.Required(CONF_PERSISTENT_NOTIFICATION, default=True): BooleanSelector(),
                        vol.Optional(CONF_NOTIFY_SERVICES, default=[]): _services(notify_services),
                        vol.Optional(CONF_HTML_NOTIFY_SERVICES, default=[]): _services(
                            notify_services
                        ),
                        vol.Required(CONF_REPORT_FILES, default=False): BooleanSelector(),
                        vol.Required(CONF_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS): _number(
                            1, MAX_RETENTION_DAYS, "d"
                        ),
                    }
                )
            ),
            vol.Required(SECTION_THRESHOLDS): section(vol.Schema(thresholds), {"collapsed": True}),
        }
    )


def suggested_options(options: Mapping[str, Any], notify_services: list[str]) -> dict[str, Any]:
    """Nest the stored options the way the form shows them; drop vanished notify actions."""
    delivery = {key: options[key] for key in _DELIVERY if key in options}
    for key in (CONF_NOTIFY_SERVICES, CONF_HTML_NOTIFY_SERVICES):
        if key in delivery:
            delivery[key] = [name for name in delivery[key] if name in notify_services]
    return {
        **{key: options[key] for key in _TOP_LEVEL if key in options},
        SECTION_DELIVERY: delivery,
        SECTION_THRESHOLDS: {key: options[key] for key, _ in THRESHOLD_DEFAULTS if key in options},
    }


def flatten_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the submitted form into flat options, numbers as integers."""
    flat = {
        **{key: value for key, value in user_input.items() if key not in _SECTIONS},
        **user_input.get(SECTION_DELIVERY, {}),
        **user_input.get(SECTION_THRESHOLDS, {}),
    }
    return {key: int(value) if key in _INTEGERS else value for key, value in flat.items()}


_SECTIONS = frozenset({SECTION_DELIVERY, SECTION_THRESHOLDS})


def threshold_errors(options: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Check that every warning threshold is below its critical one."""
    for kind in ("temperature", "cpu", "memory"):
        if options[f"{kind}_warning"] >= options[f"{kind}_critical"]:
            errors["base"] = "threshold_order"
    return errors


def rules_schema(catalogue: RuleCatalogue) -> vol.Schema:
    """Build the rules form: rules to turn off, and each category's notify level."""
    levels = [USE_GLOBAL_SEVERITY, *(severity.value for severity in Severity)]
    fields: dict[vol.Marker, Any] = {
        vol.Optional(CONF_DISABLED_RULES, default=[]): SelectSelector(
            SelectSelectorConfig(
                options=[rule.id for rule in catalogue.ordered()],
                multiple=True,
                translation_key="rule_id",
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    }
    for category in Category:
        key = vol.Required(f"{CATEGORY_FIELD_PREFIX}{category.value}", default=USE_GLOBAL_SEVERITY)
        fields[key] = SelectSelector(
            SelectSelectorConfig(
                options=levels,
                translation_key=CONF_CATEGORY_MIN_SEVERITY,
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    return vol.Schema(fields)


def suggested_rules(options: Mapping[str, Any]) -> dict[str, Any]:
    """Show the stored rule options the way the rules form asks for them."""
    levels = options.get(CONF_CATEGORY_MIN_SEVERITY, {})
    return {
        CONF_DISABLED_RULES: list(options.get(CONF_DISABLED_RULES, [])),
        **{
            f"{CATEGORY_FIELD_PREFIX}{category.value}": levels.get(
                category.value, USE_GLOBAL_SEVERITY
            )
            for category in Category
        },
    }


def rules_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the submitted rules form into options; "as the global setting" is left out."""
    levels = {
        category.value: level
        for category in Category
        if (level := user_input.get(f"{CATEGORY_FIELD_PREFIX}{category.value}"))
        not in (None, USE_GLOBAL_SEVERITY)
    }
    return {
        CONF_DISABLED_RULES: sorted(user_input.get(CONF_DISABLED_RULES, [])),
        CONF_CATEGORY_MIN_SEVERITY: levels,
    }
