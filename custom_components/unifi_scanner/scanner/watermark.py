"""Which entries a report has already covered: the pure half of the checkpoint.

Per source we keep a high-water mark (the newest event time reported, in ms) and the ids
reported within ``overlap`` before it. A scan fetches from the oldest mark minus the overlap and
keeps only entries that are newer than their source's window or were not reported in it, so a
late-arriving or same-millisecond entry is neither lost nor repeated. Home Assistant stores the
result with ``Checkpoint.to_dict()`` only after the report was delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .models import Source

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

DEFAULT_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceMark:
    """The newest reported time of one source and the ids reported near it."""

    time_ms: int
    ids: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """Everything needed to report each entry exactly once."""

    last_success: datetime | None = None
    marks: Mapping[Source, SourceMark] = field(default_factory=dict)
    overlap: timedelta = DEFAULT_OVERLAP

    def since(self, *, now: datetime, lookback: timedelta, max_lookback: timedelta) -> datetime:
        """Return where the next collection starts.

        The oldest mark minus the overlap, or ``now - lookback`` on a first run; never further
        back than ``max_lookback`` so a long outage does not re-send weeks of history.
        """
        floor = now - max_lookback
        if not self.marks:
            return max(now - lookback, floor)
        oldest = min(mark.time_ms for mark in self.marks.values())
        start = datetime.fromtimestamp(oldest / 1000, UTC) - self.overlap
        return max(start, floor)

    def is_new(self, source: Source, entry_id: str, time_ms: int) -> bool:
        """Tell whether an entry has not been reported yet."""
        mark = self.marks.get(source)
        if mark is None:
            return True
        if time_ms < mark.time_ms - self._overlap_ms:
            return False
        return entry_id not in mark.ids

    def advance(self, reported: Iterable[tuple[Source, str, int]]) -> Checkpoint:
        """Return the checkpoint after ``(source, id, time_ms)`` entries were reported.

        A quiet source (an IPS feed that stays empty for days, a source reset by the user) is
        moved up to one overlap behind the newest mark, so the next collection starts minutes
        before now instead of re-reading days every scan. Its marks are gateway times, so a
        gateway clock that differs from Home Assistant's does not matter.
        """
        newest: dict[Source, int] = {s: m.time_ms for s, m in self.marks.items()}
        items = list(reported)
        for source, _entry_id, time_ms in items:
            newest[source] = max(newest.get(source, time_ms), time_ms)
        if newest:
            floor = max(newest.values()) - self._overlap_ms
            newest = {source: max(time_ms, floor) for source, time_ms in newest.items()}
        ids: dict[Source, set[str]] = {}
        for source, entry_id, time_ms in items:
            if time_ms >= newest[source] - self._overlap_ms:
                ids.setdefault(source, set()).add(entry_id)
        marks: dict[Source, SourceMark] = {}
        for source, time_ms in newest.items():
            kept = set(self._old_ids_within(source, time_ms)) | ids.get(source, set())
            marks[source] = SourceMark(time_ms=time_ms, ids=frozenset(kept))
        return Checkpoint(last_success=self.last_success, marks=marks, overlap=self.overlap)

    def advancer(self) -> Advance:
        """Start gathering, entry by entry, what ``advance`` needs (no entry list is kept)."""
        return Advance(self)

    def committed(self, at: datetime) -> Checkpoint:
        """Return a copy stamped with the time of a successful delivery."""
        return Checkpoint(last_success=at, marks=self.marks, overlap=self.overlap)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage (JSON-safe, times as ISO-8601 UTC with offset)."""
        return {
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "overlap_s": self.overlap.total_seconds(),
            "marks": {
                source.value: {"time_ms": mark.time_ms, "ids": sorted(mark.ids)}
                for source, mark in self.marks.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Rebuild from ``to_dict`` output; raise ``ValueError`` on anything malformed."""
        try:
            return cls(
                last_success=_parse_time(data["last_success"]),
                marks=_parse_marks(data["marks"]),
                overlap=_parse_overlap(data.get("overlap_s", DEFAULT_OVERLAP.total_seconds())),
            )
        except (KeyError, TypeError, AttributeError) as err:
            msg = f"malformed checkpoint: {err!r}"
            raise ValueError(msg) from err

    @property
    def _overlap_ms(self) -> int:
        return int(self.overlap.total_seconds() * 1000)

    def _old_ids_within(self, source: Source, time_ms: int) -> frozenset[str]:
        """Ids of the previous mark that still fall inside the new overlap window."""
        mark = self.marks.get(source)
        if mark is None or mark.time_ms < time_ms - self._overlap_ms:
            return frozenset()
        return mark.ids


class Advance:
    """The newest time per source and the ids near it, gathered as a scan's entries pass by.

    ``advance`` needs, per source, the newest reported time and the ids within one overlap of
    it; an id older than that behind the newest seen so far can never be needed, so only the
    entries of the newest minutes are remembered whatever the backlog (entries arrive newest
    first, so that is one small dict per source).
    """

    __slots__ = ("_checkpoint", "_newest", "_overlap_ms", "_recent")

    def __init__(self, checkpoint: Checkpoint) -> None:
        """Gather the advance of ``checkpoint``."""
        self._checkpoint = checkpoint
        self._overlap_ms = checkpoint._overlap_ms  # noqa: SLF001 - its own companion
        self._newest: dict[Source, int] = {}
        self._recent: dict[Source, dict[str, int]] = {}

    def add(self, source: Source, entry_id: str, time_ms: int) -> None:
        """Note one reported entry."""
        newest = self._newest.get(source)
        recent = self._recent.get(source)
        if newest is None or recent is None:
            self._newest[source] = time_ms
            self._recent[source] = {entry_id: time_ms}
            return
        if time_ms > newest:
            self._newest[source] = newest = time_ms
            floor = newest - self._overlap_ms
            self._recent[source] = recent = {i: t for i, t in recent.items() if t >= floor}
        if time_ms >= newest - self._overlap_ms:
            recent[entry_id] = time_ms

    def __len__(self) -> int:
        """Entries remembered (the newest minutes of each source)."""
        return sum(map(len, self._recent.values()))

    def result(self) -> Checkpoint:
        """Return the checkpoint after every noted entry was reported."""
        return self._checkpoint.advance(
            (source, entry_id, time_ms)
            for source, recent in self._recent.items()
            for entry_id, time_ms in recent.items()
        )


def _parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        msg = "last_success has no time zone"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def _parse_marks(value: object) -> dict[Source, SourceMark]:
    if not isinstance(value, dict):
        msg = "marks is not a mapping"
        raise TypeError(msg)
    return {
        Source(name): SourceMark(
            time_ms=int(mark["time_ms"]),
            ids=frozenset(str(entry_id) for entry_id in mark["ids"]),
        )
        for name, mark in value.items()
    }


def _parse_overlap(value: object) -> timedelta:
    overlap = timedelta(seconds=float(str(value)))
    if overlap < timedelta(0):
        msg = "negative overlap"
        raise ValueError(msg)
    return overlap
