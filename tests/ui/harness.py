"""What the browser walk runs against: simulated gateways and a fresh, onboarded Home Assistant.

The gateways live on a background event loop because Playwright's synchronous API owns the main
thread. Home Assistant runs as its own process group from a throw-away configuration folder, so a
run never sees (or leaves behind) another run's entries, users or database.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import yaml  # type: ignore[import-untyped]

from tests.scanner.hostile import HOSTILE
from tests.simulator import GatewaySimulator
from tests.simulator.scenario import SCENARIO_DIR, Scenario, build_scenario

if TYPE_CHECKING:
    from collections.abc import Coroutine

ROOT: Final = Path(__file__).parents[2]

# Gateway text that would turn into a link, an image or script if it reached the page as markup.
# Each one is planted behind the marker "zqui" so the walk can tell that it reached the report.
LINK_BAIT: Final = tuple(
    text
    for text in HOSTILE
    if any(
        part in text
        for part in ("evil.example", "javascript:", "mailto:", "<script", "onerror", "onload")
    )
)
MARKER: Final = "zqui"

CONFIGURATION: Final = """\
# Written by tests/ui/harness.py for one browser walk; deleted afterwards.
homeassistant:
  name: UniFi Scanner UI test
  time_zone: UTC
  country: DE
  unit_system: metric
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  currency: EUR

http:
  server_host: 127.0.0.1
  server_port: {port}

frontend:
config:
api:
history:
logbook:
logger:
  default: warning
  logs:
    custom_components.unifi_scanner: debug
"""


class HarnessError(RuntimeError):
    """Home Assistant or a gateway did not come up as the walk needs it."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BackgroundLoop:
    """An event loop on its own thread, for the gateways and for websocket calls."""

    def __init__(self) -> None:
        """Start the loop thread."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="harness", daemon=True)
        self._thread.start()

    def run[T](self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run `coro` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def close(self) -> None:
        """Stop the loop; safe to call more than once."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


class Gateways:
    """Simulated UniFi gateways served from the background loop."""

    def __init__(self, loop: BackgroundLoop) -> None:
        """Serve nothing yet; gateways are added with `start`."""
        self._loop = loop
        self._running: list[GatewaySimulator] = []

    def start(self, scenario: str, *, hostile: bool = False) -> GatewaySimulator:
        """Serve `scenario` on a free port; with `hostile`, plant link bait in its default site."""

        async def start() -> GatewaySimulator:
            simulator = GatewaySimulator(scenario=_quiet(scenario) if hostile else scenario)
            await simulator.start()
            if hostile:
                _plant_link_bait(simulator)
            return simulator

        simulator = self._loop.run(start())
        self._running.append(simulator)
        return simulator

    def close(self) -> None:
        """Stop every gateway; safe to call more than once."""
        while self._running:
            simulator = self._running.pop()
            with contextlib.suppress(Exception):
                self._loop.run(simulator.stop(), timeout=10)


def _quiet(name: str) -> Scenario:
    """`name` with no background events in its default site, so the report is about the bait.

    A notification holds the first few thousand characters of a report; generated findings
    would push the planted ones out of it.
    """
    raw = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    for site in raw["sites"]:
        if site["name"] == "default":
            site["events"] = 0
    return build_scenario(name, raw)


def _plant_link_bait(simulator: GatewaySimulator) -> None:
    """Put every piece of link bait in gateway fields that the report shows to the user.

    A hostname of a client flapping between access points, a rogue access point's SSID, a failed
    admin login and an IPS signature: the same fields tests/ha/test_hostile.py plants in.
    """
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    for index, text in enumerate(LINK_BAIT):
        bait = f"{MARKER}{index} {text}"
        mac = f"a4:83:e7:00:01:{index:02x}"
        when = at + dt.timedelta(minutes=index)
        for step in range(12):
            simulator.append_event(
                "EVT_WU_Roam", at=when + dt.timedelta(seconds=10 * step), user=mac, hostname=bait
            )
        simulator.append_event("EVT_AP_DetectRogueAP", at=when, essid=bait)
        simulator.append_event("EVT_AD_LoginFailed", at=when, admin=bait)
        simulator.append_ips_alert(
            at=when,
            inner_alert_signature=bait,
            inner_alert_severity=1,
            inner_alert_action="allowed",
        )


@dataclass(frozen=True, slots=True)
class Tokens:
    """The owner's tokens, as the frontend keeps them in localStorage under `hassTokens`."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    hass_url: str
    client_id: str

    def local_storage(self) -> str:
        """Render the JSON the frontend reads at start-up instead of showing its login page."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": self.expires_in,
                "token_type": self.token_type,
                "hassUrl": self.hass_url,
                "clientId": self.client_id,
                "expires": int(time.time() * 1000) + self.expires_in * 1000,
            }
        )


OWNER: Final = {"name": "UI Test", "username": "uitest", "password": "ui-test-password-1"}


class HomeAssistantProcess:
    """`hass --config <fresh folder>` with the integration linked in, on a free port."""

    def __init__(self, workdir: Path, venv: Path, loop: BackgroundLoop) -> None:
        """Prepare nothing yet; `start` writes the configuration and launches."""
        self._loop = loop
        self.config_dir = workdir / "config"
        self.log_path = workdir / "hass.out"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._venv = venv
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the configuration, link custom_components and start Home Assistant."""
        self.config_dir.mkdir(parents=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(port=self.port), encoding="utf-8"
        )
        (self.config_dir / "custom_components").symlink_to(ROOT / "custom_components")
        # Home Assistant must not install anything: scripts/test-ui installs requirements_ui.txt.
        command = [str(self._venv / "bin" / "hass"), "--config", str(self.config_dir), "--skip-pip"]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own venv's hass
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )

    def wait_for_onboarding(self, timeout: float) -> None:
        """Wait until `/api/onboarding` answers, failing early if Home Assistant exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(OSError, HarnessError):
                request("GET", f"{self.url}/api/onboarding")
                return
            time.sleep(0.25)
        msg = f"Home Assistant did not answer /api/onboarding within {timeout:.0f} s"
        raise HarnessError(msg)

    def onboard(self) -> Tokens:
        """Create the owner and finish every onboarding step over REST; return their tokens."""
        client_id = f"{self.url}/"
        created = request(
            "POST",
            f"{self.url}/api/onboarding/users",
            body=OWNER | {"client_id": client_id, "language": "en"},
        )
        granted = request(
            "POST",
            f"{self.url}/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            },
        )
        tokens = Tokens(
            access_token=granted["access_token"],
            refresh_token=granted["refresh_token"],
            expires_in=int(granted["expires_in"]),
            token_type=granted["token_type"],
            hass_url=self.url,
            client_id=client_id,
        )
        bearer = tokens.access_token
        request("POST", f"{self.url}/api/onboarding/core_config", body={}, token=bearer)
        request("POST", f"{self.url}/api/onboarding/analytics", body={}, token=bearer)
        request(
            "POST",
            f"{self.url}/api/onboarding/integration",
            body={"client_id": client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            token=bearer,
        )
        steps = request("GET", f"{self.url}/api/onboarding")
        if not all(step["done"] for step in steps):
            msg = f"onboarding is not finished: {steps}"
            raise HarnessError(msg)
        return tokens

    def remove_onboarding_entries(self, token: str, timeout: float) -> list[str]:
        """Delete the entries onboarding adds (Met, Google Translate, ...); return their domains.

        They need the internet or packages this venv lacks, and would only clutter the pages
        the walk looks at. Their flows run in the background, so wait for those to finish.
        """
        deadline = time.monotonic() + timeout
        while any(
            flow.get("context", {}).get("source") == "onboarding"
            for flow in self.websocket(token, {"type": "config_entries/flow/progress"})
        ):
            if time.monotonic() > deadline:
                msg = f"onboarding's own config flows still run after {timeout:.0f} s"
                raise HarnessError(msg)
            time.sleep(0.25)
        removed = []
        for entry in request("GET", f"{self.url}/api/config/config_entries/entry", token=token):
            if entry["source"] == "onboarding":
                request(
                    "DELETE",
                    f"{self.url}/api/config/config_entries/entry/{entry['entry_id']}",
                    token=token,
                )
                removed.append(entry["domain"])
        return removed

    def wait_until_running(self, token: str, timeout: float) -> None:
        """Wait until Home Assistant reports RUNNING (every integration set up)."""
        deadline = time.monotonic() + timeout
        state = "unknown"
        while time.monotonic() < deadline:
            self._check_alive()
            state = request("GET", f"{self.url}/api/config", token=token).get("state", state)
            if state == "RUNNING":
                return
            time.sleep(0.25)
        msg = f"Home Assistant is still {state} after {timeout:.0f} s"
        raise HarnessError(msg)

    def websocket(self, token: str, command: dict[str, Any]) -> Any:
        """Send one websocket command (from the background loop) and return its result."""
        return self._loop.run(websocket_command(self.url, token, command))

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of Home Assistant's output, for a failure message."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_errors(self) -> list[str]:
        """ERROR lines (and tracebacks' first lines) the integration logged."""
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if " ERROR " in line and "unifi_scanner" in line]

    def stop(self) -> None:
        """Stop the whole process group: politely, then for good after ten seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def kill(self) -> None:
        """Kill the process group at once (a second Ctrl-C: no time to wait)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)

    def _check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            msg = f"Home Assistant exited with {self._process.returncode}:\n{self.log_tail()}"
            raise HarnessError(msg)


def request(
    method: str,
    url: str,
    *,
    body: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 30,
) -> Any:
    """One JSON request to Home Assistant; a non-2xx answer raises HarnessError with its text."""
    headers = {"Accept": "application/json"}
    data: bytes | None = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    prepared = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as answer:  # noqa: S310
            raw = answer.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:500]
        msg = f"{method} {url} answered {err.code}: {detail}"
        raise HarnessError(msg) from err
    return json.loads(raw) if raw else None


async def websocket_command(url: str, token: str, command: dict[str, Any]) -> Any:
    """Send one command over Home Assistant's websocket API and return its result."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{url.replace('http', 'ws', 1)}/api/websocket") as ws,
    ):
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": token})
        if (answer := await ws.receive_json()).get("type") != "auth_ok":
            msg = f"websocket authentication failed: {answer}"
            raise HarnessError(msg)
        await ws.send_json({"id": 1, **command})
        while True:
            message = await ws.receive_json()
            if message.get("id") == 1 and message.get("type") == "result":
                if not message.get("success"):
                    msg = f"{command['type']} failed: {message.get('error')}"
                    raise HarnessError(msg)
                return message.get("result")


def remove_tree(path: Path) -> None:
    """Delete a run's folder (Home Assistant may still be closing files in it)."""
    shutil.rmtree(path, ignore_errors=True)
