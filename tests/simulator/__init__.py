"""A realistic UniFi gateway on 127.0.0.1 for tests, benchmarks and local development."""

from __future__ import annotations

from .events import generate_events, generate_ips_events, generate_system_log
from .faults import Faults, Gate, Mode
from .scenario import scenario_names
from .server import GatewaySimulator

__all__ = [
    "Faults",
    "Gate",
    "GatewaySimulator",
    "Mode",
    "generate_events",
    "generate_ips_events",
    "generate_system_log",
    "scenario_names",
]
