"""One-shot scan from the command line: ``python -m custom_components.unifi_scanner.scanner``.

Signs in (a local account or an API key), fetches everything since ``--since`` (or the
look-back), analyses it and prints one report to stdout. Exit codes: 0 success, 1 usage or other
error, 2 gateway unreachable, 3 authentication refused (wrong credentials or key, MFA required,
login rate limit). The password or key is read from a file (or ``UNIFI_SCANNER_PASSWORD``,
``UNIFI_SCANNER_API_KEY``) and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import aiohttp

from .auth import ApiKey, Credentials, LocalAccount
from .exceptions import (
    ScannerAuthenticationError,
    ScannerConnectionError,
    ScannerError,
    ScannerMfaRequiredError,
    ScannerRateLimitError,
    ScannerUnsupportedError,
)
from .render import render_html, render_markdown, render_text, report_to_dict
from .report import Report, build_report
from .sanitize import clean

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence


EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_CONNECTION: Final = 2
EXIT_AUTH: Final = 3

PASSWORD_ENV: Final = "UNIFI_SCANNER_PASSWORD"  # noqa: S105 - a variable name, not a secret
API_KEY_ENV: Final = "UNIFI_SCANNER_API_KEY"
FORMATS: Final = ("text", "markdown", "html", "json")
MAX_LOOKBACK_HOURS: Final = 720

_LOGGER = logging.getLogger(__name__)


class UsageError(Exception):
    """Bad command line; reported with exit code 1 (argparse's own 2 means "unreachable" here)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where and as whom to sign in."""

    host: str
    credentials: Credentials = field(repr=False)
    port: int | None = None
    site: str = "default"
    verify_ssl: bool = False
    scheme: str = "https"


def build_parser() -> argparse.ArgumentParser:
    """Build the command line; ``--demo`` replaces the connection options."""
    parser = _Parser(
        prog="scan",
        description="Scan a UniFi gateway's logs once and print a report.",
    )
    parser.add_argument("--demo", action="store_true", help="scan the built-in gateway simulator")
    parser.add_argument("--host", help="gateway address (IP or name, optionally host:port)")
    parser.add_argument("--port", type=int, help="HTTPS port (default 443)")
    parser.add_argument("--username", help="local UniFi account")
    parser.add_argument(
        "--password-file",
        type=Path,
        help=f"file whose first line is the password (or set {PASSWORD_ENV})",
    )
    parser.add_argument(
        "--api-key-file",
        type=Path,
        help=f"file whose first line is a UniFi OS API key, instead of an account "
        f"(or set {API_KEY_ENV} and leave out --username)",
    )
    parser.add_argument("--site", default="default", help="site short name (default: default)")
    parser.add_argument("--since", help="ISO-8601 start time with offset, e.g. 2025-01-01T00:00Z")
    parser.add_argument(
        "--lookback-hours",
        type=int,
        default=24,
        help="hours to look back when --since is not given (default 24)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--verify-ssl", action="store_true", help="verify the gateway's TLS certificate"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log progress to stderr")
    return parser


def _parse_since(value: str | None, lookback_hours: int, now: datetime) -> datetime:
    if value is None:
        if not 1 <= lookback_hours <= MAX_LOOKBACK_HOURS:
            msg = f"--lookback-hours must be between 1 and {MAX_LOOKBACK_HOURS}"
            raise UsageError(msg)
        return now - timedelta(hours=lookback_hours)
    try:
        since = datetime.fromisoformat(value)
    except ValueError as err:
        msg = f"--since is not an ISO-8601 time: {clean(value, max_len=60)}"
        raise UsageError(msg) from err
    if since.tzinfo is None:
        msg = "--since needs a time zone offset, e.g. 2025-01-01T00:00:00+00:00"
        raise UsageError(msg)
    if since > now:
        msg = "--since lies in the future"
        raise UsageError(msg)
    return since.astimezone(UTC)


def _read_secret(path: Path | None, env: str, what: str) -> str:
    """Read the first line of ``path`` (``-`` is stdin), or the variable ``env``."""
    if path is None:
        secret = os.environ.get(env)
        if secret is None:
            msg = f"The {what} is missing: give a file with it, or set {env}"
            raise UsageError(msg)
        return secret
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        msg = f"Cannot read the {what} file: {type(err).__name__}"
        raise UsageError(msg) from err
    lines = text.splitlines()
    if not lines or not lines[0]:
        msg = f"The {what} file is empty"
        raise UsageError(msg)
    return lines[0]


def _credentials(args: argparse.Namespace) -> Credentials:
    """Use an account when ``--username`` is given, a key otherwise."""
    if args.username:
        if args.api_key_file is not None:
            msg = "--api-key-file and --username exclude each other"
            raise UsageError(msg)
        return LocalAccount(
            args.username, _read_secret(args.password_file, PASSWORD_ENV, "password")
        )
    if args.api_key_file is None and API_KEY_ENV not in os.environ:
        msg = "--host needs --username or an API key (or use --demo)"
        raise UsageError(msg)
    try:
        return ApiKey(_read_secret(args.api_key_file, API_KEY_ENV, "API key").strip())
    except ValueError as err:
        raise UsageError(str(err)) from err


def _target(args: argparse.Namespace) -> Target:
    if not args.host:
        msg = "--host is required (or use --demo)"
        raise UsageError(msg)
    return Target(
        host=args.host,
        port=args.port,
        credentials=_credentials(args),
        site=args.site,
        verify_ssl=args.verify_ssl,
    )


@contextlib.asynccontextmanager
async def _demo_target() -> AsyncIterator[Target]:
    """Run the test simulator (a source checkout only) for the duration of one scan."""
    try:
        from tests.simulator import GatewaySimulator, Mode  # noqa: PLC0415 - development-only
    except ImportError as err:
        msg = "--demo needs the source checkout (tests/simulator); run it from the repository"
        raise UsageError(msg) from err
    simulator = GatewaySimulator(mode=Mode.UNIFI_OS, scenario="home")
    await simulator.start()
    try:
        yield Target(
            host=simulator.host,
            port=simulator.port,
            credentials=LocalAccount(simulator.username, simulator.password),
            scheme="https" if simulator.tls else "http",
        )
    finally:
        await simulator.stop()


async def scan(target: Target, *, since: datetime, now: datetime) -> Report:
    """Sign in, collect since ``since`` analysing page by page, and build the report."""
    from .catalogue import load_catalogue  # noqa: PLC0415 - keeps --help fast
    from .client import UnifiClient  # noqa: PLC0415
    from .engine import Analyzer  # noqa: PLC0415

    analyzer = Analyzer(catalogue=load_catalogue())
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        client = UnifiClient(
            session=session,
            host=target.host,
            port=target.port,
            credentials=target.credentials,
            site=target.site,
            verify_ssl=target.verify_ssl,
            scheme=target.scheme,
        )
        try:
            await client.login()
            try:
                info = await client.gateway_info()
            except ScannerUnsupportedError:
                gateway = target.host
            else:
                gateway = info.name or info.hostname or target.host
            _LOGGER.info("Fetching and analysing events since %s", since.isoformat())
            collection = client.collect(since, until=now)
            await collection.digest(analyzer.add)
            devices, health = await client.device_state()
        finally:
            await client.close()
    analysis = analyzer.result(devices=devices, health=health, now=now)
    _LOGGER.info("Analysed %d entries", analysis.entry_count)
    return build_report(
        analysis,
        gateway=gateway,
        site=target.site,
        period_start=collection.since,
        period_end=collection.until,
        generated_at=now,
        skipped=collection.skipped,
    )


def render(report: Report, output_format: str) -> str:
    """Render ``report`` in one of ``FORMATS``."""
    if output_format == "json":
        return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return render_markdown(report, max_chars=sys.maxsize)
    if output_format == "html":
        return render_html(report)
    return render_text(report)


def _describe(err: ScannerError) -> tuple[int, str]:
    """Map the scanner's exception tree to an exit code and a message for a person."""
    if isinstance(err, ScannerRateLimitError):
        wait = f" Wait {err.retry_after:g} s before trying again." if err.retry_after else ""
        return EXIT_AUTH, f"The gateway's login limit was reached.{wait}"
    if isinstance(err, ScannerMfaRequiredError):
        return EXIT_AUTH, (
            "This account requires multi-factor authentication. Create a local account "
            "without MFA for the scanner."
        )
    if isinstance(err, ScannerAuthenticationError):
        return EXIT_AUTH, f"Authentication failed (check the credentials): {err}"
    if isinstance(err, ScannerConnectionError):
        return EXIT_CONNECTION, f"Cannot reach the gateway: {err}"
    return EXIT_ERROR, f"Scan failed: {type(err).__name__}: {err}"


def _fail(message: str, secret: str | None) -> None:
    """Print an error to stderr; the password or key is masked even if a message quoted it."""
    text = clean(message, max_len=400)
    if secret:
        text = text.replace(secret, "***")
    sys.stderr.write(f"error: {text}\n")


def _secret(credentials: Credentials) -> str:
    return credentials.key if isinstance(credentials, ApiKey) else credentials.password


async def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI as a coroutine (tests drive it inside their own event loop)."""
    parser = build_parser()
    secret: str | None = None
    try:
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            stream=sys.stderr,
            format="%(levelname)s %(name)s: %(message)s",
        )
        now = datetime.now(UTC)
        since = _parse_since(args.since, args.lookback_hours, now)
        if args.demo:
            async with _demo_target() as target:
                report = await scan(target, since=since, now=now)
        else:
            target = _target(args)
            secret = _secret(target.credentials)
            report = await scan(target, since=since, now=now)
    except UsageError as err:
        sys.stderr.write(parser.format_usage())
        _fail(str(err), secret)
        return EXIT_ERROR
    except ScannerError as err:
        code, message = _describe(err)
        _fail(message, secret)
        return code
    sys.stdout.write(render(report, args.format))
    sys.stdout.flush()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the scan and return the exit code."""
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
