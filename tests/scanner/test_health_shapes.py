"""Health payloads as real gateways send them: per-target WAN monitors, speed tests and VPN."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.unifi_scanner.scanner.auth import ApiKey
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.client import UnifiClient
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.models import Severity, WanMonitor
from custom_components.unifi_scanner.scanner.normalize import normalize_health
from custom_components.unifi_scanner.scanner.render import render_markdown
from custom_components.unifi_scanner.scanner.report import build_report
from tests.simulator import GatewaySimulator

from .test_health import device, rule_ids, run

# A USG-3P: no top-level availability or latency, only a list of monitors per WAN.
USG: dict[str, Any] = {
    "_id": "5f0000000000000000000009",
    "mac": "fc:ec:da:00:00:09",
    "name": "USG 3P",
    "model": "UGW3",
    "type": "ugw",
    "ip": "192.168.1.1",
    "state": 1,
    "adopted": True,
    "version": "4.4.57",
    "system-stats": {"cpu": "12", "mem": "40"},
    "wan1": {"name": "WAN", "up": True},
    "wan2": {"name": "WAN2", "up": True},
    "uptime_stats": {
        "WAN": {
            "monitors": [
                {"availability": 100.0, "latency_average": 9, "target": "ping.ubnt.com"},
                {"availability": 100.0, "latency_average": 13, "target": "1.1.1.1"},
            ]
        },
        "WAN2": {
            "monitors": [
                {"availability": 0.0, "latency_average": 0, "target": "ping.ubnt.com"},
                {"availability": 0.0, "target": "1.1.1.1"},
            ]
        },
    },
}


def _monitors(*readings: tuple[str, float, float]) -> dict[str, Any]:
    return {
        "monitors": [
            {"target": target, "availability": availability, "latency_average": latency}
            for target, availability, latency in readings
        ]
    }


def test_monitor_figures_are_read_per_link() -> None:
    wan, wan2 = device(USG).wan
    assert (wan.availability, wan.latency_ms) == (100.0, 11.0)  # lowest; mean across monitors
    assert wan.monitors == (
        WanMonitor(target="ping.ubnt.com", availability=100.0, latency_ms=9.0),
        WanMonitor(target="1.1.1.1", availability=100.0, latency_ms=13.0),
    )
    assert (wan2.availability, wan2.up) == (0.0, True)


def test_a_link_whose_every_monitor_fails_is_reported_although_its_port_is_up() -> None:
    analysis = run([device(USG)])
    assert rule_ids(analysis) == ["wan_monitors_failing"]
    (finding,) = analysis.findings
    assert finding.severity is Severity.SEVERE
    assert "WAN2" in finding.title
    assert "USG 3P" in finding.title
    assert "ping.ubnt.com, 1.1.1.1" in finding.explanation
    assert analysis.health.devices[0].status == "critical"


def test_the_worst_monitor_is_named() -> None:
    uptime = {"WAN": _monitors(("ping.ubnt.com", 100.0, 20), ("8.8.8.8", 96.5, 30))}
    analysis = run([device(USG, uptime_stats=uptime, wan2=None)])
    assert rule_ids(analysis) == ["wan_monitor_availability_low"]
    finding = analysis.findings[0]
    assert finding.title == "Internet link WAN reached 8.8.8.8 only 96.5% of the time"
    assert "ping.ubnt.com, 8.8.8.8" in finding.explanation
    assert any("If only 8.8.8.8 fails" in step for step in finding.remediation)


def test_latency_is_the_mean_of_the_monitors() -> None:
    readings = (180, 260)  # what the gateway reports for each target, not a time we measure
    uptime = {
        "WAN": _monitors(("ping.ubnt.com", 100.0, readings[0]), ("1.1.1.1", 100.0, readings[1]))
    }
    analysis = run([device(USG, uptime_stats=uptime, wan2=None)])
    assert rule_ids(analysis) == ["wan_monitor_latency_high"]
    finding = analysis.findings[0]
    # The title names the link and one figure for it: the mean of the monitors' readings,
    # neither of the readings themselves. Nothing here is timed; the figures are the gateway's.
    link, figure = finding.title.removeprefix("High internet latency on ").split(": ")
    assert link == "WAN"
    assert int(figure.split()[0]) == statistics.mean(readings)
    assert int(figure.split()[0]) not in readings
    assert "(ping.ubnt.com, 1.1.1.1)" in finding.explanation


def test_a_link_with_its_own_figures_keeps_the_plain_rules() -> None:
    """Top-level figures win; the monitors then only back them up and are not named."""
    uptime = {"WAN": {"availability": 97.0, "latency_average": 150, **_monitors(("x", 0.0, 0))}}
    analysis = run([device(USG, uptime_stats=uptime, wan2=None)])
    assert sorted(rule_ids(analysis)) == ["wan_availability_low", "wan_latency_high"]
    assert device(USG, uptime_stats=uptime).wan[0].monitors == ()


def test_the_speed_test_latency_is_the_last_resort() -> None:
    item = {**USG, "uptime_stats": {}, "wan2": None, "speedtest-status": {"latency": 140}}
    (wan,) = device(item).wan
    assert wan.latency_ms == 140.0
    assert rule_ids(run([device(item)])) == ["wan_latency_high"]
    lazy = device({**item, "speedtest-status": "not a dict"})
    assert lazy.wan[0].latency_ms is None


def test_monitor_findings_make_the_subsystem_ones_redundant() -> None:
    uptime = {"WAN": _monitors(("ping.ubnt.com", 100.0, 180), ("1.1.1.1", 100.0, 260))}
    www = normalize_health({"subsystem": "www", "status": "ok", "latency": 220})
    assert www is not None
    analysis = run([device(USG, uptime_stats=uptime, wan2=None)], [www])
    assert rule_ids(analysis) == ["wan_monitor_latency_high"]


def test_hostile_monitor_targets_stay_text() -> None:
    uptime = {"WAN": _monitors(("<img src=x onerror=alert(1)>\x1b[2J", 50.0, 10))}
    finding = run([device(USG, uptime_stats=uptime, wan2=None)]).findings[0]
    assert "\x1b" not in finding.title
    assert "<img src=x onerror=alert(1)>" in finding.title  # escaping is the renderers' job


VPN_DOWN = {
    "subsystem": "vpn",
    "status": "error",
    "remote_user_enabled": True,
    "remote_user_num_active": 0,
    "site_to_site_enabled": True,
    "site_to_site_num_active": 0,
    "site_to_site_num_inactive": 1,
}


def test_a_site_to_site_tunnel_down_is_a_finding_with_advice() -> None:
    vpn = normalize_health(VPN_DOWN)
    assert vpn is not None
    assert (vpn.tunnels_active, vpn.tunnels_inactive) == (0, 1)
    analysis = run([], [vpn])
    assert rule_ids(analysis) == ["vpn_tunnel_down"]
    finding = analysis.findings[0]
    assert finding.title == "Site-to-site VPN down (1 inactive, 0 active)"
    assert finding.severity is Severity.MEDIUM
    steps = " ".join(finding.remediation)
    for advice in ("public address", "pre-shared key", "routes"):
        assert advice in steps


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"subsystem": "vpn", "status": "error", "remote_user_enabled": True}, ["vpn_error"]),
        ({**VPN_DOWN, "site_to_site_num_inactive": "0"}, ["vpn_error"]),
        ({**VPN_DOWN, "site_to_site_enabled": False}, ["vpn_error"]),
        ({**VPN_DOWN, "status": "ok"}, []),
        ({"subsystem": "vpn", "status": "unknown"}, []),
        ({"subsystem": "VPN", "status": "WARNING"}, ["vpn_error"]),
    ],
)
def test_vpn_statuses(item: dict[str, Any], expected: list[str]) -> None:
    vpn = normalize_health(item)
    assert vpn is not None
    assert rule_ids(run([], [vpn])) == expected


@pytest.mark.parametrize("subsystem", ["lan", "wlan"])
@pytest.mark.parametrize("status", ["warning", "error"])
def test_lan_and_wlan_statuses_are_left_to_the_device_findings(subsystem: str, status: str) -> None:
    """Their status only sums up offline switches or access points, each its own finding."""
    health = normalize_health({"subsystem": subsystem, "status": status, "num_disconnected": 1})
    assert health is not None
    assert rule_ids(run([], [health])) == []


def test_every_subsystem_status_has_a_decision() -> None:
    """Non-ok statuses of every subsystem: a finding, or deliberately none (lan, wlan)."""
    decided: dict[str, list[str]] = {}
    for name in ("wan", "www", "lan", "wlan", "vpn"):
        health = normalize_health({"subsystem": name, "status": "error"})
        assert health is not None
        decided[name] = rule_ids(run([], [health], Thresholds()))
    assert decided == {
        "wan": ["internet_error"],
        "www": ["internet_error"],
        "lan": [],
        "wlan": [],
        "vpn": ["vpn_error"],
    }


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("site", "rule_id", "words"),
    [
        ("default", "vpn_tunnel_down", "Site-to-site VPN down"),
        ("jl3z2shm", "wan_monitors_failing", "Internet link WAN2 on Warehouse USG reaches none"),
    ],
)
async def test_the_shapes_arrive_through_the_client_into_the_report(
    site: str, rule_id: str, words: str
) -> None:
    now = datetime.now(UTC)
    async with (
        GatewaySimulator(scenario="multisite") as sim,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        assert sim.api_key is not None
        client = UnifiClient(
            session=session,
            host=sim.host,
            port=sim.port,
            site=site,
            credentials=ApiKey(sim.api_key),
        )
        fetched = await client.fetch_since(now - timedelta(hours=1), until=now)
    catalogue = load_catalogue()
    analysis = analyze(
        fetched.entries,
        catalogue=catalogue,
        devices=fetched.devices,
        health=fetched.health,
        thresholds=Thresholds(),
        now=now,
    )
    assert rule_id in rule_ids(analysis)
    report = build_report(
        analysis,
        gateway="Acme Office",
        site=site,
        period_start=fetched.since,
        period_end=fetched.until,
        generated_at=now,
    )
    assert words in render_markdown(report)
