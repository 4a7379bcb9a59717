"""A quick smoke run of ``scripts/bench`` at a small size."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bench_prints_the_stage_table() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "bench"), "--sizes", "200", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("UniFi Scanner pipeline benchmark: Python 3.")
    assert "N = 200 events" in out
    for stage in (
        "orjson parse (floor)",
        "normalise",
        "analyse",
        "render md+html+text",
        "whole pipeline",
    ):
        assert f"| {stage}" in out
    assert "normalise+analyse = " in out
    assert "peak RSS = " in out


def test_bench_rejects_bad_sizes() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "bench"), "--sizes", "many"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--sizes" in result.stderr
