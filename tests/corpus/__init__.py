"""Realistic gateway payload shapes, kept as YAML so tests and scenarios share one copy.

Each ``<name>.yaml`` here holds ``version: 1``, a ``description`` and ``rows``: items of
``{name, source, note, row}`` where ``row`` is one raw item as a gateway sends it. The rows
carry fixed times; whoever serves them (the simulator, a test) rebases them.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import yaml  # type: ignore[import-untyped]

CORPUS_DIR: Final = Path(__file__).parent
SOURCES: Final = frozenset({"system_log", "event", "alarm", "ips", "device", "health"})
"""Where a row comes from: a v2 system-log entry, a legacy store, a device or a health item."""
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class CorpusError(ValueError):
    """A corpus file or reference that does not follow the format."""


@dataclass(frozen=True, slots=True)
class CorpusRow:
    """One captured shape: `row` is the raw item, `note` says what is special about it."""

    name: str
    source: str
    note: str
    row: dict[str, Any]


def corpus_names() -> list[str]:
    """List the corpus files, by stem."""
    return sorted(path.stem for path in CORPUS_DIR.glob("*.yaml"))


def load_corpus(name: str) -> list[CorpusRow]:
    """Rows of ``<name>.yaml``, each with its own copy of the raw item."""
    return [dataclasses.replace(row, row=copy.deepcopy(row.row)) for row in _read(name)]


def all_rows() -> list[CorpusRow]:
    """Every row of every file; names must be unique across the whole corpus."""
    rows = [row for name in corpus_names() for row in load_corpus(name)]
    _check_unique([row.name for row in rows], "the corpus")
    return rows


def corpus_row(reference: str) -> CorpusRow:
    """Resolve ``"<file>:<row name>"`` to its row (a fresh copy)."""
    file, sep, name = reference.partition(":")
    if not sep or not file or not name:
        msg = f"corpus reference {reference!r} is not '<file>:<row name>'"
        raise CorpusError(msg)
    if file not in corpus_names():
        msg = f"corpus reference {reference!r}: no file {file}.yaml in {CORPUS_DIR}"
        raise CorpusError(msg)
    for row in load_corpus(file):
        if row.name == name:
            return row
    msg = f"corpus reference {reference!r}: {file}.yaml has no row named {name!r}"
    raise CorpusError(msg)


def parse_corpus(name: str, raw: object) -> tuple[CorpusRow, ...]:
    """Validate the parsed YAML of one corpus file and return its rows."""
    where = f"corpus file {name}.yaml"
    if not isinstance(raw, dict) or raw.get("version") != 1:
        msg = f"{where}: expected a mapping with 'version: 1'"
        raise CorpusError(msg)
    if not isinstance(raw.get("description"), str) or not raw["description"].strip():
        msg = f"{where}: 'description' must be a non-empty string"
        raise CorpusError(msg)
    items = raw.get("rows")
    if not isinstance(items, list) or not items:
        msg = f"{where}: 'rows' must be a non-empty list"
        raise CorpusError(msg)
    rows = tuple(_row(item, f"{where}, row {index}") for index, item in enumerate(items))
    _check_unique([row.name for row in rows], where)
    return rows


@functools.cache
def _read(name: str) -> tuple[CorpusRow, ...]:
    path = CORPUS_DIR / f"{name}.yaml"
    if not path.is_file():
        msg = f"unknown corpus file {name!r}; known: {', '.join(corpus_names())}"
        raise CorpusError(msg)
    return parse_corpus(name, yaml.safe_load(path.read_text(encoding="utf-8")))


def _row(item: object, where: str) -> CorpusRow:
    if not isinstance(item, dict) or set(item) != {"name", "source", "note", "row"}:
        msg = f"{where}: expected exactly the keys name, source, note and row"
        raise CorpusError(msg)
    fields = cast(dict[str, Any], item)
    name, source, note, row = fields["name"], fields["source"], fields["note"], fields["row"]
    if not isinstance(name, str) or not _NAME.match(name):
        msg = f"{where}: name {name!r} is not snake_case"
        raise CorpusError(msg)
    if source not in SOURCES:
        msg = f"{where} ({name}): unknown source {source!r}; known: {', '.join(sorted(SOURCES))}"
        raise CorpusError(msg)
    if not isinstance(note, str) or not note.strip() or "\n" in note.strip():
        msg = f"{where} ({name}): note must be one non-empty line"
        raise CorpusError(msg)
    if not isinstance(row, dict):
        msg = f"{where} ({name}): row must be a mapping"
        raise CorpusError(msg)
    return CorpusRow(name=name, source=source, note=note.strip(), row=row)


def _check_unique(names: list[str], where: str) -> None:
    repeated = sorted(name for name, count in collections.Counter(names).items() if count > 1)
    if repeated:
        msg = f"{where}: repeated row names {', '.join(repeated)}"
        raise CorpusError(msg)
