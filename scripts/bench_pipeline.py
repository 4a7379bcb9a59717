"""What ``scripts/bench`` measures: the gateway's pages for one size, and the pipeline's stages.

Payloads are realistic gateway answers from the simulator's generators (70 % legacy events,
20 % v2 system log, 10 % IPS), serialised with orjson page by page, newest first, in the page
sizes the client asks for. The stages handle them as a scan does (``batches``). Imported by
``bench.py``, which loads the pure ``scanner`` package without Home Assistant first.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from custom_components.unifi_scanner.scanner.engine import Analyzer
from custom_components.unifi_scanner.scanner.models import (
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
)
from custom_components.unifi_scanner.scanner.normalize import (
    gc_paused,
    normalize_device,
    normalize_health,
)
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
)
from custom_components.unifi_scanner.scanner.report import build_report

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
BATCH = 3000  # entries per batch at most, as ``UnifiClient.collect`` hands them over


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


def _sign_in_failed(number: int, ip: str) -> dict[str, Any]:
    sprayer = "203.0.113.9" if number // 5 % 2 else ip
    return {
        "key": "EVT_AD_LoginFailed",
        "admin": f"user{number}",
        "ip": sprayer,
        "msg": f"Admin[user{number}] log in failed from {sprayer}",
    }


# What each kind of event of ``many_subjects`` says, from its number, a new MAC and address.
_NOVEL: tuple[Callable[[int, str, str], dict[str, Any]], ...] = (
    lambda _, __, ip: {"key": "EVT_GW_IpReputationAlert", "ip": ip, "msg": f"Alert {ip}"},
    lambda _, mac, __: {"key": "EVT_WC_Blocked", "user": mac, "msg": f"User[{mac}] blocked"},
    lambda _, mac, __: {"key": "EVT_AP_Lost_Contact", "ap": mac, "msg": f"AP[{mac}] lost"},
    lambda n, _, ip: {"key": "EVT_AD_Login", "admin": f"user{n}", "ip": ip, "msg": "in"},
    lambda n, _, ip: _sign_in_failed(n, ip),
    lambda _, mac, __: {"key": "EVT_WU_Connected", "user": mac, "msg": f"User[{mac}] in"},
    lambda n, _, ip: {
        "key": "EVT_IPS_IpsAlert",
        "src_ip": ip,
        "dest_ip": "192.168.1.20",
        "inner_alert_signature": f"ET INVENTED {n}",
        "inner_alert_severity": 2,
        "msg": f"IPS Alert from {ip}",
    },
    lambda n, _, __: {"key": f"EVT_XX_Invented{n}", "msg": "?"},
)


def many_subjects(total: int) -> Payloads:
    """Build a log that names someone or something new in every event: devices, clients, keys...

    A broken or hostile gateway, randomised client MACs, an internet-wide scan or a sprayer of
    made-up accounts can make every event about someone new; what the engine keeps per rule
    must not grow with them. Failed sign-ins try a new account each, from a new address or from
    one that keeps guessing; IPS alerts come from a new address with a new signature; clients
    connect with a new MAC; and some events carry a key nobody has seen.
    """
    start = int((END - SPAN).timestamp() * 1000)
    step = int(SPAN.total_seconds() * 1000) // total

    def row(number: int) -> dict[str, Any]:
        mac = f"02:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}:00:01"
        ip = f"{11 + (number >> 16) % 200}.{number >> 8 & 255}.{number & 255}.9"
        common = {"_id": f"{number:024x}", "time": start + number * step, "subsystem": "lan"}
        return common | _NOVEL[number % len(_NOVEL)](number, mac, ip)

    rows = [row(number) for number in range(total)]
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
