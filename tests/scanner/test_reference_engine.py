"""The frozen reference analyser agrees with the engine wherever walking direction cannot matter.

Cross-source deduplication is the one place the reference differs on purpose (it walks newest
first). These inputs keep every actor within one source, or sources hours apart, so both walks
keep the same entries and the two analyses must be equal field for field.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.unifi_scanner.scanner.catalogue import EngineRule
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.models import (
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
    Temperature,
    WanLink,
)
from custom_components.unifi_scanner.scanner.normalize import (
    normalize_entries,
    normalize_health,
    normalize_ips,
    normalize_system_log,
)
from tests.scanner.reference import collection_order, reference_analyze
from tests.scanner.test_engine import (
    AP,
    BASE_MS,
    CATALOGUE,
    CLIENT,
    GATEWAY,
    MINUTE,
    NOW,
    SWITCH,
    legacy,
    system_log,
)
from tests.simulator import generate_events, generate_ips_events, generate_system_log

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.unifi_scanner.scanner.analysis import Analysis

_ids = itertools.count(1)

WAN_DOWN = "Gateway[e0:63:da:00:00:01] WAN iface [eth8] transition to state [inactive]"
WAN_UP = "Gateway[e0:63:da:00:00:01] WAN iface [eth8] transition to state [active]"
FIELDS: dict[str, Any] = {
    **AP,
    **CLIENT,
    "ssid": "Home",
    "channel": "44",
    "radio": "na",
    "admin": "alice",
    "ip": "192.168.1.77",
    "version_from": "6.6.55",
    "version_to": "6.6.77",
    "iface": "eth8",
    "state": "active",
    "port": 7,
    "network_name": "Default",
}


def ips_row(*, at: float, severity: int, signature: str, src_ip: str) -> LogEntry:
    entry = normalize_ips(
        {
            "_id": f"{next(_ids):024x}",
            "key": "EVT_IPS_IpsAlert",
            "time": BASE_MS + round(at * 1000),
            "src_ip": src_ip,
            "dest_ip": "192.168.1.20",
            "inner_alert_signature": signature,
            "inner_alert_signature_id": 2_800_001,
            "inner_alert_category": "A Network Trojan was Detected",
            "inner_alert_severity": severity,
            "inner_alert_action": "blocked" if severity == 3 else "allowed",
        }
    )
    assert entry is not None
    return entry


def both(entries: Sequence[LogEntry], **kwargs: Any) -> tuple[Analysis, Analysis]:
    """Analyse with the reference and with the engine, both given collection order."""
    ordered = collection_order(entries)
    kwargs.setdefault("now", NOW)
    return (
        reference_analyze(ordered, catalogue=CATALOGUE, **kwargs),
        analyze(ordered, catalogue=CATALOGUE, **kwargs),
    )


def rule_ids(analysis: Analysis) -> list[str]:
    return [finding.rule_id for finding in analysis.findings]


def scenario() -> list[LogEntry]:
    """Every aggregation, unknown keys, a key variant and threats, one source per actor."""
    other_ap: dict[str, Any] = {"ap": "80:2a:a8:00:09:09", "ap_name": "AP Garden"}
    return [
        *(
            legacy("EVT_AD_LoginFailed", at=i * MINUTE, admin="admin", ip="203.0.113.9")
            for i in range(6)
        ),
        *(
            legacy("EVT_AD_LoginFailed", at=i * MINUTE, admin="root", ip=f"203.0.113.{20 + i}")
            for i in range(5)
        ),
        legacy("EVT_AD_LoginFailed", at=30 * MINUTE, admin="bob", ip="192.168.1.50"),
        *(legacy("EVT_WU_Roam", at=i * 10 * MINUTE, **CLIENT, **AP) for i in range(5)),
        *(
            legacy("EVT_WU_Roam", at=i * 20 * MINUTE, user="00:00:00:00:00:02", **AP)
            for i in range(5)
        ),
        *(
            legacy(
                "EVT_GW_WANTransition",
                at=i * 5 * MINUTE,
                msg=WAN_DOWN if i % 2 == 0 else WAN_UP,
                iface="eth8",
                **GATEWAY,
            )
            for i in range(7)
        ),
        *(legacy("EVT_AP_Lost_Contact", at=i * 3600.0, **AP) for i in range(3)),
        *(legacy("EVT_AP_Lost_Contact", at=i + 0.5, **other_ap) for i in (1, 2)),
        legacy("EVT_SW_LoopDetected", at=50, port=1, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=500, port=2, **SWITCH),
        legacy("EVT_SW_PoeDisconnect", at=700, port=3, **SWITCH),
        *(
            legacy("EVT_WU_Connected", at=i, user=f"00:00:00:00:01:{i:02x}", **AP)
            for i in range(30)
        ),
        legacy("EVT_XY_BrandNew", at=1),
        legacy("EVT_XY_BrandNew", at=2),
        system_log("SOMETHING_NEW_V2", at=7200),
        system_log(
            "ADMIN_LOGIN_FAILED",
            at=7300,
            ADMIN={"id": "carol", "name": "carol"},
            IP={"id": "45.155.205.66", "name": "45.155.205.66"},
        ),
        *(
            ips_row(at=9000 + i, severity=1 + i % 3, signature=f"ET SIG {i % 3}", src_ip=ip)
            for i, ip in enumerate(["198.51.100.7", "198.51.100.8", "10.0.0.5"] * 4)
        ),
    ]


def test_scenario_matches_engine() -> None:
    reference, engine = both(scenario())
    assert reference == engine
    found = set(rule_ids(reference))
    assert {
        EngineRule.BRUTE_FORCE,
        EngineRule.ROAMING_FLAP,
        EngineRule.WAN_FLAPPING_SEVERE,
        EngineRule.LOST_CONTACT_REPEATED,
        EngineRule.THREAT_SEVERE,
        EngineRule.THREAT_MEDIUM,
        "admin_login_failed",
        "device_lost_contact",
        "client_connected",
    } <= found
    assert reference.unknown_keys == {"EVT_XY_BrandNew": 2, "SOMETHING_NEW_V2": 1}
    assert reference.threats.total == 12


@pytest.mark.parametrize(
    "disabled",
    [
        frozenset({EngineRule.BRUTE_FORCE}),
        frozenset({"admin_login_failed", "client_roamed", EngineRule.THREAT_SEVERE}),
        frozenset({EngineRule.WAN_FLAPPING_SEVERE, "wan_down", "device_lost_contact"}),
        frozenset({EngineRule.LOST_CONTACT_REPEATED, EngineRule.CPU_HIGH, "no_such_rule"}),
    ],
    ids=["brute", "logins-roams-threats", "wan-lost", "engine-health"],
)
def test_disabled_rules_match_engine(disabled: frozenset[str]) -> None:
    device = Device(
        mac="f0:9f:c2:00:00:01",
        name="Dream Machine",
        model="UDMPRO",
        type="udm",
        state=1,
        adopted=True,
        version="4.0.6",
        upgradable=True,
        upgrade_to="4.1.0",
        uptime=1000,
        cpu=85.0,
        mem=20.0,
        temperatures=(Temperature(name="CPU", value=85.0),),
        wan=(WanLink(name="WAN", up=False, latency_ms=None, availability=None),),
    )
    reference, engine = both(scenario(), devices=[device], disabled=disabled)
    assert reference == engine
    assert reference.ignored_findings + reference.ignored_entries > 0


def test_health_and_thresholds_match_engine() -> None:
    health = [
        normalize_health({"subsystem": "www", "status": "error"}),
        normalize_health({"subsystem": "vpn", "status": "error"}),
    ]
    subsystems: list[HealthSubsystem] = [item for item in health if item is not None]
    device = Device(
        mac="f0:9f:c2:00:00:02",
        name="Switch",
        model=None,
        type="usw",
        state=0,
        adopted=True,
        version=None,
        upgradable=False,
        upgrade_to=None,
        uptime=None,
        cpu=60.0,
        mem=None,
    )
    reference, engine = both(
        [], devices=[device], health=subsystems, thresholds=Thresholds(cpu_warning=50)
    )
    assert reference == engine
    assert EngineRule.INTERNET_ERROR in rule_ids(reference)


def test_every_event_rule_key_matches_engine() -> None:
    """One entry per legacy key and per v2 key, each at its own second."""
    legacy_entries = [
        legacy(key, at=index * 10.0, msg=WAN_DOWN if key == "EVT_GW_WANTransition" else key)
        for index, key in enumerate(
            sorted(key for rule in CATALOGUE.rules if rule.trigger == "event" for key in rule.keys)
        )
    ]
    events = [legacy(key, at=0, **FIELDS) for key in ("EVT_WU_Roam", "EVT_AD_Login")]
    v2_entries = [
        system_log(
            key,
            at=100_000 + index * 10.0,
            CLIENT={"id": "00:00:00:00:00:01", "name": "laptop", "ip": "192.168.1.77"},
            DEVICE={"id": "80:2a:a8:00:01:02", "name": "AP Living"},
        )
        for index, key in enumerate(
            sorted(
                key for rule in CATALOGUE.rules if rule.trigger == "event" for key in rule.v2_keys
            )
        )
    ]
    reference, engine = both([*legacy_entries, *events, *v2_entries])
    assert reference == engine
    assert len(reference.findings) > 40


def test_key_variant_matches_engine() -> None:
    variant = normalize_system_log(
        {
            "id": "650000000000000000000009",
            "key": "CLIENT_CONNECTED_WIRELESS_SOMEWHERE_NEW",
            "event": "CLIENT_CONNECTED_WIRELESS",
            "timestamp": BASE_MS,
            "parameters": {"CLIENT": {"id": "00:00:00:00:00:01", "name": "laptop"}},
        }
    )
    assert variant is not None
    reference = reference_analyze([variant, variant], catalogue=CATALOGUE, now=NOW)
    assert reference == analyze([variant, variant], catalogue=CATALOGUE, now=NOW)
    assert [(v.key, v.event, v.count) for v in reference.key_variants] == [
        ("CLIENT_CONNECTED_WIRELESS_SOMEWHERE_NEW", "CLIENT_CONNECTED_WIRELESS", 1)
    ]
    assert reference.entry_count == 2


def test_simulated_days_match_engine() -> None:
    """Three sources, each on its own day: no actor is reported by two sources at once."""
    day = timedelta(days=1)
    end = datetime.fromtimestamp(BASE_MS / 1000, UTC)
    entries = [
        *normalize_entries(generate_events(3000, seed=3, end=end), Source.EVENT),
        *normalize_entries(generate_system_log(800, seed=4, end=end - day), Source.SYSTEM_LOG),
        *normalize_entries(generate_ips_events(400, seed=5, end=end - 2 * day), Source.IPS),
        *normalize_entries(generate_events(500, seed=6, end=end - 3 * day), Source.ALARM),
    ]
    reference, engine = both(entries)
    assert reference == engine
    assert reference.threats.total > 0
    assert len(reference.findings) > 10


def test_reference_walks_newest_first() -> None:
    """The deliberate difference: of A(s1, 0 s), B(s2, 4 s), C(s2, 6 s), A is the repeat."""
    fields: dict[str, Any] = {"port": 3, **SWITCH}
    entries = [
        legacy("EVT_SW_LoopDetected", at=0.0, source=Source.ALARM, **fields),
        legacy("EVT_SW_LoopDetected", at=4.0, **fields),
        legacy("EVT_SW_LoopDetected", at=6.0, **fields),
    ]
    (finding,) = reference_analyze(entries, catalogue=CATALOGUE, now=NOW).findings
    assert finding.count == 2
    # Walking oldest first would keep A and C; newest first keeps C and B.
    assert finding.first_seen == datetime.fromtimestamp(BASE_MS / 1000 + 4, UTC)
    assert finding.last_seen == datetime.fromtimestamp(BASE_MS / 1000 + 6, UTC)


def test_reference_drops_repeated_ids_and_sorts() -> None:
    entries = scenario()
    reference = reference_analyze(entries, catalogue=CATALOGUE, now=NOW)
    shuffled = [*reversed(entries), *entries[:5]]
    again = reference_analyze(shuffled, catalogue=CATALOGUE, now=NOW)
    assert again.findings == reference.findings
    assert again.entry_count == len(entries) + 5
