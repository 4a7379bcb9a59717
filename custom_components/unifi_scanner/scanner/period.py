"""One report period, analysed page by page: select against the checkpoint, analyse, advance.

A scan hands each batch of its collection (newest first) to ``Period.add`` as it arrives.
Entries the checkpoint already covers are left out, the others are counted by the engine and
noted for the checkpoint's advance, and then the batch can go: nothing here keeps an entry
list, so a week of backlog costs the memory of its findings, not of its entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .engine import Analyzer, Thresholds

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from .analysis import Analysis
    from .catalogue import RuleCatalogue
    from .models import Device, HealthSubsystem, LogEntry
    from .watermark import Checkpoint


class Period:
    """The entries of one period that no delivered report has covered yet."""

    __slots__ = ("_advance", "_analyzer", "_checkpoint", "new_entries")

    def __init__(
        self,
        checkpoint: Checkpoint,
        *,
        catalogue: RuleCatalogue,
        disabled: frozenset[str] = frozenset(),
    ) -> None:
        """Select against ``checkpoint`` and analyse with ``catalogue``'s rules."""
        self._checkpoint = checkpoint
        self._analyzer = Analyzer(catalogue=catalogue, disabled=disabled)
        self._advance = checkpoint.advancer()
        self.new_entries = 0

    def add(self, batch: Sequence[LogEntry]) -> None:
        """Take the next batch of the collection (newest first)."""
        is_new = self._checkpoint.is_new
        new = [entry for entry in batch if is_new(entry.source, entry.id, entry.time_ms)]
        self.new_entries += len(new)
        self._analyzer.add(new)
        note = self._advance.add
        for entry in new:
            note(entry.source, entry.id, entry.time_ms)

    def analysis(
        self,
        *,
        devices: Sequence[Device] = (),
        health: Sequence[HealthSubsystem] = (),
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
        now: datetime,
    ) -> Analysis:
        """Conclude the analysis with the current device state."""
        return self._analyzer.result(devices=devices, health=health, thresholds=thresholds, now=now)

    def advanced(self, now: datetime) -> Checkpoint:
        """Return the checkpoint once a report of this period was delivered at ``now``."""
        return self._advance.result().committed(now)
