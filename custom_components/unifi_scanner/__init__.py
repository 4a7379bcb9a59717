"""UniFi Scanner: turn a UniFi gateway's logs into plain-English findings inside Home Assistant.

Setup only logs in and probes what the gateway supports; the first scan starts in the background
right after, so Home Assistant's start is never held up by a slow gateway. Options apply without
a reload: every scan reads them, and an update listener moves the schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import CookieJar
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    Platform,
)
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .checkpoint import CheckpointStore
from .const import CONF_AUTH_METHOD, CONF_SITE, DOMAIN, LOGGER
from .coordinator import UnifiScannerCoordinator, as_ha_error, login_cool_down
from .data import UnifiScannerConfigEntry, UnifiScannerRuntimeData
from .delivery import delivery_issue_id
from .live import LiveAlerts
from .phone_actions import async_setup_phone_actions
from .scanner.auth import ApiKey, AuthMethod, Credentials, LocalAccount
from .scanner.catalogue import RuleCatalogue, load_catalogue
from .scanner.client import UnifiClient
from .scanner.exceptions import ScannerError, ScannerRateLimitError
from .services import async_setup_services

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.TODO,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
CATALOGUE_KEY: HassKey[RuleCatalogue] = HassKey(DOMAIN)
# Per entry: no login before this time. Setup retries build a new client each time, so the
# cool-down after the gateway's login limit has to outlive the client.
LOGIN_BLOCKED_KEY: HassKey[dict[str, datetime]] = HassKey(f"{DOMAIN}_login_blocked")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Load the rule catalogue once (in the executor), register the actions, hear phone buttons."""
    hass.data[CATALOGUE_KEY] = await hass.async_add_executor_job(load_catalogue)
    async_setup_services(hass)
    async_setup_phone_actions(hass)
    return True


def entry_method(data: Mapping[str, object]) -> AuthMethod:
    """Return the auth method of stored entry data (entries from before 1.2 have none)."""
    return AuthMethod(str(data.get(CONF_AUTH_METHOD, AuthMethod.LOCAL_ACCOUNT)))


def entry_credentials(data: Mapping[str, object]) -> Credentials:
    """Read the entry's credentials; ``ValueError`` for a key no header can carry."""
    if entry_method(data) is AuthMethod.API_KEY:
        return ApiKey(str(data[CONF_API_KEY]))
    return LocalAccount(str(data[CONF_USERNAME]), str(data[CONF_PASSWORD]))


def build_client(
    hass: HomeAssistant, data: Mapping[str, object], *, auto_cleanup: bool = True
) -> UnifiClient:
    """Build a gateway client on a private session (unsafe cookie jar: hosts are IPs).

    Home Assistant detaches the session when the entry being set up unloads. A caller outside
    setup passes ``auto_cleanup=False`` and detaches it itself: closing it would close the
    connection pool that Home Assistant shares between sessions.
    """
    verify_ssl = bool(data.get(CONF_VERIFY_SSL, False))
    port = data.get(CONF_PORT)
    return UnifiClient(
        session=async_create_clientsession(
            hass,
            verify_ssl=verify_ssl,
            auto_cleanup=auto_cleanup,
            cookie_jar=CookieJar(unsafe=True),
        ),
        host=str(data[CONF_HOST]),
        credentials=entry_credentials(data),
        port=int(port) if isinstance(port, int | float | str) and port else None,
        site=str(data.get(CONF_SITE, "default")),
        verify_ssl=verify_ssl,
    )


async def async_setup_entry(hass: HomeAssistant, entry: UnifiScannerConfigEntry) -> bool:
    """Log in, probe, load the checkpoint, add the entities and start the first scan."""
    blocked = hass.data.setdefault(LOGIN_BLOCKED_KEY, {})
    if (until := blocked.get(entry.entry_id)) is not None and dt_util.utcnow() < until:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="rate_limited")
    client = build_client(hass, dict(entry.data))
    try:
        await client.login()
        capabilities = await client.probe()
        gateway = await client.gateway_info()
    except ScannerRateLimitError as err:
        blocked[entry.entry_id] = dt_util.utcnow() + login_cool_down(err)
        raise as_ha_error(err, ConfigEntryNotReady) from err
    except ScannerError as err:
        raise as_ha_error(err, ConfigEntryNotReady) from err
    blocked.pop(entry.entry_id, None)

    store = CheckpointStore(hass, entry.entry_id, entry.title)
    await store.async_load()
    coordinator = UnifiScannerCoordinator(
        hass,
        entry,
        client=client,
        store=store,
        gateway=gateway,
        catalogue=hass.data[CATALOGUE_KEY],
    )
    live = LiveAlerts(coordinator, capabilities)
    entry.runtime_data = UnifiScannerRuntimeData(
        client=client,
        coordinator=coordinator,
        capabilities=capabilities,
        gateway=gateway,
        live=live,
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    entry.async_create_background_task(
        hass, coordinator.async_refresh(), name=f"{DOMAIN} first scan {entry.title}"
    )
    live.start(entry)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: UnifiScannerConfigEntry) -> bool:
    """Bring older entries up to date; a newer entry than this code knows is refused."""
    if entry.version > 1:
        return False
    if entry.minor_version < 2:  # 1.1 predates API keys: every entry used a local account
        hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_AUTH_METHOD: AuthMethod.LOCAL_ACCOUNT.value},
            minor_version=2,
        )
        LOGGER.debug("Migrated %s to version 1.2", entry.title)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: UnifiScannerConfigEntry) -> None:  # noqa: ARG001
    """Apply a new scan and poll interval; everything else is read when next needed."""
    entry.runtime_data.coordinator.apply_options()
    entry.runtime_data.live.apply_options(entry.runtime_data.coordinator.options)


async def async_unload_entry(hass: HomeAssistant, entry: UnifiScannerConfigEntry) -> bool:
    """Unload the platforms; timers, listeners and the background scan stop with the entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: UnifiScannerConfigEntry) -> None:
    """Delete the stored checkpoint and the entry's repair issues."""
    await CheckpointStore(hass, entry.entry_id, entry.title).async_remove()
    hass.data.get(LOGIN_BLOCKED_KEY, {}).pop(entry.entry_id, None)
    ir.async_delete_issue(hass, DOMAIN, delivery_issue_id(entry.entry_id))
