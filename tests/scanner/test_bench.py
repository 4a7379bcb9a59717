"""A quick smoke run of ``scripts/bench`` at a small size."""

from __future__ import annotations

import importlib.util
import platform
import re
import sys
import sysconfig
from pathlib import Path

import pytest

from custom_components.unifi_scanner.scanner import client
from custom_components.unifi_scanner.scanner.models import Source
from tests.interpreter import described
from tests.scripts import run_script

ROOT = Path(__file__).parents[2]


def test_bench_prints_the_stage_table() -> None:
    result = run_script("bench", "--sizes", "200", "--repeat", "1", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.match(
        r"UniFi Scanner pipeline benchmark: Python 3\.\d+\.\d+ built with(out PGO or LTO| PGO\+LTO"
        r"| PGO| LTO), on Linux ",
        out,
    )
    assert "N = 200 events" in out
    for stage in (
        "orjson parse (floor)",
        "normalise",
        "analyse",
        "render md+html+text",
        "whole pipeline",
    ):
        assert f"| {stage}" in out
    assert "x the orjson floor, median of the paired runs (target <= 1.8x): " in out
    assert "(target <= 1.8x): the target is set at 100,000 events" in out  # judged there only
    assert "added peak memory = " in out
    assert "target <= 48 MiB): " in out
    assert "Password spraying: 100,000 failed sign-ins, each from its own address" in out
    assert "Many subjects: 100,000 events, each naming a device" in out
    last = out.rstrip().splitlines()[-1]
    assert re.fullmatch(
        r"  added peak memory = \d+ MiB \(target <= 48 MiB\): (PASS|MISS); "
        r"the three reports: [\d,]+ KiB",
        last,
    )


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        ("'--enable-optimizations' '--with-lto' '--enable-shared'", "built with PGO+LTO"),
        ("'--enable-optimizations'", "built with PGO"),
        ("'--prefix=/root/.pyenv/versions/3.13.0' '--enable-shared'", "built without PGO or LTO"),
        (None, "built without PGO or LTO"),
    ],
)
def test_the_benchmarks_say_how_their_python_was_built(
    monkeypatch: pytest.MonkeyPatch, flags: str | None, said: str
) -> None:
    """PGO and LTO change the pipeline's speed, so a figure without them would mislead."""
    monkeypatch.setattr(sysconfig, "get_config_var", {"CONFIG_ARGS": flags}.get)
    assert described() == f"Python {platform.python_version()} {said}"


def test_bench_rejects_bad_sizes() -> None:
    result = run_script("bench", "--sizes", "many", timeout=60)
    assert result.returncode == 2
    assert "--sizes" in result.stderr


def test_bench_pages_like_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark feeds the pipeline the page sizes the client really asks for."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec.loader.exec_module(bench)
    pages_of = sys.modules["bench_pipeline"]  # what the benchmark feeds, imported by bench.py
    assert pages_of.PAGE_SIZES == {
        Source.SYSTEM_LOG: client.SYSTEM_LOG_PAGE_SIZE,
        Source.EVENT: client.LEGACY_PAGE_SIZE,
        Source.IPS: client.IPS_PAGE_SIZE,
    }
    pages = pages_of.paginate(Source.EVENT, [{"_id": str(n), "time": n} for n in range(7000)])
    assert len(pages) == 3  # 3000 + 3000 + 1000 rows, newest first like the gateway
