"""How a heavy batch runs: with the cyclic collector paused, in the worker threads' turn.

Decoding, normalising and analysing a page are the only steps whose size grows with the
gateway's log; these two helpers keep such a step cheap for the collector and out of the event
loop's way.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around one bounded, synchronous batch.

    Decoding and normalising a page allocates thousands of dicts and entries, and the collector
    would traverse them again and again while they are being built (at 100 000 events that was
    a fifth of the parse time, and Home Assistant's far larger heap makes each full collection
    dearer). Callers wrap one page at a time, never an ``await``: the collector runs normally
    between pages and catches up on the page at its next collection. A collector that was
    already disabled (by the application) stays disabled.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_WORKER_TURN = threading.Lock()


def in_worker_turn[R](work: Callable[[], R]) -> R:
    """Run ``work`` in the worker threads' turn: one heavy batch (a page) at a time.

    A collection reads the next page while the last one is digested, and live pushes are
    analysed while a scan runs; without turns two workers share the GIL with the event loop,
    which then waits behind both (on one core, a longest block of 26 ms instead of 18). A
    worker waiting for its turn holds no GIL. Only for worker threads: on the event loop it
    would wait for another thread's batch.
    """
    with _WORKER_TURN:
        return work()
