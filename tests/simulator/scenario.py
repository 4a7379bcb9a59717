"""Scenario files: the sites, devices, clients and event mix a simulated gateway serves."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml  # type: ignore[import-untyped]

from .captured import CapturedItem, ScenarioError, parse_captured, resolve_entries

SCENARIO_DIR = Path(__file__).parent / "scenarios"


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """A client that comes and goes in the event stream."""

    hostname: str
    wired: bool = False
    guest: bool = False
    network: str = "LAN"


@dataclass(frozen=True, slots=True)
class StoryEvent:
    """A fixed occurrence placed `minutes_ago`, for things a test wants to find."""

    key: str
    minutes_ago: float
    device: str | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One site: raw device and health dicts as the controller returns them.

    `captured` rows are served verbatim beside the generated ones (see `captured.py`).
    """

    id: str
    name: str
    desc: str
    event_count: int
    mix: dict[str, float]
    clients: tuple[ClientSpec, ...]
    story: tuple[StoryEvent, ...]
    devices: tuple[dict[str, Any], ...]
    health: tuple[dict[str, Any], ...]
    captured: tuple[CapturedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole controller: console identity plus its sites."""

    name: str
    timezone: str
    console: dict[str, Any]
    ssids: tuple[str, ...]
    admins: tuple[str, ...]
    sites: tuple[SiteSpec, ...]


def scenario_names() -> list[str]:
    """List the scenarios shipped with the simulator."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


@functools.cache
def load_scenario(name: str) -> Scenario:
    """Read `scenarios/<name>.yaml` (cached; callers copy the raw dicts they mutate)."""
    path = SCENARIO_DIR / f"{name}.yaml"
    if not path.is_file():
        msg = f"unknown scenario {name!r}; known: {', '.join(scenario_names())}"
        raise ValueError(msg)
    return build_scenario(name, yaml.safe_load(path.read_text(encoding="utf-8")))


def build_scenario(name: str, raw: Any) -> Scenario:
    """Make a scenario from parsed YAML; bad corpus references and captured items raise here."""
    if not isinstance(raw, dict):
        msg = f"scenario {name}: expected a mapping"
        raise ScenarioError(msg)
    default_mix = cast(dict[str, float], raw.get("mix", {}))
    sites = tuple(
        _site(site, default_mix, f"scenario {name}, site {site.get('name')!r}")
        for site in cast(list[dict[str, Any]], raw["sites"])
    )
    return Scenario(
        name=name,
        timezone=str(raw.get("timezone", "UTC")),
        console=cast(dict[str, Any], raw["console"]),
        ssids=tuple(raw.get("ssids", ["Home"])),
        admins=tuple(raw.get("admins", ["admin"])),
        sites=sites,
    )


def _site(raw: dict[str, Any], default_mix: dict[str, float], where: str) -> SiteSpec:
    story = tuple(
        StoryEvent(
            key=str(item["key"]),
            minutes_ago=float(item["minutes_ago"]),
            device=item.get("device"),
            fields=dict(item.get("fields", {})),
        )
        for item in raw.get("story", [])
    )
    return SiteSpec(
        id=str(raw["id"]),
        name=str(raw["name"]),
        desc=str(raw["desc"]),
        event_count=int(raw.get("events", 0)),
        mix={str(k): float(v) for k, v in raw.get("mix", default_mix).items()},
        clients=tuple(ClientSpec(**client) for client in raw.get("clients", [])),
        story=story,
        devices=resolve_entries(raw.get("devices"), "device", f"{where}, devices"),
        health=resolve_entries(raw.get("health"), "health", f"{where}, health"),
        captured=parse_captured(raw.get("captured"), where),
    )
