"""Logs that name ever new subjects, built newest first, and what analysing them costs."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import Analyzer, analyze
from custom_components.unifi_scanner.scanner.normalize import normalize_event

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from custom_components.unifi_scanner.scanner.analysis import Analysis
    from custom_components.unifi_scanner.scanner.models import Finding, LogEntry

CATALOGUE = load_catalogue()
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
NOW = datetime(2025, 1, 2, tzinfo=UTC)
_ids = itertools.count(1)


def event(key: str, at_ms: int, **fields: Any) -> LogEntry:
    """Normalise a legacy event dated ``at_ms`` after the base time."""
    item = {"_id": f"{next(_ids):024x}", "key": key, "time": BASE_MS + at_ms, "msg": "m"}
    entry = normalize_event(item | fields)
    assert entry is not None
    return entry


def address(number: int) -> str:
    return f"198.{18 + number // 65_536}.{number // 256 % 256}.{number % 256}"


def mac(number: int) -> str:
    return f"02:00:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}:01"


def run(entries: Sequence[LogEntry]) -> Analysis:
    return analyze(entries, catalogue=CATALOGUE, now=NOW)


def of(analysis: Analysis, rule_id: str) -> list[Finding]:
    return [finding for finding in analysis.findings if finding.rule_id == rule_id]


def peak_while_analysing(entries: Iterator[LogEntry]) -> int:
    """Peak traced memory of analysing entries made one page at a time (they are then freed)."""
    analyzer = Analyzer(catalogue=CATALOGUE)
    gc.collect()
    tracemalloc.start()
    try:
        while page := list(itertools.islice(entries, 1_000)):
            analyzer.add(page)
            del page
        analyzer.result(now=NOW)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
