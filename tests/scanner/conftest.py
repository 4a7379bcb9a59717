"""Fixtures of the scanner tests that run against the gateway simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.simulator import GatewaySimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[GatewaySimulator]:
    """Run a simulator; ``indirect`` parametrisation passes constructor arguments."""
    kwargs: dict[str, Any] = getattr(request, "param", {})
    async with GatewaySimulator(**kwargs) as simulator:
        yield simulator
