"""The one-shot CLI end to end against the simulator, over real HTTPS on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from custom_components.unifi_scanner.scanner.__main__ import (
    EXIT_AUTH,
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_OK,
    run,
)
from tests.scripts import run_script
from tests.simulator import GatewaySimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = Path(__file__).parents[2]


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    simulator = GatewaySimulator(scenario="home")
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def password_file(tmp_path: Path, sim: GatewaySimulator) -> Path:
    path = tmp_path / "password"
    path.write_text(sim.password + "\n", encoding="utf-8")
    return path


def args(sim: GatewaySimulator, password_file: Path, *extra: str) -> list[str]:
    return [
        "--host",
        sim.host,
        "--port",
        str(sim.port),
        "--username",
        sim.username,
        "--password-file",
        str(password_file),
        *extra,
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_demo_prints_a_text_report() -> None:
    result = run_script("scan", "--demo", timeout=60)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("UniFi Scanner report\n")
    assert "SEVERE FINDINGS" in result.stdout
    assert "THREATS (IPS)" in result.stdout
    assert "DEVICE HEALTH" in result.stdout
    assert "\nUniFi Scanner 0." in result.stdout


async def test_json_output_parses(
    sim: GatewaySimulator, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(args(sim, password_file, "--format", "json")) == EXIT_OK
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["site"] == "default"
    assert report["findings"]
    assert report["threats"]["total"] > 0
    assert report["entry_count"] > 0
    assert report["title"].startswith("UniFi Scanner: ")
    assert sim.password not in out + err


async def test_since_sets_the_report_period(
    sim: GatewaySimulator, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    since = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    code = await run(args(sim, password_file, "--format", "json", "--since", since.isoformat()))
    assert code == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(report["period_start"]) == since
    # Two hours hold fewer entries than the default day.
    assert await run(args(sim, password_file, "--format", "json")) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["entry_count"] > report["entry_count"]


@pytest.mark.parametrize(
    ("output_format", "marker"),
    [
        ("markdown", "## UniFi Scanner: "),
        ("html", "<!DOCTYPE html>"),
        ("text", "UniFi Scanner report"),
    ],
)
async def test_every_format_is_printed(
    sim: GatewaySimulator,
    password_file: Path,
    capsys: pytest.CaptureFixture[str],
    output_format: str,
    marker: str,
) -> None:
    assert await run(args(sim, password_file, "--format", output_format)) == EXIT_OK
    assert capsys.readouterr().out.startswith(marker)


async def test_wrong_password_exits_3_without_echoing_it(
    sim: GatewaySimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("Tr0ub4dor&3-wrong", encoding="utf-8")
    assert await run(args(sim, wrong)) == EXIT_AUTH
    out, err = capsys.readouterr()
    assert out == ""
    assert "Authentication failed" in err
    assert "Tr0ub4dor&3-wrong" not in err
    assert sim.password not in err


@pytest.mark.parametrize("source", ["file", "environment"])
async def test_api_key_scan_never_logs_in(
    sim: GatewaySimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    assert sim.api_key is not None
    argv = ["--host", sim.host, "--port", str(sim.port), "--format", "json"]
    if source == "file":
        key_file = tmp_path / "key"
        key_file.write_text(f"{sim.api_key}\n", encoding="utf-8")
        argv += ["--api-key-file", str(key_file)]
    else:
        monkeypatch.setenv("UNIFI_SCANNER_API_KEY", sim.api_key)
    assert await run(argv) == EXIT_OK
    out, err = capsys.readouterr()
    assert json.loads(out)["findings"]
    assert sim.api_key not in out + err
    assert sim.login_attempts == 0


async def test_wrong_api_key_exits_3_without_echoing_it(
    sim: GatewaySimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("a-key-from-another-console", encoding="utf-8")
    argv = ["--host", sim.host, "--port", str(sim.port), "--api-key-file", str(key_file)]
    assert await run(argv) == EXIT_AUTH
    err = capsys.readouterr().err
    assert "rejected the API key" in err
    assert "a-key-from-another-console" not in err


async def test_mfa_account_exits_3_with_advice(
    sim: GatewaySimulator, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.mfa_required = True
    assert await run(args(sim, password_file)) == EXIT_AUTH
    assert "multi-factor" in capsys.readouterr().err


async def test_login_rate_limit_exits_3(
    password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    limited = GatewaySimulator(login_limit=0)
    await limited.start()
    try:
        code = await run(args(limited, password_file))
    finally:
        await limited.stop()
    assert code == EXIT_AUTH
    assert "login limit" in capsys.readouterr().err


async def test_unreachable_gateway_exits_2(
    password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run(
        [
            *("--host", "127.0.0.1", "--port", str(free_port())),
            *("--username", "admin", "--password-file", str(password_file)),
        ]
    )
    assert code == EXIT_CONNECTION
    assert "Cannot reach the gateway" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--username", "admin"],
        ["--host", "127.0.0.1"],
        ["--host", "127.0.0.1", "--username", "admin", "--password-file", "/nonexistent/pw"],
        ["--host", "127.0.0.1", "--username", "admin", "--api-key-file", "/nonexistent/key"],
        ["--host", "127.0.0.1", "--api-key-file", "/nonexistent/key"],
        ["--demo", "--since", "2025-01-01T00:00:00"],
        ["--demo", "--since", "yesterday"],
        ["--demo", "--lookback-hours", "0"],
        ["--format", "pdf"],
    ],
)
async def test_usage_errors_exit_1(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert await run(argv) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("usage: scan")
    assert "error: " in err


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"UNIFI_SCANNER_API_KEY": "two words"}, "visible ASCII"),
        ({}, "password is missing"),
    ],
)
async def test_secrets_from_the_environment_are_checked(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    message: str,
) -> None:
    monkeypatch.delenv("UNIFI_SCANNER_PASSWORD", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    argv = ["--host", "127.0.0.1"] if variables else ["--host", "127.0.0.1", "--username", "a"]
    assert await run(argv) == EXIT_ERROR
    assert message in capsys.readouterr().err


async def test_empty_password_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    argv = ["--host", "127.0.0.1", "--username", "a", "--password-file", str(empty)]
    assert await run(argv) == EXIT_ERROR
    assert "password file is empty" in capsys.readouterr().err


def test_module_help_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "custom_components.unifi_scanner.scanner", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert "--password-file" in result.stdout
