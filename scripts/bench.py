"""Benchmark the scan pipeline without network: parse → normalise → analyse → render.

What is measured lives in ``bench_pipeline``: realistic gateway pages, and the pipeline that
handles them as a scan does (pages read in the order ``UnifiClient.collect`` asks for them, each
decoded, normalised and analysed at once, nothing keeping the entries). Here is how: each stage
timed separately (median of several runs), the whole pipeline paired with the decode floor,
peak memory in a fresh process per size that reads one page file at a time, and the report
with each target. Run through ``scripts/bench``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_pipeline, beside this file


def _pure_core_only() -> None:
    """Import the pure ``scanner`` package without the Home Assistant integration around it.

    The integration's ``__init__`` imports Home Assistant; the scanner never needs it, and
    loading it would add Home Assistant's import time and memory to every number here.
    """
    name = "custom_components.unifi_scanner"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ROOT / "custom_components" / "unifi_scanner")]
        sys.modules[name] = package


_pure_core_only()

from bench_pipeline import (  # noqa: E402 - after the pure package is in place
    Payloads,
    analyse,
    generate,
    many_subjects,
    newest_first,
    parse,
    pipeline,
    render_all,
    run_pipeline,
    spraying,
    without_gc,
)

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue  # noqa: E402
from custom_components.unifi_scanner.scanner.models import Source  # noqa: E402
from custom_components.unifi_scanner.scanner.normalize import (  # noqa: E402
    normalize_device,
    normalize_health,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MIB = 1024 * 1024
# Targets: the whole pipeline against the orjson floor; added peak memory up to a day's
# backlog (100 000 events) and beyond it (flat: 1 000 000 events may not cost much more).
PIPELINE_RATIO = 1.8
DAY_SIZE = 100_000
MEMORY_LIMIT_MIB = 48
MEMORY_LIMIT_HUGE_MIB = 64
SPRAY_SIZE = 100_000  # failed sign-ins, each from an address of its own


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs, garbage collection settled before each."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@dataclass(frozen=True, slots=True)
class Row:
    """One stage's median time."""

    stage: str
    seconds: float


def paired(
    floor: Callable[[], object], whole: Callable[[], object], repeat: int
) -> tuple[float, float, float]:
    """Time the floor and the whole pipeline alternately: both medians and the ratio's median.

    A shared machine's speed drifts by 10-20 % over a few seconds. Timed stage after stage, the
    floor and the pipeline could land in different spells; timed pair by pair, each ratio
    compares runs seconds apart, and the median of the ratios keeps the drift out. Each is run
    once untimed first: the first pipeline run of a process is 10-20 % slower.
    """
    floor()  # a first run of each, untimed: caches, the allocator's arenas, specialisation
    whole()
    floors: list[float] = []
    wholes: list[float] = []
    for _ in range(repeat):
        floors.append(median_seconds(floor, 1))
        wholes.append(median_seconds(whole, 1))
    ratio = statistics.median(w / f for w, f in zip(wholes, floors, strict=True))
    return statistics.median(floors), statistics.median(wholes), ratio


def measure(payloads: Payloads, repeat: int) -> tuple[list[Row], float, int, int]:
    """Time every stage; returns rows, the pipeline's ratio, entry count and finding count."""
    catalogue = load_catalogue()
    # First, while nothing else is alive: the stages below keep every page and entry, a heap
    # whose full collections would land in the pipeline's runs at random.
    floor, whole, ratio = paired(
        lambda: parse(payloads), lambda: pipeline(payloads, catalogue), repeat
    )
    items = parse(payloads)
    entries = newest_first(items)
    analysis = analyse(entries, payloads, catalogue)
    rows = [
        Row("orjson parse (floor)", floor),
        Row("normalise", median_seconds(lambda: newest_first(items), repeat)),
        Row("analyse", median_seconds(lambda: analyse(entries, payloads, catalogue), repeat)),
        Row("render md+html+text", median_seconds(lambda: render_all(analysis), repeat)),
        Row("whole pipeline", whole),
        Row("  same, GC paused", median_seconds(lambda: without_gc(payloads, catalogue), repeat)),
    ]
    return rows, ratio, len(entries), len(analysis.findings)


# --- memory: one fresh process per size --------------------------------------------------------


def _rss_mib() -> float:
    """Peak resident memory of this process image in MiB.

    ``VmHWM`` belongs to the current address space; ``ru_maxrss`` would also count the parent
    process that forked us, since Linux carries it across ``exec``.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_files(directory: Path) -> dict[Source, Iterator[bytes]]:
    """Per source, its page files read one at a time, as the network would hand them over."""
    paths: dict[Source, list[Path]] = {}
    for path in sorted(directory.glob("page-*.json")):
        paths.setdefault(Source(path.stem.split("-", 2)[2]), []).append(path)
    return {source: (path.read_bytes() for path in items) for source, items in paths.items()}


def child(directory: Path) -> None:
    """Run the pipeline once on page files and print peak RSS (MiB) as JSON."""
    catalogue = load_catalogue()
    site = json.loads((directory / "state.json").read_text(encoding="utf-8"))
    devices = tuple(d for d in (normalize_device(raw) for raw in site["devices"]) if d)
    health = tuple(h for h in (normalize_health(raw) for raw in site["health"]) if h)
    gc.collect()
    baseline = _rss_mib()
    report = run_pipeline(page_files(directory), devices, health, catalogue)
    sys.stdout.write(
        json.dumps({"baseline_mib": baseline, "peak_mib": _rss_mib(), "report_chars": report})
    )


def peak_memory(payloads: Payloads, raw_site: dict[str, Any]) -> dict[str, float]:
    """Run the pipeline once in a fresh interpreter and return its memory figures."""
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        for number, (source, body) in enumerate(payloads.pages):
            (directory / f"page-{number:05d}-{source.value}.json").write_bytes(body)
        (directory / "state.json").write_text(json.dumps(raw_site), encoding="utf-8")
        result = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, __file__, "--child", str(directory)],
            capture_output=True,
            text=True,
            check=True,
        )
    values: dict[str, float] = json.loads(result.stdout)
    return values


# --- report ------------------------------------------------------------------------------------


def machine() -> str:
    """Describe the interpreter and CPU the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from tests.interpreter import described  # noqa: PLC0415 - the checkout's, like the generators

    system = f"{platform.system()} {platform.machine()}"
    return f"{described()}, on {system}, {os.cpu_count()} CPUs ({cpu})"


def table(total: int, payloads: Payloads, rows: list[Row], entries: int, findings: int) -> str:
    """Format one size's results as a Markdown table."""
    floor = rows[0].seconds
    lines = [
        (
            f"N = {total:,} events ({payloads.items:,} generated, {entries:,} entries after "
            f"normalisation, {findings} findings), payload {payloads.size / MIB:.1f} MiB"
        ),
        f"| {'stage':<22} | {'median ms':>10} | {'events/s':>12} | {'x floor':>7} |",
        f"|{'-' * 24}|{'-' * 11}:|{'-' * 13}:|{'-' * 8}:|",
    ]
    lines += [
        f"| {row.stage:<22} | {row.seconds * 1000:>10.1f} | "
        f"{total / row.seconds if row.seconds else 0:>12,.0f} | {row.seconds / floor:>7.2f} |"
        for row in rows
    ]
    return "\n".join(lines)


def verdict(total: int, ratio: float, memory: dict[str, float] | None) -> str:
    """Compare the measurements with the targets (the memory bound depends on the size)."""
    judged = (
        ("PASS" if ratio <= PIPELINE_RATIO else "MISS")
        if total == DAY_SIZE
        else f"the target is set at {DAY_SIZE:,} events"
    )
    checks = [
        (
            f"whole pipeline = {ratio:.2f}x the orjson floor, median of the paired runs "
            f"(target <= {PIPELINE_RATIO}x): {judged}"
        ),
    ]
    if memory is not None:
        added = memory["peak_mib"] - memory["baseline_mib"]
        limit = MEMORY_LIMIT_MIB if total <= DAY_SIZE else MEMORY_LIMIT_HUGE_MIB
        checks.append(
            f"added peak memory = {added:.0f} MiB (peak {memory['peak_mib']:.0f} MiB, "
            f"{memory['baseline_mib']:.0f} MiB after imports; target <= {limit} MiB): "
            + ("PASS" if added <= limit else "MISS")
        )
    return "\n".join(f"  {check}" for check in checks)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every requested size and print the tables."""
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000,1000000",
        help="comma-separated event counts (default 1000,10000,100000,1000000)",
    )
    parser.add_argument(
        "--repeat", type=int, help="runs per stage (default 7, 5 above 50 000, 1 above 500 000)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size]
    except ValueError:
        parser.error("--sizes takes comma-separated integers")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs positive integers")
    from tests.simulator.scenario import load_scenario  # noqa: PLC0415

    site = load_scenario("home").sites[0]
    raw_site = {"devices": list(site.devices), "health": list(site.health)}
    print(f"UniFi Scanner pipeline benchmark: {machine()}")
    for total in sizes:
        repeat = args.repeat or (1 if total > 500_000 else 5 if total > 50_000 else 7)
        payloads = generate(total)
        rows, ratio, entries, findings = measure(payloads, repeat)
        memory = None if args.no_memory else peak_memory(payloads, raw_site)
        print()
        print(table(total, payloads, rows, entries, findings))
        print(f"  ({repeat} runs per stage; floor and whole pipeline alternately, in pairs)")
        print(verdict(total, ratio, memory))
        sys.stdout.flush()
    if not args.no_memory:
        spray = peak_memory(spraying(SPRAY_SIZE), {"devices": [], "health": []})
        added = spray["peak_mib"] - spray["baseline_mib"]
        print(
            f"\nPassword spraying: {SPRAY_SIZE:,} failed sign-ins, each from its own address\n"
            f"  added peak memory = {added:.0f} MiB (target <= {MEMORY_LIMIT_MIB} MiB): "
            + ("PASS" if added <= MEMORY_LIMIT_MIB else "MISS")
        )
        crowd = peak_memory(many_subjects(SPRAY_SIZE), {"devices": [], "health": []})
        added = crowd["peak_mib"] - crowd["baseline_mib"]
        print(
            f"\nMany subjects: {SPRAY_SIZE:,} events, each naming a device, client, account, "
            "address, signature or key of its own\n"
            f"  added peak memory = {added:.0f} MiB (target <= {MEMORY_LIMIT_MIB} MiB): "
            + ("PASS" if added <= MEMORY_LIMIT_MIB else "MISS")
            + f"; the three reports: {crowd['report_chars'] / 1024:,.0f} KiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
