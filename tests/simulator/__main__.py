"""Run a simulated gateway until Ctrl-C: `python -m tests.simulator [--mode M] ...`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from .faults import Mode
from .scenario import scenario_names
from .server import GatewaySimulator


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description=__doc__)
    parser.add_argument("--mode", choices=[m.value for m in Mode], default="unifi_os")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--scenario", choices=scenario_names(), default="home")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--http", action="store_true", help="serve plain HTTP (test-only switch)")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    simulator = GatewaySimulator(
        mode=Mode(args.mode),
        scenario=args.scenario,
        seed=args.seed,
        port=args.port,
        tls=not args.http,
    )
    await simulator.start()
    try:
        sys.stdout.write(
            f"UniFi gateway simulator ({args.mode}, scenario {args.scenario})\n"
            f"  URL:      {simulator.url}\n"
            f"  username: {simulator.username}\n"
            f"  password: {simulator.password}\n"
            f"  API key:  {simulator.api_key}\n"
            "Press Ctrl-C to stop.\n"
        )
        sys.stdout.flush()
        await asyncio.Event().wait()
    finally:
        await simulator.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_arguments(argv)))


if __name__ == "__main__":
    main()
