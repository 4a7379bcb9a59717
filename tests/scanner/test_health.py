"""Device and subsystem health from `stat/device` and `stat/health` items shaped like captures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.health import assess_health, number
from custom_components.unifi_scanner.scanner.models import Device, HealthSubsystem, Severity
from custom_components.unifi_scanner.scanner.normalize import normalize_device, normalize_health

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis

CATALOGUE = load_catalogue()
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

UDM: dict[str, Any] = {
    "_id": "5f0000000000000000000001",
    "mac": "f0:9f:c2:00:00:01",
    "name": "Dream Machine",
    "model": "UDMPRO",
    "type": "udm",
    "ip": "192.168.1.1",
    "state": 1,
    "adopted": True,
    "version": "4.0.6.6754",
    "upgradable": False,
    "uptime": 3971849,
    "system-stats": {"cpu": "3.1", "mem": "27.4", "uptime": "3971849"},
    "temperatures": [
        {"name": "CPU", "type": "cpu", "value": 66.0},
        {"name": "Local", "type": "board", "value": 48.75},
    ],
}
SWITCH: dict[str, Any] = {
    "_id": "5f0000000000000000000002",
    "mac": "74:ac:b9:00:00:01",
    "name": "Switch Office",
    "model": "US16P150",
    "type": "usw",
    "state": 1,
    "adopted": True,
    "version": "6.6.55",
    "system-stats": {},
    "general_temperature": 45,
    "has_temperature": True,
    "overheating": False,
    "total_max_power": 150,
    "port_table": [{"port_idx": 1, "poe_power": "60.5"}, {"port_idx": 2, "poe_power": "40"}],
}


def device(base: dict[str, Any], **overrides: Any) -> Device:
    item = {**base, **overrides}
    parsed = normalize_device(item)
    assert parsed is not None
    return parsed


def run(
    devices: list[Device],
    subsystems: list[HealthSubsystem] | None = None,
    thresholds: Thresholds | None = None,
) -> Analysis:
    return analyze(
        [],
        catalogue=CATALOGUE,
        devices=devices,
        health=subsystems or [],
        thresholds=thresholds or Thresholds(),
        now=NOW,
    )


def rule_ids(analysis: Analysis) -> list[str]:
    return [finding.rule_id for finding in analysis.findings]


def test_healthy_devices() -> None:
    analysis = run([device(UDM), device(SWITCH)])
    assert analysis.findings == ()
    assert [d.status for d in analysis.health.devices] == ["healthy", "healthy"]
    assert analysis.health.unhealthy == 0


def test_string_numbers_in_system_stats() -> None:
    analysis = run([device(UDM, **{"system-stats": {"cpu": "96.5", "mem": "90.25"}})])
    assert rule_ids(analysis) == ["cpu_critical", "memory_high"]
    cpu = analysis.findings[0]
    assert cpu.title == "Dream Machine is overloaded: CPU at 96.5%"
    assert cpu.subject_mac == "f0:9f:c2:00:00:01"
    assert cpu.subject_ip == "192.168.1.1"
    assert cpu.first_seen == cpu.last_seen == NOW
    (verdict,) = analysis.health.devices
    assert verdict.status == "critical"
    assert verdict.issues == (cpu.title, analysis.findings[1].title)


@pytest.mark.parametrize(
    ("cpu", "expected"),
    [("80", []), ("80.1", ["cpu_high"]), ("95", ["cpu_high"]), ("95.01", ["cpu_critical"])],
)
def test_thresholds_are_strict(cpu: str, expected: list[str]) -> None:
    analysis = run([device(UDM, **{"system-stats": {"cpu": cpu, "mem": "85"}})])
    assert rule_ids(analysis) == expected


def test_temperatures_list_uses_the_hottest_sensor() -> None:
    hot = [{"name": "CPU", "value": 91.5}, {"name": "PHY", "value": 70}]
    finding = run([device(UDM, temperatures=hot)]).findings[0]
    assert finding.rule_id == "temperature_critical"
    assert "CPU" in finding.explanation
    assert "91.5 °C" in finding.title


def test_temperature_at_the_boundary() -> None:
    assert rule_ids(run([device(SWITCH, general_temperature=80)])) == []
    assert rule_ids(run([device(SWITCH, general_temperature=81)])) == ["temperature_high"]
    assert rule_ids(run([device(SWITCH, general_temperature=90)])) == ["temperature_high"]


def test_usg_temps_map_with_units() -> None:
    stats = {"cpu": "5", "mem": "30", "temps": {"Board (CPU)": "51 C", "CPU": "92 C"}}
    analysis = run([device(UDM, temperatures=[], **{"system-stats": stats})])
    assert rule_ids(analysis) == ["temperature_critical"]


def test_overheating_flag() -> None:
    analysis = run([device(SWITCH, overheating=True)])
    assert rule_ids(analysis) == ["device_overheating"]
    assert analysis.health.devices[0].status == "critical"


def test_offline_device_reports_only_that() -> None:
    stale = {"cpu": "99", "mem": "99"}
    analysis = run([device(UDM, state=0, upgradable=True, **{"system-stats": stale})])
    assert rule_ids(analysis) == ["device_offline"]
    (verdict,) = analysis.health.devices
    assert verdict.status == "offline"
    assert analysis.health.unhealthy == 1


@pytest.mark.parametrize(
    ("state", "rule_id", "status"),
    [
        (6, "device_heartbeat_missed", "warning"),
        (10, "device_adoption_failed", "warning"),
        (11, "device_isolated", "critical"),
    ],
)
def test_device_states(state: int, rule_id: str, status: str) -> None:
    analysis = run([device(SWITCH, state=state)])
    assert rule_ids(analysis) == [rule_id]
    assert analysis.health.devices[0].status == status


def test_disabled_device_is_not_reported_offline() -> None:
    analysis = run([device(SWITCH, state=0, disabled=True)])
    assert analysis.findings == ()


def test_upgradable_firmware_is_low_and_keeps_device_healthy() -> None:
    analysis = run([device(SWITCH, upgradable=True, upgrade_to_firmware="7.0.50")])
    (finding,) = analysis.findings
    assert finding.rule_id == "firmware_upgradable"
    assert finding.severity is Severity.LOW
    assert "7.0.50" in finding.explanation
    assert "6.6.55" in finding.explanation
    (verdict,) = analysis.health.devices
    assert verdict.status == "healthy"
    assert verdict.issues == (finding.title,)


def test_poe_budget() -> None:
    # 100.5 W of 150 W is 67 %: fine. 140 W is 93.3 %: above the 90 % warning.
    assert rule_ids(run([device(SWITCH)])) == []
    ports = [{"poe_power": "100"}, {"poe_power": "40"}]
    finding = run([device(SWITCH, port_table=ports)]).findings[0]
    assert finding.rule_id == "poe_budget_high"
    assert "93.3%" in finding.title


def test_console_storage() -> None:
    storage = [
        {"mount_point": "/", "name": "root", "size": 1000, "used": 500},
        {"mount_point": "/volume1", "name": "volume1", "size": 1000, "used": 960},
    ]
    finding = run([device(UDM, storage=storage)]).findings[0]
    assert finding.rule_id == "storage_critical"
    assert "volume1" in finding.title
    assert "96%" in finding.title


def test_wan_links_from_the_gateway() -> None:
    item = {
        **UDM,
        "wan1": {"name": "WAN", "up": True, "latency": 150},
        "wan2": {"name": "WAN2", "up": False},
        "uptime_stats": {"WAN": {"availability": 98.5, "latency_average": 150}},
    }
    analysis = run([device(item)])
    assert sorted(rule_ids(analysis)) == [
        "wan_availability_low",
        "wan_latency_high",
        "wan_link_down",
    ]
    down = next(f for f in analysis.findings if f.rule_id == "wan_link_down")
    assert "WAN2" in down.title


def test_internet_subsystems() -> None:
    subsystems = [
        normalize_health({"subsystem": "www", "status": "error", "latency": 250}),
        normalize_health(
            {
                "subsystem": "wan",
                "status": "warning",
                "gw_name": "Dream Machine",
                "uptime_stats": {"WAN": {"availability": 100, "latency_average": 20}},
            }
        ),
        normalize_health({"subsystem": "wlan", "status": "error"}),
    ]
    analysis = run([], [s for s in subsystems if s is not None])
    assert rule_ids(analysis) == ["internet_error", "internet_warning", "wan_latency_high"]
    assert "WWW" in analysis.findings[0].title
    assert analysis.findings[1].subject_name == "Dream Machine"
    assert len(analysis.health.subsystems) == 3


def test_latency_is_reported_once_when_device_and_subsystem_agree() -> None:
    gateway = device({**UDM, "wan1": {"name": "WAN", "up": True, "latency": 180}})
    www = normalize_health({"subsystem": "www", "status": "ok", "latency": 180})
    assert www is not None
    assert rule_ids(run([gateway], [www])) == ["wan_latency_high"]


def test_custom_thresholds() -> None:
    thresholds = Thresholds(temperature_warning=60, poe_warning=50, memory_warning=20)
    analysis = run([device(UDM), device(SWITCH)], thresholds=thresholds)
    assert sorted(rule_ids(analysis)) == ["memory_high", "poe_budget_high", "temperature_high"]


def test_assess_health_directly() -> None:
    summary, findings = assess_health(
        [device(UDM, state=0)], [], catalogue=CATALOGUE, thresholds=Thresholds(), now=NOW
    )
    assert summary.unhealthy == 1
    assert [finding.rule_id for finding in findings] == ["device_offline"]


@pytest.mark.parametrize(
    ("value", "text"), [(80.0, "80"), (80.04, "80"), (93.333, "93.3"), (0.0, "0")]
)
def test_number_format(value: float, text: str) -> None:
    assert number(value) == text
