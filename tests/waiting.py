"""Waiting on state that changes in another task, with a guard instead of a time bound."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from tests.simulator.faults import HANG_GUARD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine

TICK = 0.002
"""How often `until` looks again; a poll interval, never a bound."""


async def until(predicate: Callable[[], bool]) -> None:
    """Return once ``predicate`` holds; the guard only keeps a broken test from hanging."""
    async with asyncio.timeout(HANG_GUARD):
        while not predicate():  # noqa: ASYNC110 - counters and feeds have no event to await
            await asyncio.sleep(TICK)


@contextlib.asynccontextmanager
async def running(coro: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``coro`` as a task for the block, then cancel it; its own failure is raised."""
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
