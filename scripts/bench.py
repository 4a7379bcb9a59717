"""Benchmark the scan pipeline without network: parse → normalise → analyse → render.

Payloads are realistic gateway answers from the simulator's generators (70 % legacy events,
20 % v2 system log, 10 % IPS), serialised with orjson page by page, newest first, in the page
sizes the client asks for. The pipeline handles them as a scan does: pages are read in the
order ``UnifiClient.collect`` asks for them (always the source whose pages reach least far
back), each is decoded and normalised into an ``OrderedCollector``, what it hands over (newest
first) is analysed by the streaming ``Analyzer`` at once, and nothing keeps the entries. Each
stage is timed separately (median of several runs); peak memory is measured in a fresh process
per size that reads one page file at a time. Run through ``scripts/bench``.
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
from custom_components.unifi_scanner.scanner.engine import Analyzer  # noqa: E402
from custom_components.unifi_scanner.scanner.models import (  # noqa: E402
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
)
from custom_components.unifi_scanner.scanner.normalize import (  # noqa: E402
    gc_paused,
    normalize_device,
    normalize_health,
)
from custom_components.unifi_scanner.scanner.normalize.collector import (  # noqa: E402
    OrderedCollector,
)
from custom_components.unifi_scanner.scanner.render import (  # noqa: E402
    render_html,
    render_markdown,
    render_text,
)
from custom_components.unifi_scanner.scanner.report import build_report  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from custom_components.unifi_scanner.scanner.catalogue import RuleCatalogue
    from custom_components.unifi_scanner.scanner.models import Analysis

END = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(hours=24)
# In the order ``fetch_since`` reads the sources.
SHARES = ((Source.SYSTEM_LOG, 0.2), (Source.EVENT, 0.7), (Source.IPS, 0.1))
# Rows per page as the client requests them (``client.SYSTEM_LOG_PAGE_SIZE`` and friends; the
# client module is not imported here because it pulls in aiohttp).
PAGE_SIZES = {Source.SYSTEM_LOG: 1000, Source.EVENT: 3000, Source.IPS: 1000}
MIB = 1024 * 1024
BATCH = 3000  # entries per batch at most, as ``UnifiClient.collect`` hands them over
# Targets: the whole pipeline against the orjson floor; added peak memory up to a day's
# backlog (100 000 events) and beyond it (flat: 1 000 000 events may not cost much more).
PIPELINE_RATIO = 1.8
DAY_SIZE = 100_000
MEMORY_LIMIT_MIB = 48
MEMORY_LIMIT_HUGE_MIB = 64
SPRAY_SIZE = 100_000  # failed sign-ins, each from an address of its own


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


def spraying(total: int) -> Payloads:
    """Build password spraying: ``total`` failed sign-ins to one account, each from its own address.

    Memory per distinct address is what this measures: the engine must not keep a tally for each.
    """
    start = int((END - SPAN).timestamp() * 1000)
    step = int(SPAN.total_seconds() * 1000) // total
    rows = [
        {
            "_id": f"{number:024x}",
            "key": "EVT_AD_LoginFailed",
            "subsystem": "lan",
            "time": start + number * step,
            "admin": "admin",
            "ip": (ip := f"{11 + (number >> 16) % 200}.{number >> 8 & 255}.{number & 255}.7"),
            "is_admin": True,
            "msg": f"Admin[admin] log in failed from {ip}",
        }
        for number in range(total)
    ]
    pages = tuple((Source.EVENT, body) for body in paginate(Source.EVENT, rows))
    return Payloads(pages, (), (), total)


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


def by_source[Page](pages: Iterable[tuple[Source, Page]]) -> dict[Source, Iterator[Page]]:
    """Split a payload's pages (grouped by source, newest first) into one queue per source."""
    grouped: dict[Source, list[Page]] = {}
    for source, page in pages:
        grouped.setdefault(source, []).append(page)
    return {source: iter(items) for source, items in grouped.items()}


def batches(
    queues: dict[Source, Iterator[Any]],
    *,
    decoded: bool,
    consume: Callable[[list[LogEntry]], object],
) -> None:
    """Normalise pages in the order the client reads them and consume what each hands over.

    As ``Collection.digest`` does: ``UnifiClient.collect`` always asks next for the source
    whose pages reach least far back (``OrderedCollector.next_source``), and each page is
    normalised, handed over and consumed in one step with the cyclic collector paused, its
    rows freed at the end of the step. ``decoded`` pages are row lists, the others bodies.
    """
    collector = OrderedCollector(queues)
    while (source := collector.next_source()) is not None:
        page = next(queues[source], None)
        if page is None:
            collector.finish(source)
            continue
        rows = page if decoded else decode(page)
        del page
        with gc_paused():
            collector.add_page(rows, source)
            consume(collector.ready())
            if not decoded:
                rows.clear()
        del rows
    with gc_paused():
        consume(collector.remaining())


def newest_first(pages: list[tuple[Source, list[dict[str, Any]]]]) -> list[LogEntry]:
    """Normalise decoded pages and keep every entry, newest first (the normalise stage)."""
    entries: list[LogEntry] = []
    batches(by_source(pages), decoded=True, consume=entries.extend)
    return entries


def conclude(analyzer: Analyzer, payloads: Payloads) -> Analysis:
    """Turn what the analyzer gathered into the analysis, with the device state."""
    return analyzer.result(devices=payloads.devices, health=payloads.health, now=END)


def analyse(entries: list[LogEntry], payloads: Payloads, catalogue: RuleCatalogue) -> Analysis:
    """Analyse entries already in reading order, in the client's batch size."""
    analyzer = Analyzer(catalogue=catalogue)
    for start in range(0, len(entries), BATCH):
        analyzer.add(entries[start : start + BATCH])
    return conclude(analyzer, payloads)


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


def pipeline(payloads: Payloads, catalogue: RuleCatalogue) -> int:
    """Everything after the network: bytes in, rendered reports out, page by page."""
    return run_pipeline(by_source(payloads.pages), payloads.devices, payloads.health, catalogue)


def run_pipeline(
    pages: dict[Source, Iterator[bytes]],
    devices: tuple[Device, ...],
    health: tuple[HealthSubsystem, ...],
    catalogue: RuleCatalogue,
) -> int:
    """Decode, normalise and analyse page by page, then render."""
    analyzer = Analyzer(catalogue=catalogue)
    batches(pages, decoded=False, consume=analyzer.add)
    return render_all(analyzer.result(devices=devices, health=health, now=END))


def without_gc(payloads: Payloads, catalogue: RuleCatalogue) -> int:
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
    run_pipeline(page_files(directory), devices, health, catalogue)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
