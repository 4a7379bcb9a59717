"""Run the project's scripts the way a developer does, in the venv of this very test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run_script(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/<name>`` with ``args`` on this run's Home Assistant (floor or latest).

    ``timeout`` only keeps a hanging script from hanging the suite; it is far above the
    seconds a run takes.
    """
    return subprocess.run(  # noqa: S603 - our own scripts
        [str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        env=os.environ | {"UNIFI_SCANNER_VENV": sys.prefix},
        timeout=timeout,
        check=False,
    )
