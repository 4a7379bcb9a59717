"""Captured rows: real gateway items a scenario serves verbatim beside the generated ones.

Generated rows are idealised; the shapes that break readers (missing roles, unknown enums, no
id, no time, one id for two rows) come from field captures. A site's ``captured:`` list names
such rows, inline or from ``tests/corpus``, and the simulator files each in one store with its
time set from ``minutes_ago`` and a fresh id, unless the item keeps or omits those fields.

Item keys: ``source`` (system_log, event, alarm or ips; defaults to the corpus row's),
``minutes_ago``, exactly one of ``row`` or ``corpus: "<file>:<row name>"``, and optionally
``keep: [id, time]``, ``omit: [id, time]`` and ``same_id_as: <index of an earlier item>``.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from tests.corpus import CorpusError, CorpusRow, corpus_row

if TYPE_CHECKING:
    from collections.abc import Callable

SOURCES: Final = ("system_log", "event", "alarm", "ips")
"""Stores a captured row can be filed in."""
FIELDS: Final = frozenset({"id", "time"})
"""What `keep` and `omit` may name."""
_KEYS: Final = frozenset({"source", "minutes_ago", "row", "corpus", "keep", "omit", "same_id_as"})
_TIME_FIELDS: Final = {
    "system_log": ("timestamp", "time"),
    "event": ("time",),
    "alarm": ("time",),
    "ips": ("time",),
}
_STRIPPED_TIME: Final = ("timestamp", "time", "datetime")


class ScenarioError(ValueError):
    """A scenario entry the simulator cannot serve."""


@dataclass(frozen=True, slots=True)
class CapturedItem:
    """One captured row of a site, validated when the scenario loads."""

    source: str
    row: dict[str, Any]
    origin: str
    """Where the row came from, for messages: ``corpus <file>:<name>`` or ``inline row``."""
    minutes_ago: float | None = None
    keep: frozenset[str] = frozenset()
    omit: frozenset[str] = frozenset()
    same_id_as: int | None = None


def id_field(source: str) -> str:
    """Name the id key of a row: ``id`` in the v2 system log, ``_id`` in legacy stores."""
    return "id" if source == "system_log" else "_id"


def row_time(row: dict[str, Any], source: str) -> int | None:
    """Epoch ms a store orders `row` by, or None when it has no usable time."""
    for name in _TIME_FIELDS[source]:
        value = row.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def in_window(row: dict[str, Any], source: str, start: float, end: float) -> bool:
    """Whether a time filter keeps `row`; a row without a time passes every window."""
    when = row_time(row, source)
    return when is None or start <= when <= end


def sort_key(source: str) -> Callable[[dict[str, Any]], int]:
    """Store order: oldest first, rows without a time before all others (as Mongo sorts)."""

    def key(row: dict[str, Any]) -> int:
        when = row_time(row, source)
        return -1 if when is None else when

    return key


def parse_captured(raw: object, where: str) -> tuple[CapturedItem, ...]:
    """Validate a site's ``captured:`` list and resolve its corpus references."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        msg = f"{where}: 'captured' must be a list"
        raise ScenarioError(msg)
    items: list[CapturedItem] = []
    for index, entry in enumerate(raw):
        items.append(_item(entry, f"{where}, captured[{index}]", index, items))
    return tuple(items)


def resolve_entries(raw: object, source: str, where: str) -> tuple[dict[str, Any], ...]:
    """Devices or health items: inline dicts, or ``{corpus: ref, ...overrides}``."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        msg = f"{where}: expected a list of mappings"
        raise ScenarioError(msg)
    resolved: list[dict[str, Any]] = []
    for index, entry in enumerate(cast(list[dict[str, Any]], raw)):
        if "corpus" not in entry:
            resolved.append(entry)
            continue
        overrides = {key: value for key, value in entry.items() if key != "corpus"}
        found = _corpus(entry["corpus"], f"{where}[{index}]")
        if found.source != source:
            msg = (
                f"{where}[{index}]: corpus row {entry['corpus']!r} is a {found.source} row, "
                f"not a {source} row"
            )
            raise ScenarioError(msg)
        resolved.append(found.row | overrides)
    return tuple(resolved)


def render_captured(
    items: tuple[CapturedItem, ...], *, now: dt.datetime, seed: str
) -> list[tuple[str, dict[str, Any]]]:
    """Return ``(source, row)`` per item: a copy with times and ids set as the item says."""
    rng = random.Random(seed)  # noqa: S311 - ids only need to be unique and repeatable
    process, counter = rng.getrandbits(40), rng.getrandbits(24)
    now_ms = int(now.timestamp() * 1000)
    ids: list[str | None] = []
    rendered: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        row = copy.deepcopy(item.row)
        when = None if item.minutes_ago is None else now_ms - int(item.minutes_ago * 60_000)
        if "time" in item.omit:
            for name in _STRIPPED_TIME:
                row.pop(name, None)
        elif "time" not in item.keep:
            assert when is not None  # parse_captured demands minutes_ago here
            _set_time(row, item.source, when)
        key = id_field(item.source)
        if "id" in item.omit:
            row.pop(key, None)
        elif item.same_id_as is not None:
            row[key] = ids[item.same_id_as]
        elif "id" not in item.keep:
            counter = (counter + 1) % (1 << 24)
            seconds = (row_time(row, item.source) or when or now_ms) // 1000 + rng.randint(0, 5)
            row[key] = f"{seconds:08x}{process:010x}{counter:06x}"
        ids.append(row.get(key))
        rendered.append((item.source, row))
    return rendered


def _set_time(row: dict[str, Any], source: str, when: int) -> None:
    iso = dt.datetime.fromtimestamp(when // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if source == "system_log":
        row["timestamp"] = when
        if "time" in row:
            row["time"] = when
        return
    row["time"] = when
    if source != "ips" or "datetime" in row:
        row["datetime"] = iso
    if source == "ips" or "timestamp" in row:
        row["timestamp"] = when // 1000


def _corpus(reference: object, where: str) -> CorpusRow:
    if not isinstance(reference, str):
        msg = f"{where}: corpus reference must be a string '<file>:<row name>'"
        raise ScenarioError(msg)
    try:
        return corpus_row(reference)
    except CorpusError as err:
        msg = f"{where}: {err}"
        raise ScenarioError(msg) from err


def _fields(entry: dict[str, Any], name: str, where: str) -> frozenset[str]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not set(value) <= FIELDS:
        msg = f"{where}: '{name}' must be a list of {' and '.join(sorted(FIELDS))}"
        raise ScenarioError(msg)
    return frozenset(value)


def _item(entry: object, where: str, index: int, earlier: list[CapturedItem]) -> CapturedItem:
    if not isinstance(entry, dict):
        msg = f"{where}: expected a mapping"
        raise ScenarioError(msg)
    fields = cast(dict[str, Any], entry)
    if unknown := sorted(set(fields) - _KEYS):
        msg = f"{where}: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        raise ScenarioError(msg)
    if ("row" in fields) == ("corpus" in fields):
        msg = f"{where}: give exactly one of 'row' or 'corpus'"
        raise ScenarioError(msg)
    source = fields.get("source")
    if "corpus" in fields:
        found = _corpus(fields["corpus"], where)
        origin, row = f"corpus {fields['corpus']}", found.row
        if found.source not in SOURCES:
            msg = (
                f"{where}: {origin} is a {found.source} row; list it under the site's "
                f"{'devices' if found.source == 'device' else found.source}, not 'captured'"
            )
            raise ScenarioError(msg)
        source = source or found.source
        if (source == "system_log") != (found.source == "system_log"):
            msg = f"{where}: {origin} is a {found.source} row and cannot be served as {source}"
            raise ScenarioError(msg)
    else:
        origin, row = "inline row", fields["row"]
        if not isinstance(row, dict):
            msg = f"{where}: 'row' must be a mapping"
            raise ScenarioError(msg)
    if source not in SOURCES:
        msg = f"{where} ({origin}): source {source!r} is not one of {', '.join(SOURCES)}"
        raise ScenarioError(msg)
    item = CapturedItem(
        source=str(source),
        row=row,
        origin=origin,
        minutes_ago=_minutes(fields, f"{where} ({origin})"),
        keep=_fields(fields, "keep", where),
        omit=_fields(fields, "omit", where),
        same_id_as=fields.get("same_id_as"),
    )
    _check(item, f"{where} ({origin})", index, earlier)
    return item


def _minutes(fields: dict[str, Any], where: str) -> float | None:
    value = fields.get("minutes_ago")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        msg = f"{where}: minutes_ago must be a number of minutes, zero or more"
        raise ScenarioError(msg)
    return float(value)


def _check(item: CapturedItem, where: str, index: int, earlier: list[CapturedItem]) -> None:
    if both := item.keep & item.omit:
        msg = f"{where}: {', '.join(sorted(both))} cannot be both kept and omitted"
        raise ScenarioError(msg)
    if item.minutes_ago is None and not (item.keep | item.omit) & {"time"}:
        msg = f"{where}: minutes_ago is required unless the time is kept or omitted"
        raise ScenarioError(msg)
    if "time" in item.keep and row_time(item.row, item.source) is None:
        msg = f"{where}: keep: [time] but the row has no time to keep"
        raise ScenarioError(msg)
    if "id" in item.keep and not item.row.get(id_field(item.source)):
        msg = f"{where}: keep: [id] but the row has no {id_field(item.source)}"
        raise ScenarioError(msg)
    target = item.same_id_as
    if target is None:
        return
    if item.keep & {"id"} or item.omit & {"id"}:
        msg = f"{where}: same_id_as cannot be combined with keep or omit of the id"
        raise ScenarioError(msg)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < index:
        msg = f"{where}: same_id_as must be the index of an earlier captured item, not {target!r}"
        raise ScenarioError(msg)
    if "id" in earlier[target].omit:
        msg = f"{where}: same_id_as {target} names an item whose id is omitted"
        raise ScenarioError(msg)
