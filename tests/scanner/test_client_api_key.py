"""The client with an API key, against the simulator over loopback HTTPS: no login, ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.unifi_scanner.scanner.auth import ApiKey, AuthMethod, LocalAccount
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.exceptions import (
    ScannerApiKeyUnsupportedError,
    ScannerAuthenticationError,
    ScannerRateLimitError,
)
from custom_components.unifi_scanner.scanner.models import Source
from tests.simulator import GatewaySimulator, Mode

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Open a caller-owned session, as Home Assistant would hand it over."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    yield http
    await http.close()


@pytest.fixture(params=[Mode.UNIFI_OS, Mode.NETWORK10, Mode.CLASSIC], ids=str)
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[GatewaySimulator]:
    """Run a simulator in the parametrised mode (tests narrow the modes with ``indirect``)."""
    simulator = GatewaySimulator(mode=request.param)
    await simulator.start()
    yield simulator
    await simulator.stop()


def key_client(sim: GatewaySimulator, session: aiohttp.ClientSession, key: str) -> UnifiClient:
    return UnifiClient(session=session, host=sim.host, port=sim.port, credentials=ApiKey(key))


def _key(sim: GatewaySimulator) -> str:
    assert sim.api_key is not None
    return sim.api_key


@pytest.mark.parametrize("sim", [Mode.UNIFI_OS, Mode.NETWORK10], indirect=True, ids=str)
async def test_a_key_reads_everything_without_logging_in(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = key_client(sim, session, _key(sim))
    assert client.auth_method is AuthMethod.API_KEY
    await client.login()
    assert sim.requests.total() == 1  # only the flavour probe (GET /)
    sites = await client.sites()
    assert [site.name for site in sites] == ["default"]
    info = await client.gateway_info()
    assert info.anonymous_id
    fetched = await client.fetch_since(datetime.now(UTC) - timedelta(hours=24))
    assert fetched.entries
    assert fetched.devices
    assert fetched.capabilities.system_log is True
    assert (Source.EVENT in fetched.unsupported) is (sim.mode is Mode.NETWORK10)
    await client.close()  # nothing to log out of
    assert sim.login_attempts == 0
    assert sim.requests["/api/auth/login"] == 0
    assert sim.requests["/api/auth/logout"] == 0
    assert sim.api_key_requests == sim.requests.total() - 1
    assert not list(session.cookie_jar)  # no session was ever opened


@pytest.mark.parametrize("sim", [Mode.UNIFI_OS], indirect=True, ids=str)
async def test_a_rejected_key_fails_at_once_without_a_retry(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = key_client(sim, session, "a-key-the-console-never-made")
    with pytest.raises(ScannerAuthenticationError) as caught:
        await client.gateway_info()
    assert not isinstance(caught.value, ScannerApiKeyUnsupportedError)
    assert "API key" in str(caught.value)
    assert "a-key-the-console-never-made" not in str(caught.value)
    assert sim.requests.total() == 2  # the probe of GET /, then the one refused request
    assert sim.login_attempts == 0

    sim.api_key = None  # a deleted key: the same answer, the same error
    with pytest.raises(ScannerAuthenticationError):
        await key_client(sim, session, "another-one").sites()
    assert sim.login_attempts == 0


@pytest.mark.parametrize("sim", [Mode.UNIFI_OS], indirect=True, ids=str)
async def test_a_key_revoked_mid_session_is_not_followed_by_a_login(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = key_client(sim, session, _key(sim))
    await client.gateway_info()
    sim.api_key = "rotated-on-the-console"
    before = sim.requests.total()
    with pytest.raises(ScannerAuthenticationError):
        await client.devices()
    assert sim.requests.total() == before + 1
    assert sim.login_attempts == 0


@pytest.mark.parametrize("sim", [Mode.CLASSIC], indirect=True, ids=str)
async def test_a_self_hosted_application_takes_no_key(
    sim: GatewaySimulator, session: aiohttp.ClientSession
) -> None:
    client = key_client(sim, session, _key(sim))
    with pytest.raises(ScannerApiKeyUnsupportedError) as caught:
        await client.login()
    assert "local account" in str(caught.value)
    with pytest.raises(ScannerApiKeyUnsupportedError):
        await client.sites()  # every later call says the same, still without sending the key
    assert sim.api_key_requests == 0
    assert sim.login_attempts == 0
    assert set(sim.requests) == {"/"}


async def test_a_request_limit_is_honoured_with_its_retry_after(
    session: aiohttp.ClientSession, unused_tcp_port: int
) -> None:
    """A key has no login limit, but a console may still answer 429 with ``Retry-After``."""
    seen: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.path == "/":
            return web.Response(text="<html>UniFi OS</html>", content_type="text/html")
        return web.json_response(
            {"message": "slow down"}, status=429, headers={"Retry-After": "42"}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    try:
        client = UnifiClient(
            session=session,
            host="127.0.0.1",
            port=unused_tcp_port,
            scheme="http",
            credentials=ApiKey("k-0123456789"),
        )
        with pytest.raises(ScannerRateLimitError) as caught:
            await client.sites()
    finally:
        await runner.cleanup()
    assert caught.value.retry_after == 42.0
    assert "login" not in str(caught.value)
    assert len(seen) == 2  # no retry
    assert seen[1]["X-API-KEY"] == "k-0123456789"
    assert "X-CSRF-Token" not in seen[1]
    assert "Cookie" not in seen[1]


@pytest.mark.parametrize(
    "key", ["", "two words", "line\nbreak", "tab\there", "caf\u00e9", "trailing "]
)
def test_a_key_no_header_can_carry_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="API key"):
        ApiKey(key)


def test_secrets_stay_out_of_reprs(session: aiohttp.ClientSession) -> None:
    key = "Zk3-very-secret-key-0123456789"
    password = "very-secret-password"  # noqa: S105 - the secret under test
    for credentials in (ApiKey(key), LocalAccount("admin", password)):
        client = UnifiClient(session=session, host="192.0.2.1", credentials=credentials)
        text = repr(client) + repr(credentials) + repr(vars(client).get("_auth"))
        assert key not in text
        assert password not in text


def _headers_of(client: UnifiClient) -> dict[str, Any]:
    return client._auth.headers()


def test_each_method_sends_only_its_own_headers(session: aiohttp.ClientSession) -> None:
    key = key_client(GatewaySimulator(), session, "k-0123456789")
    account = UnifiClient(session=session, host="gw", credentials=LocalAccount("u", "p"))
    assert _headers_of(key) == {"X-API-KEY": "k-0123456789"}
    assert _headers_of(account) == {}  # no CSRF token before the login
    assert account.auth_method is AuthMethod.LOCAL_ACCOUNT
