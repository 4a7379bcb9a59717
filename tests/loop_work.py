"""How much of a scan's work each turn of the event loop does, and which thread did the rest.

A wall-clock bound on the loop's lag passes or fails with the machine's load. What keeps the loop
responsive is structural, and that is what these tests assert instead: the heavy stages of a
large scan either run on a worker thread, or handle a bounded number of rows per turn of the
loop. ``LoopWork`` counts the loop's turns (each turn starts by asking the loop's selector for
ready I/O, so it counts those calls; nothing spins, the loop sleeps as it would) and wraps each
stage to record the rows it handled, the thread it ran on and the turn it ran in.
The figures in milliseconds are measured by ``scripts/bench --ha``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Self

from custom_components.unifi_scanner.scanner import transport
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from custom_components.unifi_scanner.scanner.normalize.pace import _WORKER_TURN as WORKER_TURN

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    import pytest

type RowCount = Callable[[tuple[Any, ...], Any], int]


def _rows_in_answer(_args: tuple[Any, ...], decoded: Any) -> int:
    """Rows in a decoded gateway answer: its ``data`` list, or the bare list (v2)."""
    data = decoded.get("data") if isinstance(decoded, dict) else decoded
    return len(data) if isinstance(data, list) else 0


def _rows_given(args: tuple[Any, ...], _result: Any) -> int:
    """Rows handed to a method as its first argument after ``self``."""
    return len(args[1])


def _rows_returned(_args: tuple[Any, ...], result: Any) -> int:
    return len(result)


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a watched stage."""

    stage: str
    rows: int
    on_loop: bool
    turn: int
    in_turn: bool
    """Whether the worker threads' turn was taken (``in_worker_turn``) while it ran."""


@dataclass
class LoopWork:
    """Record the watched stages of whatever runs while the context is open."""

    loop: asyncio.AbstractEventLoop
    monkeypatch: pytest.MonkeyPatch
    calls: list[Call] = field(default_factory=list)
    turn: int = 0
    _loop_thread: int = field(default_factory=threading.get_ident)
    _counting: bool = False

    def watch(self, owner: object, name: str, stage: str, rows: RowCount) -> None:
        """Wrap ``owner.name`` so each call is recorded as ``stage`` with ``rows(args, result)``."""
        original = getattr(owner, name)

        @wraps(original)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if self._counting:  # only while the turns are counted
                on_loop = threading.get_ident() == self._loop_thread
                self.calls.append(
                    Call(stage, rows(args, result), on_loop, self.turn, WORKER_TURN.locked())
                )
            return result

        self.monkeypatch.setattr(owner, name, recorded)

    def watch_collection(self) -> None:
        """Watch the client's stages: decoding each answer, normalising pages, handing over."""
        self.watch(transport, "_decode", "decode", _rows_in_answer)
        self.watch(OrderedCollector, "add", "normalise", _rows_given)
        self.watch(OrderedCollector, "ready", "hand over", _rows_returned)

    def __enter__(self) -> Self:
        """Start counting the loop's turns."""
        selector = self.loop._selector  # type: ignore[attr-defined]
        select = selector.select

        def counted(timeout: float | None = None) -> Any:
            self.turn += 1
            return select(timeout)

        self.monkeypatch.setattr(selector, "select", counted)
        self._counting = True
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop counting."""
        self._counting = False

    def stages(self) -> set[str]:
        """Return every stage that ran at least once."""
        return {call.stage for call in self.calls}

    def busiest_turn(self, stages: set[str] | None = None) -> int:
        """Return the most rows the watched stages (or ``stages``) handled in one loop turn."""
        per_turn: Counter[int] = Counter()
        for call in self.calls:
            if call.on_loop and (stages is None or call.stage in stages):
                per_turn[call.turn] += call.rows
        return max(per_turn.values(), default=0)

    def turns(self, stages: set[str]) -> set[int]:
        """Return the loop turns in which any of ``stages`` ran on the loop."""
        return {call.turn for call in self.calls if call.on_loop and call.stage in stages}

    def rows(self, stage: str) -> int:
        """Return how many rows ``stage`` handled in all."""
        return sum(call.rows for call in self.calls if call.stage == stage)
