"""Scenario files: the sites, devices, clients and event mix a simulated gateway serves."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml  # type: ignore[import-untyped]

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
    """One site: raw device and health dicts as the controller returns them."""

    id: str
    name: str
    desc: str
    event_count: int
    mix: dict[str, float]
    clients: tuple[ClientSpec, ...]
    story: tuple[StoryEvent, ...]
    devices: tuple[dict[str, Any], ...]
    health: tuple[dict[str, Any], ...]


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
    raw = cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))
    default_mix = cast(dict[str, float], raw.get("mix", {}))
    sites = tuple(_site(site, default_mix) for site in cast(list[dict[str, Any]], raw["sites"]))
    return Scenario(
        name=name,
        timezone=str(raw.get("timezone", "UTC")),
        console=cast(dict[str, Any], raw["console"]),
        ssids=tuple(raw.get("ssids", ["Home"])),
        admins=tuple(raw.get("admins", ["admin"])),
        sites=sites,
    )


def _site(raw: dict[str, Any], default_mix: dict[str, float]) -> SiteSpec:
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
        devices=tuple(raw.get("devices", [])),
        health=tuple(raw.get("health", [])),
    )
