"""Benchmark the scan pipeline without network: parse → normalise → analyse → render.

Payloads are realistic gateway answers from the simulator's generators (70 % legacy events,
20 % v2 system log, 10 % IPS), serialised with orjson page by page, newest first, in the page
sizes the client asks for. The pipeline handles them as ``UnifiClient.fetch_since`` does: each
page is decoded and normalised into an ``EntryCollector``, then dropped, before the next one.
Each stage is timed separately (median of several runs); peak memory is measured in a fresh
process per size that reads one page file at a time. Run through ``scripts/bench``.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


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

import orjson  # noqa: E402

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue  # noqa: E402
from custom_components.unifi_scanner.scanner.engine import analyze  # noqa: E402
from custom_components.unifi_scanner.scanner.models import (  # noqa: E402
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
)
from custom_components.unifi_scanner.scanner.normalize import (  # noqa: E402
    EntryCollector,
    gc_paused,
    normalize_device,
    normalize_health,
)
from custom_components.unifi_scanner.scanner.render import (  # noqa: E402
    render_html,
    render_markdown,
    render_text,
)
from custom_components.unifi_scanner.scanner.report import build_report  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

END = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(hours=24)
# In the order ``fetch_since`` reads the sources.
SHARES = ((Source.SYSTEM_LOG, 0.2), (Source.EVENT, 0.7), (Source.IPS, 0.1))
# Rows per page as the client requests them (``client.SYSTEM_LOG_PAGE_SIZE`` and friends; the
# client module is not imported here because it pulls in aiohttp).
PAGE_SIZES = {Source.SYSTEM_LOG: 1000, Source.EVENT: 3000, Source.IPS: 1000}
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Payloads:
    """What the gateway would send for one size: page bodies per source plus device state."""

    pages: tuple[tuple[Source, bytes], ...]
    devices: tuple[Device, ...]
    health: tuple[HealthSubsystem, ...]
    items: int

    @property
    def size(self) -> int:
        """Bytes on the wire."""
        return sum(len(body) for _, body in self.pages)


def paginate(source: Source, rows: list[dict[str, Any]]) -> list[bytes]:
    """Serialise rows (oldest first) as the gateway's pages: newest first, in envelopes."""
    newest_first = rows[::-1]
    size = PAGE_SIZES[source]
    chunks = [newest_first[start : start + size] for start in range(0, len(rows), size)]
    if source is Source.SYSTEM_LOG:
        return [
            orjson.dumps(
                {
                    "data": chunk,
                    "page_number": number,
                    "total_element_count": len(rows),
                    "total_page_count": len(chunks),
                }
            )
            for number, chunk in enumerate(chunks)
        ]
    return [
        orjson.dumps({"meta": {"rc": "ok", "count": len(rows)}, "data": chunk}) for chunk in chunks
    ]


def generate(total: int) -> Payloads:
    """Build realistic payloads of ``total`` events in the 70/20/10 mix."""
    from tests.simulator import (  # noqa: PLC0415 - the generators exist only in the checkout
        generate_events,
        generate_ips_events,
        generate_system_log,
    )
    from tests.simulator.scenario import load_scenario  # noqa: PLC0415

    counts = {source: int(total * share) for source, share in SHARES}
    counts[Source.EVENT] += total - sum(counts.values())
    rows = {
        Source.SYSTEM_LOG: generate_system_log(
            counts[Source.SYSTEM_LOG], seed=2, end=END, span=SPAN
        ),
        Source.EVENT: generate_events(counts[Source.EVENT], seed=1, end=END, span=SPAN),
        Source.IPS: generate_ips_events(counts[Source.IPS], seed=3, end=END, span=SPAN),
    }
    site = load_scenario("home").sites[0]
    devices = tuple(d for d in (normalize_device(raw) for raw in site.devices) if d is not None)
    health = tuple(h for h in (normalize_health(raw) for raw in site.health) if h is not None)
    pages = tuple((source, body) for source, _ in SHARES for body in paginate(source, rows[source]))
    return Payloads(pages, devices, health, sum(map(len, rows.values())))


# --- the stages --------------------------------------------------------------------------------


def decode(body: bytes) -> list[dict[str, Any]]:
    """Decode one page the way the client does (collector paused) and return its rows."""
    with gc_paused():
        answer = orjson.loads(body)
    rows: list[dict[str, Any]] = answer["data"]
    return rows


def parse(payloads: Payloads) -> list[tuple[Source, list[dict[str, Any]]]]:
    """Decode every page: the floor no Python pipeline can beat."""
    return [(source, decode(body)) for source, body in payloads.pages]


def normalise(pages: list[tuple[Source, list[dict[str, Any]]]]) -> list[LogEntry]:
    """Normalise decoded pages into sorted entries, as ``fetch_since`` does."""
    collector = EntryCollector()
    for source, rows in pages:
        collector.add(rows, source)
    return collector.entries()


def collect(pages: Iterable[tuple[Source, bytes]]) -> list[LogEntry]:
    """Decode and normalise page by page, dropping each page before the next arrives."""
    collector = EntryCollector()
    for source, body in pages:
        collector.add(decode(body), source)
    return collector.entries()


def render_all(analysis: Any) -> int:
    """Build the report and render all three formats; returns the total length."""
    report = build_report(
        analysis,
        gateway="Bench gateway",
        site="default",
        period_start=END - SPAN,
        period_end=END,
        generated_at=END,
    )
    return len(render_markdown(report)) + len(render_html(report)) + len(render_text(report))


def pipeline(payloads: Payloads, catalogue: Any) -> int:
    """Everything after the network: bytes in, rendered reports out."""
    entries = collect(payloads.pages)
    analysis = analyze(
        entries,
        catalogue=catalogue,
        devices=payloads.devices,
        health=payloads.health,
        now=END,
    )
    return render_all(analysis)


def without_gc(payloads: Payloads, catalogue: Any) -> int:
    """Run the pipeline with the cyclic garbage collector off throughout (what it still costs)."""
    gc.disable()
    try:
        return pipeline(payloads, catalogue)
    finally:
        gc.enable()


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


def measure(payloads: Payloads, repeat: int) -> tuple[list[Row], int, int]:
    """Time every stage; returns rows, entry count and finding count."""
    catalogue = load_catalogue()
    items = parse(payloads)
    entries = normalise(items)
    analysis = analyze(
        entries, catalogue=catalogue, devices=payloads.devices, health=payloads.health, now=END
    )
    rows = [
        Row("orjson parse (floor)", median_seconds(lambda: parse(payloads), repeat)),
        Row("normalise", median_seconds(lambda: normalise(items), repeat)),
        Row(
            "analyse",
            median_seconds(
                lambda: analyze(
                    entries,
                    catalogue=catalogue,
                    devices=payloads.devices,
                    health=payloads.health,
                    now=END,
                ),
                repeat,
            ),
        ),
        Row("render md+html+text", median_seconds(lambda: render_all(analysis), repeat)),
        Row("whole pipeline", median_seconds(lambda: pipeline(payloads, catalogue), repeat)),
        Row("  same, GC paused", median_seconds(lambda: without_gc(payloads, catalogue), repeat)),
    ]
    return rows, len(entries), len(analysis.findings)


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


def page_files(directory: Path) -> Iterator[tuple[Source, bytes]]:
    """Read page files one at a time, as the network would hand them over."""
    for path in sorted(directory.glob("page-*.json")):
        yield Source(path.stem.split("-", 2)[2]), path.read_bytes()


def child(directory: Path) -> None:
    """Run the pipeline once on page files and print peak RSS (MiB) as JSON."""
    catalogue = load_catalogue()
    site = json.loads((directory / "state.json").read_text(encoding="utf-8"))
    devices = tuple(d for d in (normalize_device(raw) for raw in site["devices"]) if d)
    health = tuple(h for h in (normalize_health(raw) for raw in site["health"]) if h)
    baseline = _rss_mib()
    entries = collect(page_files(directory))
    analysis = analyze(entries, catalogue=catalogue, devices=devices, health=health, now=END)
    render_all(analysis)
    sys.stdout.write(json.dumps({"baseline_mib": baseline, "peak_mib": _rss_mib()}))


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
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu})"
    )


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


def verdict(rows: list[Row], memory: dict[str, float] | None) -> str:
    """Compare the measurements with the targets."""
    by_stage = {row.stage: row.seconds for row in rows}
    floor = by_stage["orjson parse (floor)"]
    ratio = (by_stage["normalise"] + by_stage["analyse"]) / floor
    whole = by_stage["whole pipeline"]
    checks = [
        f"normalise+analyse = {ratio:.2f}x floor (target <= 3x): "
        + ("PASS" if ratio <= 3 else "MISS"),
        f"whole pipeline = {whole * 1000:.0f} ms (target < 1000 ms): "
        + ("PASS" if whole < 1 else "MISS"),
    ]
    if memory is not None:
        peak = memory["peak_mib"]
        checks.append(
            f"peak RSS = {peak:.0f} MiB, {memory['baseline_mib']:.0f} MiB after imports "
            "(target < 250 MiB): " + ("PASS" if peak < 250 else "MISS")
        )
    return "\n".join(f"  {check}" for check in checks)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every requested size and print the tables."""
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated event counts (default 1000,10000,100000)",
    )
    parser.add_argument("--repeat", type=int, help="runs per stage (default 7, 3 above 50 000)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
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
        repeat = args.repeat or (3 if total > 50_000 else 7)
        payloads = generate(total)
        rows, entries, findings = measure(payloads, repeat)
        memory = None if args.no_memory else peak_memory(payloads, raw_site)
        print()
        print(table(total, payloads, rows, entries, findings))
        print(f"  ({repeat} runs per stage)")
        print(verdict(rows, memory))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
