"""Quick runs of ``scripts/bench --ha`` and ``--live``: the real integration, small sizes."""

from __future__ import annotations

import os
import re

import pytest

from tests.ha.backlog.gateway import child_process
from tests.scripts import run_script

_SAY_CPUS = (
    "import json, os, sys; print(json.dumps({'cpus': sorted(os.sched_getaffinity(0))})); "
    "sys.stdin.read()"
)


def test_bench_ha_prints_each_figure_next_to_its_target() -> None:
    result = run_script("bench", "--ha", "--backlog", "3000", "--runs", "1", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "UniFi Scanner backlog through Home Assistant 20" in out
    assert "3,000 events, 1 run\n" in out
    for figure, target in (
        ("longest loop block (worst)", "<=     20 ms"),
        ("scan time (median)", "<=      2 s"),
        ("added peak memory (worst)", "<=     64 MiB"),
        ("next scan: requests/source", "<=      3"),
    ):
        (row,) = (line for line in out.splitlines() if line.startswith(f"| {figure}"))
        assert target in row
        assert row.rstrip().endswith(("| PASS   |", "| MISS   |"))
    (spread,) = (line for line in out.splitlines() if line.startswith("longest block of each"))
    assert re.fullmatch(
        r"longest block of each run: \d+\.\d ms; \d+ of [\d,]+ looks at the loop came "
        r"more than 20 ms late \(\d+\.\d\d%\)",
        spread,
    )


def test_bench_ha_rejects_bad_arguments() -> None:
    result = run_script("bench", "--ha", "--backlog", "lots", timeout=60)
    assert result.returncode == 2
    assert "--backlog" in result.stderr


def test_bench_live_prints_each_figure_next_to_its_target() -> None:
    # One restart: each waits out the real reconnect backoff (15 s and more).
    result = run_script("bench", "--live", "--pushes", "20", "--restarts", "1", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "UniFi Scanner live alerts through Home Assistant 20" in out
    assert ": 20 pushes, 1 restart\n" in out
    for figure, target in (
        ("push to event (p50)", "<=    100 ms"),
        ("push to event (p99)", "<=    500 ms"),
        ("longest loop block (worst)", "<=     50 ms"),
        ("restart to alert (median)", "<=     16 s"),
        ("restart to alert (worst)", "<=     16 s"),
    ):
        (row,) = (line for line in out.splitlines() if line.startswith(f"| {figure}"))
        assert target in row
        assert row.rstrip().endswith(("| PASS   |", "| MISS   |"))


def test_bench_live_rejects_bad_arguments() -> None:
    result = run_script("bench", "--live", "--pushes", "0", timeout=60)
    assert result.returncode == 2
    assert "--pushes" in result.stderr


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs a CPU to pin to and one to spare")
def test_a_gateway_runs_on_the_cpus_home_assistant_is_not_pinned_to() -> None:
    """As with ``--one-core``: the gateway stands for hardware of its own, not for a share of it."""
    everyone = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {0})
        with child_process(["-c", _SAY_CPUS], niceness=0) as (_process, said):
            apart = said["cpus"]
    finally:
        os.sched_setaffinity(0, everyone)
    assert apart == sorted(set(range(os.cpu_count() or 1)) - {0})
    with child_process(["-c", _SAY_CPUS], niceness=0) as (_process, said):
        assert said["cpus"] == sorted(everyone)  # not pinned: shared, as in the tests
