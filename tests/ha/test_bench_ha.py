"""A quick run of ``scripts/bench --ha``: the real integration, a small backlog, one run."""

from __future__ import annotations

from tests.scripts import run_script


def test_bench_ha_prints_each_figure_next_to_its_target() -> None:
    result = run_script("bench", "--ha", "--backlog", "3000", "--runs", "1", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "UniFi Scanner backlog through Home Assistant 20" in out
    assert "3,000 events, 1 run\n" in out
    for figure, target in (
        ("longest loop block (worst)", "<=     50 ms"),
        ("scan time (median)", "<=      5 s"),
        ("added peak memory (worst)", "<=    250 MiB"),
    ):
        (row,) = (line for line in out.splitlines() if line.startswith(f"| {figure}"))
        assert target in row
        assert row.rstrip().endswith(("| PASS   |", "| MISS   |"))


def test_bench_ha_rejects_bad_arguments() -> None:
    result = run_script("bench", "--ha", "--backlog", "lots", timeout=60)
    assert result.returncode == 2
    assert "--backlog" in result.stderr
