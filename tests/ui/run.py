"""Run the browser walk: `python -m tests.ui.run [--screenshots DIR] [--keep]`.

Prints one PASS or FAIL line per step and exits 0 only when every step passed. Home Assistant,
the gateways and the browser are stopped on every way out: normal end, failure, Ctrl-C, SIGTERM
and the overall time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

from playwright.sync_api import (  # type: ignore[import-not-found,unused-ignore]
    Error as PlaywrightError,
)
from playwright.sync_api import (  # type: ignore[import-not-found,unused-ignore]
    sync_playwright,
)

from .flows import STEPS, WAIT_MS, ServiceCalls, StepError, Walk
from .harness import (
    ROOT,
    BackgroundLoop,
    Gateways,
    HarnessError,
    HomeAssistantProcess,
    remove_tree,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from playwright.sync_api import (  # type: ignore[import-not-found,unused-ignore]
        BrowserContext,
        Dialog,
        Playwright,
    )

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIME_LIMIT_S: Final = 300
HA_START_S: Final = 120


class WalkInterruptedError(Exception):
    """A signal or the time limit ended the walk early."""


STOPPED: Final[list[str]] = []
"""Why the walk was stopped. A signal that lands while Playwright dispatches an event has its
exception swallowed there, so the walk also checks this between steps and at the end."""
ABANDON: Final[list[Callable[[], None]]] = []
"""What a second signal runs before exiting at once, without waiting for the walk to end."""


def _interrupt(signum: int, _frame: object) -> NoReturn:
    reason = "the time limit" if signum == signal.SIGALRM else signal.Signals(signum).name
    if STOPPED:
        for abandon in ABANDON:
            abandon()
        os._exit(1)
    STOPPED.append(reason)
    msg = f"stopped by {reason}"
    raise WalkInterruptedError(msg)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def _browser(playwright: Playwright, chromium: Path, profile: Path) -> Iterator[BrowserContext]:
    """Debian's Chromium with a fresh profile; a browser that does not start is an error."""
    if not chromium.exists():
        msg = f"{chromium} is missing (apt-get install chromium)"
        raise HarnessError(msg)
    try:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(chromium),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            timezone_id="UTC",
        )
    except PlaywrightError as err:
        msg = f"Chromium ({chromium}) did not start: {err}"
        raise HarnessError(msg) from err
    try:
        yield context
    finally:
        with contextlib.suppress(PlaywrightError):
            context.close()


def _walk(walk: Walk, failures: Path, passed: set[int]) -> None:
    """Run every step in order, print one line each and note the number of each that passed."""
    for step in STEPS:
        if STOPPED:
            msg = f"stopped by {STOPPED[0]}"
            raise WalkInterruptedError(msg)
        label = f"{step.number}. {step.name}"
        missing = [need for need in step.needs if need not in passed]
        if missing:
            _say(f"FAIL {label}: not run, it needs step {', '.join(map(str, missing))}")
            continue
        started = time.monotonic()
        try:
            detail = step.run(walk)
        except WalkInterruptedError:
            raise
        except Exception as err:  # noqa: BLE001 - a broken step must not hide the others
            shot = failures / f"failed-step-{step.number}.png"
            with contextlib.suppress(PlaywrightError):
                walk.page.screenshot(path=str(shot))
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            _say(f"FAIL {label}: {first} (screenshot {shot})")
            if not isinstance(err, StepError):
                traceback.print_exc(limit=3, file=sys.stdout)
            continue
        passed.add(step.number)
        _say(f"PASS {label} ({time.monotonic() - started:.1f} s): {detail}")


def run(screenshots: Path, venv: Path, chromium: Path, passed: set[int], *, keep: bool) -> None:
    """Start everything, walk, stop everything; note the number of each step that passed."""
    workdir = Path(tempfile.mkdtemp(prefix="unifi-scanner-ui-"))
    loop = BackgroundLoop()
    gateways = Gateways(loop)
    ha = HomeAssistantProcess(workdir, venv, loop)
    ABANDON.append(ha.kill)
    ready = False
    try:
        local_gateway = gateways.start("multisite", hostile=True)
        keyed_gateway = gateways.start("home")
        _say(f"gateways: {local_gateway.url} (multisite, hostile), {keyed_gateway.url} (home)")
        started = time.monotonic()
        ha.start()
        ha.wait_for_onboarding(HA_START_S)
        tokens = ha.onboard()
        ha.wait_until_running(tokens.access_token, HA_START_S)
        removed = ha.remove_onboarding_entries(tokens.access_token, 30)
        ready = True
        _say(
            f"Home Assistant {ha.url} onboarded in {time.monotonic() - started:.1f} s"
            + (f" (removed onboarding's {', '.join(removed)})" if removed else "")
        )
        with (
            sync_playwright() as playwright,
            _browser(playwright, chromium, workdir / "profile") as context,
        ):
            context.set_default_timeout(WAIT_MS)
            # Only Home Assistant itself: brand icons and the like would wait on DNS.
            context.route(lambda url: not url.startswith(ha.url), lambda route: route.abort())
            context.add_init_script(
                f"localStorage.setItem('hassTokens', {tokens.local_storage()!r});"
            )
            page = context.new_page()
            calls = ServiceCalls()
            dialogs: list[str] = []
            page.on("websocket", calls.attach)

            def refuse(dialog: Dialog) -> None:
                """Record and dismiss alert()/confirm(): gateway text must never open one."""
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", refuse)
            walk = Walk(
                page=page,
                ha=ha,
                tokens=tokens,
                local_gateway=local_gateway,
                keyed_gateway=keyed_gateway,
                screenshots=screenshots,
                calls=calls,
                dialogs=dialogs,
            )
            _walk(walk, workdir, passed)
    except HarnessError as err:
        _say(f"FAIL setup: {err}")
        if not ready and (tail := ha.log_tail()):
            _say(f"--- end of Home Assistant's output ({ha.log_path}):\n{tail}")
    finally:
        ha.stop()
        gateways.close()
        loop.close()
        if len(passed) == len(STEPS) and not STOPPED and not keep:
            remove_tree(workdir)
        else:
            _say(f"kept {workdir} (Home Assistant's config and output, failure screenshots)")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, arm the signal handlers and the time limit, and walk."""
    parser = argparse.ArgumentParser(prog="python -m tests.ui.run", description=__doc__)
    parser.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    parser.add_argument("--time-limit", type=int, default=TIME_LIMIT_S, help="seconds")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(signum, _interrupt)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    passed: set[int] = set()
    try:
        run(
            args.screenshots.resolve(),
            args.venv.resolve(),
            args.chromium,
            passed,
            keep=args.keep,
        )
    except WalkInterruptedError:
        pass  # reported below: the exception is not always seen
    finally:
        signal.alarm(0)
    if STOPPED:
        _say(f"FAIL walk: stopped by {STOPPED[0]}")
    ok = len(passed) == len(STEPS) and not STOPPED
    _say(f"{'PASS' if ok else 'FAIL'}: browser walk in {time.monotonic() - started:.0f} s")
    # The closing line CI reads as a test count.
    _say(f"ui: {len(passed)} passed, {len(STEPS) - len(passed)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
