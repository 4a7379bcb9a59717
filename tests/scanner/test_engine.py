"""The analysis engine: golden findings per rule, aggregation, windows and cross-source dedup.

Entries are built from raw items shaped like the captures in UNIFI_API.md and normalised the way
a scan does, so these tests also prove the rules' placeholders exist in real items.
"""

from __future__ import annotations

import itertools
import re
from array import array
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner import guessing
from custom_components.unifi_scanner.scanner.catalogue import EngineRule, load_catalogue
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.models import (
    Device,
    Finding,
    LogEntry,
    Severity,
    Source,
    Storage,
    Temperature,
    WanLink,
    WanMonitor,
)
from custom_components.unifi_scanner.scanner.normalize import (
    normalize_entries,
    normalize_event,
    normalize_health,
    normalize_ips,
    normalize_system_log,
    template_fields,
)
from custom_components.unifi_scanner.scanner.windows import max_in_window
from tests.simulator import generate_events, generate_ips_events, generate_system_log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from custom_components.unifi_scanner.scanner.analysis import Analysis
    from custom_components.unifi_scanner.scanner.catalogue import Rule

CATALOGUE = load_catalogue()
PLACEHOLDER = re.compile(r"\{(\w+)\}")
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
NOW = datetime(2025, 1, 2, tzinfo=UTC)
MINUTE = 60.0
_ids = itertools.count(1)

AP: dict[str, Any] = {"ap": "80:2a:a8:00:01:02", "ap_name": "AP Living"}
SWITCH: dict[str, Any] = {"sw": "74:ac:b9:00:00:01", "sw_name": "Switch Office"}
GATEWAY: dict[str, Any] = {"gw": "e0:63:da:00:00:01", "gw_name": "Gateway"}
CLIENT: dict[str, Any] = {"user": "00:00:00:00:00:01", "hostname": "laptop"}

# Every field a legacy event may carry (UNIFI_API.md sections 5 and 6), so a golden entry fills
# every placeholder a rule can use.
FULL_FIELDS: dict[str, Any] = {
    **AP,
    **CLIENT,
    "client": "00:00:00:00:00:09",
    "ap_from": "80:2a:a8:00:01:03",
    "ap_to": "80:2a:a8:00:01:02",
    "ssid": "Home",
    "essid": "FreeWifi",
    "channel": "44",
    "channel_from": "36",
    "channel_to": "44",
    "radio": "na",
    "radio_from": "ng",
    "radio_to": "na",
    "radar_channel": "52",
    "freq": 5260,
    "admin": "alice",
    "ip": "192.168.1.77",
    "mac": "aa:bb:cc:dd:ee:ff",
    "version": "9.1.120",
    "version_from": "6.6.55",
    "version_to": "6.6.77",
    "iface": "eth8",
    "state": "active",
    "port": 7,
    "vlan": 10,
    "network": "LAN",
    "network_name": "Default",
    "outlet": 2,
    "proc": "hostapd",
    "exit_status": 139,
    "caller": "watchdog",
    "duration": 467,
    "num_sta": 3,
    "commit_errors": "firewall: bad group",
    "reason": "no free subnet",
    "rc": 4,
    "usable_bytes": 1000,
    "total_bytes": 64000,
    "num": 5,
    "code": "12345",
}
# A message per rule where the rule needs one to be chosen among rules sharing a key.
MESSAGES = {
    "wan_down": "Gateway[e0:63:da:00:00:01] WAN iface [eth8] transition to state [inactive]",
    "wan_transition": "Gateway[e0:63:da:00:00:01] WAN iface [eth8] transition to state [active]",
}


def legacy(key: str, *, at: float = 0.0, source: Source = Source.EVENT, **fields: Any) -> LogEntry:
    """Normalise a legacy event item dated ``at`` seconds after the base time."""
    ms = BASE_MS + round(at * 1000)
    item: dict[str, Any] = {
        "_id": f"{next(_ids):024x}",
        "key": key,
        "time": ms,
        "datetime": datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "msg": f"{key} happened",
        "site_id": "5a32aa4ee4b0412345678910",
        "subsystem": "lan",
    }
    item.update(fields)
    entry = normalize_event(item, source)
    assert entry is not None
    return entry


def system_log(key: str, *, at: float = 0.0, **parameters: dict[str, Any]) -> LogEntry:
    """Normalise a v2 system-log entry with the given parameter roles."""
    item = {
        "id": f"{next(_ids):024x}",
        "key": key,
        "category": "CLIENT_DEVICES",
        "severity": "LOW",
        "timestamp": BASE_MS + round(at * 1000),
        "title_raw": key.replace("_", " ").title(),
        "message_raw": "{CLIENT} {DEVICE}",
        "parameters": parameters,
    }
    entry = normalize_system_log(item)
    assert entry is not None
    return entry


def run(entries: Iterable[LogEntry], **kwargs: Any) -> Analysis:
    return analyze(list(entries), catalogue=CATALOGUE, now=NOW, **kwargs)


def only(analysis: Analysis, rule_id: str) -> list[Finding]:
    return [finding for finding in analysis.findings if finding.rule_id == rule_id]


def texts(finding: Finding) -> list[str]:
    return [finding.title, finding.explanation, *finding.remediation]


# --- golden findings per rule -----------------------------------------------------------------

EVENT_RULES = [rule for rule in CATALOGUE.rules if rule.trigger == "event"]
LEGACY_CASES = [(rule, key) for rule in EVENT_RULES for key in sorted(rule.keys)]
V2_CASES = [(rule, key) for rule in EVENT_RULES for key in sorted(rule.v2_keys)]


def _case_id(case: tuple[Rule, str]) -> str:
    return f"{case[0].id}-{case[1]}"


def _assert_golden(analysis: Analysis, rule: Rule) -> Finding:
    findings = only(analysis, rule.id)
    assert len(findings) == 1, [f.rule_id for f in analysis.findings]
    finding = findings[0]
    assert finding.severity is rule.severity
    assert finding.category is rule.category
    assert finding.count == 1
    for text in texts(finding):
        assert "{" not in text
        assert "}" not in text
        assert text.strip()
    assert analysis.unknown_keys == {}
    return finding


@pytest.mark.parametrize("case", LEGACY_CASES, ids=[_case_id(c) for c in LEGACY_CASES])
def test_golden_legacy_key(case: tuple[Rule, str]) -> None:
    rule, key = case
    entry = legacy(key, msg=MESSAGES.get(rule.id, f"{key} happened"), **FULL_FIELDS)
    finding = _assert_golden(run([entry]), rule)
    # A legacy item carries every field the rule names: no placeholder falls back to "unknown".
    templates = " ".join([rule.title, rule.explanation, *rule.remediation])
    available = set(template_fields(entry)) | {"subject", "count", "clients"}
    assert set(PLACEHOLDER.findall(templates)) <= available
    if rule.subject != "site":
        assert finding.subject_name or finding.subject_mac or finding.subject_ip


@pytest.mark.parametrize("case", V2_CASES, ids=[_case_id(c) for c in V2_CASES])
def test_golden_v2_key(case: tuple[Rule, str]) -> None:
    rule, key = case
    entry = system_log(
        key,
        CLIENT={"id": "00:00:00:00:00:01", "name": "laptop", "ip": "192.168.1.77"},
        DEVICE={"id": "80:2a:a8:00:01:02", "name": "AP Living"},
    )
    # Threat entries normally go to the threat overview; the key rule is their fallback.
    _assert_golden(run([replace(entry, threat=None)]), rule)


def test_every_rule_has_a_golden_case() -> None:
    covered = {rule.id for rule, _ in LEGACY_CASES + V2_CASES} | set(ENGINE_SCENARIOS)
    assert covered == {rule.id for rule in CATALOGUE.rules}


# --- engine rules: one scenario each ----------------------------------------------------------


def _failed_logins() -> list[LogEntry]:
    return [
        legacy("EVT_AD_LoginFailed", at=i * MINUTE, admin="admin", ip="203.0.113.9")
        for i in range(5)
    ]


def _roams() -> list[LogEntry]:
    return [legacy("EVT_WU_Roam", at=i * 10 * MINUTE, **CLIENT, **AP) for i in range(5)]


def _wan(count: int) -> list[LogEntry]:
    return [
        legacy(
            "EVT_GW_WANTransition",
            at=i * 5 * MINUTE,
            msg=MESSAGES["wan_down" if i % 2 == 0 else "wan_transition"],
            iface="eth8",
            **GATEWAY,
        )
        for i in range(count)
    ]


def _lost_contact() -> list[LogEntry]:
    return [legacy("EVT_AP_Lost_Contact", at=i * 3600.0, **AP) for i in range(3)]


def _ips(severity: int) -> list[LogEntry]:
    item = {
        "_id": f"{next(_ids):024x}",
        "key": "EVT_IPS_IpsAlert",
        "timestamp": BASE_MS // 1000,
        "src_ip": "198.51.100.7",
        "dest_ip": "192.168.1.20",
        "inner_alert_signature": "ET TROJAN Known Bad CnC",
        "inner_alert_signature_id": 2000001,
        "inner_alert_category": "A Network Trojan was Detected",
        "inner_alert_severity": severity,
        "inner_alert_action": "allowed",
    }
    entry = normalize_ips(item)
    assert entry is not None
    return [entry]


def _device(**fields: Any) -> Device:
    values: dict[str, Any] = {
        "mac": "f0:9f:c2:00:00:01",
        "name": "Dream Machine",
        "model": "UDMPRO",
        "type": "udm",
        "state": 1,
        "adopted": True,
        "version": "4.0.6",
        "upgradable": False,
        "upgrade_to": None,
        "uptime": 1000,
        "cpu": 10.0,
        "mem": 20.0,
    }
    values.update(fields)
    return Device(**values)


def _monitored(*, latency_ms: float | None, availability: float) -> WanLink:
    """Return a WAN link known only through one per-target monitor."""
    monitor = WanMonitor(target="ping.ubnt.com", availability=availability, latency_ms=latency_ms)
    return WanLink(
        name="WAN", up=True, latency_ms=latency_ms, availability=availability, monitors=(monitor,)
    )


def _with_devices(*devices: Device) -> Callable[[], Analysis]:
    return lambda: run([], devices=devices)


def _with_health(*items: dict[str, Any]) -> Callable[[], Analysis]:
    subsystems = [normalize_health(item) for item in items]
    return lambda: run([], health=[s for s in subsystems if s is not None])


ENGINE_SCENARIOS: dict[str, Callable[[], Analysis]] = {
    EngineRule.BRUTE_FORCE: lambda: run(_failed_logins()),
    EngineRule.ROAMING_FLAP: lambda: run(_roams()),
    EngineRule.WAN_FLAPPING: lambda: run(_wan(3)),
    EngineRule.WAN_FLAPPING_SEVERE: lambda: run(_wan(6)),
    EngineRule.LOST_CONTACT_REPEATED: lambda: run(_lost_contact()),
    EngineRule.THREAT_SEVERE: lambda: run(_ips(1)),
    EngineRule.THREAT_MEDIUM: lambda: run(_ips(2)),
    EngineRule.DEVICE_OFFLINE: _with_devices(_device(state=0)),
    EngineRule.HEARTBEAT_MISSED: _with_devices(_device(state=6)),
    EngineRule.DEVICE_ISOLATED: _with_devices(_device(state=11)),
    EngineRule.ADOPTION_FAILED: _with_devices(_device(state=10)),
    EngineRule.FIRMWARE_UPGRADABLE: _with_devices(_device(upgradable=True, upgrade_to="4.1.0")),
    EngineRule.TEMPERATURE_HIGH: _with_devices(
        _device(temperatures=(Temperature(name="CPU", value=85.0),))
    ),
    EngineRule.TEMPERATURE_CRITICAL: _with_devices(
        _device(temperatures=(Temperature(name="CPU", value=95.0),))
    ),
    EngineRule.OVERHEATING: _with_devices(_device(overheating=True)),
    EngineRule.CPU_HIGH: _with_devices(_device(cpu=85.0)),
    EngineRule.CPU_CRITICAL: _with_devices(_device(cpu=99.0)),
    EngineRule.MEMORY_HIGH: _with_devices(_device(mem=90.0)),
    EngineRule.MEMORY_CRITICAL: _with_devices(_device(mem=99.0)),
    EngineRule.STORAGE_HIGH: _with_devices(
        _device(storage=(Storage(name="/volume1", size=1000, used=900),))
    ),
    EngineRule.STORAGE_CRITICAL: _with_devices(
        _device(storage=(Storage(name="/volume1", size=1000, used=990),))
    ),
    EngineRule.POE_BUDGET_HIGH: _with_devices(_device(poe_used_w=95.0, poe_budget_w=100.0)),
    EngineRule.WAN_LINK_DOWN: _with_devices(
        _device(wan=(WanLink(name="WAN", up=False, latency_ms=None, availability=None),))
    ),
    EngineRule.WAN_LATENCY_HIGH: _with_devices(
        _device(wan=(WanLink(name="WAN", up=True, latency_ms=250.0, availability=100.0),))
    ),
    EngineRule.WAN_AVAILABILITY_LOW: _with_devices(
        _device(wan=(WanLink(name="WAN", up=True, latency_ms=10.0, availability=97.0),))
    ),
    EngineRule.WAN_MONITOR_LATENCY_HIGH: _with_devices(
        _device(wan=(_monitored(latency_ms=250.0, availability=100.0),))
    ),
    EngineRule.WAN_MONITOR_AVAILABILITY_LOW: _with_devices(
        _device(wan=(_monitored(latency_ms=10.0, availability=97.0),))
    ),
    EngineRule.WAN_MONITORS_FAILING: _with_devices(
        _device(wan=(_monitored(latency_ms=None, availability=0.0),))
    ),
    EngineRule.VPN_TUNNEL_DOWN: _with_health(
        {
            "subsystem": "vpn",
            "status": "error",
            "site_to_site_enabled": True,
            "site_to_site_num_active": 1,
            "site_to_site_num_inactive": 2,
        }
    ),
    EngineRule.VPN_ERROR: _with_health({"subsystem": "vpn", "status": "error"}),
    EngineRule.INTERNET_ERROR: _with_health({"subsystem": "www", "status": "error"}),
    EngineRule.INTERNET_WARNING: _with_health({"subsystem": "wan", "status": "warning"}),
}


@pytest.mark.parametrize("rule_id", list(ENGINE_SCENARIOS))
def test_engine_rule_scenario(rule_id: str) -> None:
    rule = CATALOGUE.get(rule_id)
    findings = only(ENGINE_SCENARIOS[rule_id](), rule_id)
    assert len(findings) == 1
    assert findings[0].severity is rule.severity
    for text in texts(findings[0]):
        assert "{" not in text
        assert "unknown" not in text.lower(), text


# --- aggregation ------------------------------------------------------------------------------


def test_one_finding_per_rule_and_subject() -> None:
    entries = [
        legacy("EVT_SW_PoeDisconnect", at=0, port=3, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=600, port=5, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=300, port=4, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=100, port=1, sw="74:ac:b9:00:00:02", sw_name="Attic"),
    ]
    findings = only(run(entries), "poe_disconnect")
    assert len(findings) == 2
    office = next(f for f in findings if f.subject_name == "Switch Office")
    assert office.count == 3
    assert office.subject_mac == "74:ac:b9:00:00:01"
    assert office.first_seen == datetime.fromtimestamp(BASE_MS / 1000, UTC)
    assert office.last_seen == office.first_seen + timedelta(seconds=600)
    assert office.keys == ("EVT_SW_PoeDisconnect",)
    # The port of the newest occurrence is named: the predecessor left "{port}" unfilled.
    assert "port 5" in office.title


def test_client_chatter_is_one_site_finding() -> None:
    entries = [
        legacy(
            "EVT_WU_Connected",
            at=i,
            user=f"00:00:00:00:01:{i % 40:02x}",
            hostname=f"phone-{i % 40}",
            **AP,
        )
        for i in range(1000)
    ]
    analysis = run(entries)
    assert len(analysis.findings) == 1
    finding = analysis.findings[0]
    assert finding.rule_id == "client_connected"
    assert finding.severity is Severity.LOW
    assert finding.count == 1000
    assert finding.subject_name is None
    assert "from 40 devices" in finding.title


def test_findings_sorted_by_severity_then_newest() -> None:
    entries = [
        legacy("EVT_WU_Connected", at=900, **CLIENT, **AP),
        legacy("EVT_AP_RadarDetected", at=100, radar_channel=52, **AP),
        legacy("EVT_SW_LoopDetected", at=50, port=1, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=500, port=2, **SWITCH),
        legacy("EVT_GW_DhcpPoolExhausted", at=10, network_name="IoT", **GATEWAY),
    ]
    order = [finding.rule_id for finding in run(entries).findings]
    assert order == [
        "loop_detected",
        "dhcp_pool_exhausted",
        "poe_disconnect",
        "radar_detected",
        "client_connected",
    ]


def test_roaming_flap_needs_five_roams_within_an_hour() -> None:
    flapping = [legacy("EVT_WU_Roam", at=i * 14 * MINUTE, **CLIENT, **AP) for i in range(5)]
    finding = only(run(flapping), "client_roaming_flap")
    assert len(finding) == 1
    assert finding[0].severity is Severity.MEDIUM
    assert finding[0].subject_name == "laptop"
    assert finding[0].subject_mac == CLIENT["user"]
    assert "5 times within 60 minutes" in finding[0].explanation

    # Five roams, but at most four inside any hour: ordinary roaming.
    spread = [legacy("EVT_WU_Roam", at=i * 16 * MINUTE, **CLIENT, **AP) for i in range(5)]
    analysis = run(spread)
    assert only(analysis, "client_roaming_flap") == []
    assert only(analysis, "client_roamed")[0].count == 5


def test_brute_force_from_one_address() -> None:
    analysis = run(_failed_logins())
    brute = only(analysis, "admin_brute_force")
    assert len(brute) == 1
    assert brute[0].severity is Severity.SEVERE
    assert brute[0].subject_ip == "203.0.113.9"
    assert brute[0].subject_name == "admin"
    assert brute[0].count == 5
    assert only(analysis, "admin_login_failed") == []


def test_brute_force_against_one_account_from_many_addresses() -> None:
    entries = [
        legacy("EVT_AD_LoginFailed", at=i * MINUTE, admin="root", ip=f"203.0.113.{i}")
        for i in range(6)
    ]
    brute = only(run(entries), "admin_brute_force")
    assert len(brute) == 1
    assert brute[0].subject_name == "root"
    assert brute[0].subject_ip is None
    assert "root" in brute[0].title


def test_password_spraying_from_a_botnet_is_guessing_against_the_account_in_flat_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Addresses past the watched ones count as attempts without one: no tally each."""
    monkeypatch.setattr(guessing, "ADDRESSES_WATCHED", 50)
    spray = [
        legacy(
            "EVT_AD_LoginFailed",
            at=i,
            admin="admin",
            ip=f"198.{18 + i // 65_536}.{i // 256 % 256}.{i % 256}",
        )
        for i in range(2_000)
    ]
    made = 0
    real_tally = guessing._Attempts.__init__

    def counted(self: Any, entry: LogEntry) -> None:
        nonlocal made
        made += 1
        real_tally(self, entry)

    monkeypatch.setattr(guessing._Attempts, "__init__", counted)
    analysis = run(spray)
    assert made == 51  # the first 50 addresses read, and one for all the others
    (brute,) = only(analysis, "admin_brute_force")
    assert brute.subject_name == "admin"
    assert brute.subject_ip is None
    assert brute.count == 2_000  # every attempt still counts
    assert "900 failed sign-ins within 15 minutes" in brute.explanation  # 15 min of 1 per second
    assert only(analysis, "admin_login_failed") == []


def test_an_address_past_the_watched_ones_is_judged_by_its_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guessing, "ADDRESSES_WATCHED", 2)
    bursts = {
        address: [
            legacy("EVT_AD_LoginFailed", at=hour * 3600 + i * MINUTE, admin=account, ip=address)
            for i in range(5)
        ]
        for hour, (address, account) in enumerate(
            [("203.0.113.1", "alice"), ("203.0.113.2", "bob"), ("203.0.113.3", "carol")]
        )
    }
    analysis = run(entry for attempts in bursts.values() for entry in attempts)
    brute = only(analysis, "admin_brute_force")
    # Read newest first: carol's and bob's addresses are watched, alice's comes third.
    assert sorted((f.subject_ip or "", f.subject_name, f.count) for f in brute) == [
        ("", "alice", 5),
        ("203.0.113.2", "bob", 5),
        ("203.0.113.3", "carol", 5),
    ]


def test_the_busiest_window_is_found_over_runs_of_times_even_out_of_order() -> None:
    # A run with a late row is sorted on its own: 10 9 | 3 2 1 within 3 ms, so 3, not 4.
    assert max_in_window([array("q", [3, 9, 1]), array("q", [10, 2])], 3) == 3
    assert max_in_window([array("q", [9, 3]), array("q", [10, 2, 1])], 3) == 3
    assert max_in_window([], 3) == 0


def test_slow_failures_stay_ordinary() -> None:
    # Five failures four minutes apart: at most four fall inside any 15 minutes.
    entries = [
        legacy("EVT_AD_LoginFailed", at=i * 4 * MINUTE, admin="alice", ip="192.168.1.50")
        for i in range(5)
    ]
    analysis = run(entries)
    assert only(analysis, "admin_brute_force") == []
    failed = only(analysis, "admin_login_failed")
    assert len(failed) == 1
    assert failed[0].count == 5
    assert failed[0].severity is Severity.MEDIUM
    assert failed[0].subject_name == "alice"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(2, None), (3, "wan_flapping"), (5, "wan_flapping"), (6, "wan_flapping_severe")],
)
def test_wan_flapping(count: int, expected: str | None) -> None:
    analysis = run(_wan(count))
    flaps = [f for f in analysis.findings if f.rule_id.startswith("wan_flapping")]
    assert [f.rule_id for f in flaps] == ([expected] if expected else [])
    # The individual WAN changes are still reported.
    assert only(analysis, "wan_down")


def test_wan_changes_hours_apart_are_not_flapping() -> None:
    entries = [
        legacy("EVT_GW_WANTransition", at=i * 2 * 3600.0, msg=MESSAGES["wan_down"], **GATEWAY)
        for i in range(4)
    ]
    analysis = run(entries)
    assert not [f for f in analysis.findings if f.rule_id.startswith("wan_flapping")]
    assert only(analysis, "wan_down")[0].count == 4


def test_repeated_lost_contact_escalates() -> None:
    other_ap: dict[str, Any] = {"ap": "80:2a:a8:00:09:09", "ap_name": "AP Garden"}
    entries = [*_lost_contact(), *(legacy("EVT_AP_Lost_Contact", at=i, **other_ap) for i in (1, 2))]
    analysis = run(entries)
    repeated = only(analysis, "device_lost_contact_repeated")
    assert [(f.subject_name, f.count, f.severity) for f in repeated] == [
        ("AP Living", 3, Severity.SEVERE)
    ]
    plain = only(analysis, "device_lost_contact")
    assert [(f.subject_name, f.count) for f in plain] == [("AP Garden", 2)]


# --- cross-source deduplication ---------------------------------------------------------------


def test_event_and_alarm_of_one_occurrence_count_once() -> None:
    fields: dict[str, Any] = {"port": 3, **SWITCH}
    entries = [
        legacy("EVT_SW_LoopDetected", at=10.0, **fields),
        legacy("EVT_SW_LoopDetected", at=10.4, source=Source.ALARM, **fields),
        legacy("EVT_SW_LoopDetected", at=3600.0, **fields),
    ]
    assert only(run(entries), "loop_detected")[0].count == 2


def test_same_source_repeats_are_separate_occurrences() -> None:
    fields: dict[str, Any] = {"port": 3, **SWITCH}
    entries = [legacy("EVT_SW_LoopDetected", at=10.0, **fields) for _ in range(2)]
    assert only(run(entries), "loop_detected")[0].count == 2


def test_sources_far_apart_are_separate_occurrences() -> None:
    fields: dict[str, Any] = {"port": 3, **SWITCH}
    entries = [
        legacy("EVT_SW_LoopDetected", at=10.0, **fields),
        legacy("EVT_SW_LoopDetected", at=40.0, source=Source.ALARM, **fields),
    ]
    assert only(run(entries), "loop_detected")[0].count == 2


def test_repeated_id_within_a_source_counts_once() -> None:
    entry = legacy("EVT_SW_LoopDetected", port=3, **SWITCH)
    assert only(run([entry, entry]), "loop_detected")[0].count == 1


def test_legacy_event_and_v2_log_count_once() -> None:
    legacy_entry = legacy("EVT_WU_Connected", at=5.0, **CLIENT, **AP)
    v2_entry = system_log(
        "CLIENT_CONNECTED_WIRELESS",
        at=6.2,
        CLIENT={"id": CLIENT["user"], "name": "laptop"},
        DEVICE={"id": AP["ap"], "name": "AP Living"},
    )
    other_client = legacy("EVT_WU_Connected", at=5.0, user="00:00:00:00:00:02", **AP)
    finding = only(run([legacy_entry, v2_entry, other_client]), "client_connected")[0]
    assert finding.count == 2
    # The newer report of the occurrence is kept (entries are analysed newest first); the
    # other client's connection is its own occurrence.
    assert finding.keys == ("CLIENT_CONNECTED_WIRELESS", "EVT_WU_Connected")
    assert finding.last_seen.timestamp() == (BASE_MS + 6_200) / 1000


def test_ips_row_event_and_v2_threat_count_once() -> None:
    row = {
        "_id": "5f0b3d1e2a4c5e00123abcde",
        "timestamp": BASE_MS // 1000,
        "time": BASE_MS,
        "key": "EVT_IPS_IpsAlert",
        "src_ip": "198.51.100.7",
        "dest_ip": "192.168.1.20",
        "inner_alert_signature": "ET SCAN Potential SSH Scan",
        "inner_alert_signature_id": 2001219,
        "inner_alert_category": "Attempted Information Leak",
        "inner_alert_severity": 2,
        "inner_alert_action": "blocked",
    }
    ips_entry = normalize_ips(row)
    event_entry = normalize_event({**row, "_id": "5f0b3d1e2a4c5e00123abcdf", "time": BASE_MS + 300})
    v2_entry = normalize_system_log(
        {
            "id": "650000000000000000000001",
            "key": "THREAT_DETECTED",
            "timestamp": BASE_MS + 1200,
            "severity": "MEDIUM",
            "message": "ET SCAN Potential SSH Scan",
            "source": {"ip": "198.51.100.7"},
            "destination": {"ip": "192.168.1.20"},
            "parameters": {"SIGNATURE": {"name": "ET SCAN Potential SSH Scan"}},
        }
    )
    entries = [e for e in (ips_entry, event_entry, v2_entry) if e is not None]
    assert len(entries) == 3
    analysis = run(entries)
    assert analysis.threats.total == 1
    assert analysis.unknown_keys == {}


# --- unknown keys, hostile data, realistic batches --------------------------------------------


def test_unknown_keys_are_counted() -> None:
    entries = [
        legacy("EVT_XY_BrandNew", at=1),
        legacy("EVT_XY_BrandNew", at=2),
        system_log("SOMETHING_NEW_V2"),
        legacy("EVT_SW_LoopDetected", port=1, **SWITCH),
    ]
    analysis = run(entries)
    assert dict(analysis.unknown_keys) == {"EVT_XY_BrandNew": 2, "SOMETHING_NEW_V2": 1}
    assert analysis.entry_count == 4
    assert [f.rule_id for f in analysis.findings] == ["loop_detected"]


def test_hostile_names_are_inserted_inert() -> None:
    entry = legacy(
        "EVT_SW_LoopDetected",
        port=1,
        sw="74:ac:b9:00:00:01",
        sw_name="{count}\x1b[31m<b>evil</b>\r\n{0.__class__}",
    )
    finding = only(run([entry]), "loop_detected")[0]
    assert "{count}<b>evil</b> {0.__class__}" in finding.title
    assert "\x1b" not in finding.explanation
    assert "\n" not in finding.title


def test_no_devices_or_health_means_no_health_findings() -> None:
    analysis = run([])
    assert analysis.findings == ()
    assert analysis.health.devices == ()
    assert analysis.threats.total == 0


def test_custom_thresholds_apply() -> None:
    device = _device(cpu=60.0)
    assert only(run([], devices=[device]), "cpu_high") == []
    tight = only(run([], devices=[device], thresholds=Thresholds(cpu_warning=50)), "cpu_high")
    assert len(tight) == 1
    assert "60%" in tight[0].title


def test_analysis_is_pure() -> None:
    entries = [*_failed_logins(), *_roams(), *_wan(4)]
    assert run(entries) == run(entries)


def test_simulated_day_has_no_unknown_keys_and_few_findings() -> None:
    end = datetime.fromtimestamp(BASE_MS / 1000, UTC)
    entries = [
        *normalize_entries(generate_events(3000, seed=3, end=end), Source.EVENT),
        *normalize_entries(generate_system_log(500, seed=4, end=end), Source.SYSTEM_LOG),
        *normalize_entries(generate_ips_events(300, seed=5, end=end), Source.IPS),
    ]
    analysis = run(entries)
    assert analysis.unknown_keys == {}
    assert analysis.entry_count == len(entries)
    # A busy day aggregates into a readable report, not one card per event.
    assert len(analysis.findings) < 150
    for finding in analysis.findings:
        assert finding.count >= 1
        for text in texts(finding):
            assert "{" not in text
    severities = [finding.severity.rank for finding in analysis.findings]
    assert severities == sorted(severities)


def test_brute_force_from_v2_admin_log() -> None:
    """v2 login failures name the account and address in parameter roles, not typed fields."""
    entries = [
        system_log(
            "ADMIN_LOGIN_FAILED",
            at=i * MINUTE,
            ADMIN={"id": "root", "name": "root"},
            IP={"id": "45.155.205.66", "name": "45.155.205.66"},
        )
        for i in range(5)
    ]
    (brute,) = only(run(entries), "admin_brute_force")
    assert brute.subject_ip == "45.155.205.66"
    assert brute.subject_name == "root"
    assert "45.155.205.66" in brute.remediation[0]


def test_single_v2_login_failure_names_account_and_address() -> None:
    entry = system_log(
        "ADMIN_LOGIN_FAILED",
        ADMIN={"id": "root", "name": "root"},
        IP={"id": "192.168.1.50", "name": "192.168.1.50"},
    )
    (finding,) = only(run([entry]), "admin_login_failed")
    assert finding.subject_name == "root"
    assert finding.subject_ip == "192.168.1.50"
    assert "192.168.1.50" in finding.explanation
