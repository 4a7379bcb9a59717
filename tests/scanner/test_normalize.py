"""Normalisation of gateway items, with items shaped like the captures in UNIFI_API.md."""

from __future__ import annotations

import dataclasses
import gc
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner import normalize
from custom_components.unifi_scanner.scanner.catalogue import ALLOWED_PLACEHOLDERS
from custom_components.unifi_scanner.scanner.models import Direction, LogEntry, Source
from custom_components.unifi_scanner.scanner.normalize import (
    gc_paused,
    normalize_device,
    normalize_entries,
    normalize_event,
    normalize_health,
    normalize_ips,
    normalize_system_log,
    sort_entries,
    sort_newest_first,
    template_fields,
)
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from custom_components.unifi_scanner.scanner.subjects import role_name
from tests.simulator import generate_events, generate_ips_events, generate_system_log

WU_CONNECTED: dict[str, Any] = {
    "_id": "5ea331fa30c49e00f90ddc1a",
    "ap": "80:2a:a8:00:01:02",
    "ap_name": "AP Living",
    "channel": "44",
    "datetime": "2020-04-24T18:37:36Z",
    "hostname": "laptop",
    "key": "EVT_WU_Connected",
    "msg": 'User[00:00:00:00:00:01] has connected to AP[80:2a:a8:00:01:02] with SSID "Home"',
    "radio": "na",
    "site_id": "5a32aa4ee4b0412345678910",
    "ssid": "Home",
    "subsystem": "wlan",
    "time": 1587753456179,
    "user": "00:00:00:00:00:01",
}

IPS_ROW: dict[str, Any] = {
    "_id": "5f0b3d1e2a4c5e00123abcde",
    "archived": False,
    "timestamp": 1594572062,
    "datetime": "2020-07-12T16:41:02Z",
    "key": "EVT_IPS_IpsAlert",
    "subsystem": "www",
    "msg": "IPS Alert 2: Misc Attack. Signature ET DROP Spamhaus DROP Listed Traffic Inbound",
    "event_type": "alert",
    "flow_id": 1_234_567_890_123_456,
    "in_iface": "eth0",
    "src_ip": "45.9.20.1",
    "src_mac": "00:11:22:33:44:55",
    "src_port": 51234,
    "dest_ip": "192.168.1.20",
    "dst_mac": "aa:bb:cc:dd:ee:ff",
    "dest_port": "443",
    "proto": "TCP",
    "app_proto": "failed",
    "host": "usg-sensor",
    "usgip": "203.0.113.5",
    "inner_alert_action": "blocked",
    "inner_alert_gid": 1,
    "inner_alert_signature_id": "2400022",
    "inner_alert_rev": 2,
    "inner_alert_signature": "ET DROP Spamhaus DROP Listed Traffic Inbound group 23",
    "inner_alert_category": "Misc Attack",
    "inner_alert_severity": 2,
    "catname": ["spamhaus"],
    "srcipCountry": "NL",
    "dstipCountry": False,
    "srcipGeo": [],
    "dstipGeo": False,
}

V2_CONNECTED: dict[str, Any] = {
    "id": "66a0f0e0a1b2c3d4e5f60718",
    "key": "CLIENT_CONNECTED_WIRELESS",
    "event": "CLIENT_CONNECTED_WIRELESS",
    "category": "CLIENT_DEVICES",
    "subcategory": "CLIENT_WIRELESS",
    "severity": "LOW",
    "status": "NEW",
    "timestamp": 1721823456789,
    "title_raw": "Client connected",
    "message_raw": "{CLIENT} connected to {WLAN} on {DEVICE}",
    "parameters": {
        "CLIENT": {"id": "00:00:00:00:00:02", "name": "Phone", "ip": "192.168.1.50"},
        "DEVICE": {"id": "80:2a:a8:00:01:02", "name": "AP Living", "model": "U7PG2"},
        "WLAN": {"id": "65f0", "name": "Home"},
    },
}

V2_THREAT: dict[str, Any] = {
    "id": "66a0f0e0a1b2c3d4e5f60719",
    "key": "THREAT_DETECTED",
    "category": "SECURITY",
    "subcategory": "SECURITY_THREAT",
    "severity": "HIGH",
    "timestamp": 1721823459000,
    "message": "Threat detected from 45.9.20.1",
    "parameters": {
        "SRC_IP": {"id": "45.9.20.1", "name": "45.9.20.1"},
        "DST_CLIENT": {"id": "00:00:00:00:00:02", "name": "Phone", "ip": "192.168.1.50"},
    },
    "source": {"ip": "45.9.20.1", "port": 4444},
    "destination": {"ip": "192.168.1.50", "port": "443", "mac": "00:00:00:00:00:02"},
}


def test_wireless_connect_event() -> None:
    entry = normalize_event(WU_CONNECTED)
    assert entry is not None
    assert entry.source is Source.EVENT
    assert entry.id == "5ea331fa30c49e00f90ddc1a"
    assert entry.key == "EVT_WU_Connected"
    assert entry.time_ms == 1587753456179
    assert entry.time == datetime(2020, 4, 24, 18, 37, 36, 179000, tzinfo=UTC)
    assert entry.device_mac == "80:2a:a8:00:01:02"
    assert entry.device_name == "AP Living"
    assert entry.client_mac == "00:00:00:00:00:01"
    assert entry.client_name == "laptop"
    assert entry.subsystem == "wlan"
    assert entry.message.startswith("User[00:00:00:00:00:01]")
    assert entry.threat is None
    assert entry.raw is WU_CONNECTED


@pytest.mark.parametrize(
    ("prefix", "name_field"),
    [
        ("sw", "sw_name"),
        ("gw", "gw_displayName"),
        ("dm", "dm_name"),
        ("xg", "xg_name"),
        ("bb", "bb_displayName"),
        ("dev", "dev_name"),
    ],
)
def test_device_taken_from_role_prefix(prefix: str, name_field: str) -> None:
    item = {
        "_id": "a1",
        "key": "EVT_X_Lost_Contact",
        "time": 1587753456000,
        prefix: "f0:9f:c2:00:00:01",
        name_field: "Core",
    }
    entry = normalize_event(item)
    assert entry is not None
    assert (entry.device_mac, entry.device_name) == ("f0:9f:c2:00:00:01", "Core")


def test_guest_and_blocked_client_fields() -> None:
    guest = normalize_event({"_id": "g", "time": 1587753456000, "guest": "00:00:00:00:00:09"})
    blocked = normalize_event({"_id": "b", "time": 1587753456000, "client": "00:00:00:00:00:08"})
    assert guest is not None
    assert guest.client_mac == "00:00:00:00:00:09"
    assert blocked is not None
    assert blocked.client_mac == "00:00:00:00:00:08"


def test_admin_login_event_fields() -> None:
    item = {
        "_id": "5ea3",
        "key": "EVT_AD_Login",
        "time": 1587753456000,
        "admin": "alice",
        "ip": "192.168.1.10",
        "is_admin": True,
        "msg": "Admin[alice] log in from 192.168.1.10",
    }
    entry = normalize_event(item, Source.ALARM)
    assert entry is not None
    assert entry.source is Source.ALARM
    assert entry.ip == "192.168.1.10"
    assert entry.device_mac is None
    fields = template_fields(entry)
    assert fields["admin"] == "alice"
    assert fields["ip"] == "192.168.1.10"
    assert fields["is_admin"] == "true"


def test_time_falls_back_to_datetime_and_tolerates_strings() -> None:
    no_ms = {"_id": "x", "datetime": "2020-04-24T18:37:36Z", "key": "EVT_LU_Connected"}
    as_text = {"_id": "y", "time": "1587753456179", "key": "EVT_LU_Connected"}
    in_seconds = {"_id": "z", "time": 1587753456, "key": "EVT_LU_Connected"}
    entries = [normalize_event(no_ms), normalize_event(as_text), normalize_event(in_seconds)]
    assert [entry.time_ms if entry else None for entry in entries] == [
        1587753456000,
        1587753456179,
        1587753456000,
    ]


@pytest.mark.parametrize(
    "item",
    [
        {"key": "EVT_WU_Connected", "time": 1587753456179},
        {"_id": "", "time": 1587753456179},
        {"_id": 5, "time": 1587753456179},
        {"_id": "a"},
        {"_id": "a", "time": "soon", "datetime": "yesterday"},
        {"_id": "a", "time": True},
        {"_id": "a", "time": 10**30},
        {"_id": "a", "time": -5},
    ],
)
def test_unusable_items_are_dropped(item: dict[str, Any]) -> None:
    assert normalize_event(item) is None


def test_ips_row_becomes_threat() -> None:
    entry = normalize_ips(IPS_ROW)
    assert entry is not None
    assert entry.source is Source.IPS
    assert entry.time_ms == 1594572062000  # from ``timestamp`` seconds when ``time`` is absent
    assert entry.ip == "45.9.20.1"
    threat = entry.threat
    assert threat is not None
    assert threat.signature == "ET DROP Spamhaus DROP Listed Traffic Inbound group 23"
    assert threat.signature_id == 2400022
    assert threat.category == "Misc Attack"
    assert threat.blocked
    assert threat.severity == 2
    assert (threat.src_ip, threat.src_port) == ("45.9.20.1", 51234)
    assert (threat.dest_ip, threat.dest_port) == ("192.168.1.20", 443)
    assert threat.proto == "TCP"
    assert threat.src_country == "NL"


@pytest.mark.parametrize(
    ("action", "blocked"),
    [("allowed", False), ("blocked", True), ("drop", True), ("Reject", True), ("alert", False)],
)
def test_ips_blocked_follows_action(action: str, blocked: bool) -> None:
    entry = normalize_ips({**IPS_ROW, "inner_alert_action": action, "srcipCountry": False})
    assert entry is not None
    assert entry.threat is not None
    assert entry.threat.blocked is blocked
    assert entry.threat.src_country is None


def test_ips_prefers_time_ms_over_timestamp() -> None:
    entry = normalize_ips({**IPS_ROW, "time": 1594572062123})
    assert entry is not None
    assert entry.time_ms == 1594572062123


def test_ips_alert_inside_event_stream_carries_threat() -> None:
    entry = normalize_event({**IPS_ROW, "time": 1594572062123})
    assert entry is not None
    assert entry.source is Source.EVENT
    assert entry.threat is not None
    assert entry.threat.signature_id == 2400022


def test_system_log_entry_roles_and_rendering() -> None:
    entry = normalize_system_log(V2_CONNECTED)
    assert entry is not None
    assert entry.source is Source.SYSTEM_LOG
    assert entry.key == "CLIENT_CONNECTED_WIRELESS"
    assert entry.time_ms == 1721823456789
    assert entry.message == "Phone connected to Home on AP Living"
    assert (entry.client_mac, entry.client_name) == ("00:00:00:00:00:02", "Phone")
    assert (entry.device_mac, entry.device_name) == ("80:2a:a8:00:01:02", "AP Living")
    assert entry.ip == "192.168.1.50"
    assert entry.threat is None
    fields = template_fields(entry)
    assert fields["CLIENT_name"] == "Phone"
    assert fields["DEVICE_id"] == "80:2a:a8:00:01:02"
    assert fields["WLAN_name"] == "Home"
    assert fields["device"] == "AP Living"


def test_system_log_message_fallbacks() -> None:
    prerendered = normalize_system_log({**V2_CONNECTED, "message": "Already rendered"})
    by_id = normalize_system_log(
        {**V2_CONNECTED, "parameters": {"CLIENT": {"id": "00:00:00:00:00:02"}}}
    )
    title_only = normalize_system_log({**V2_CONNECTED, "message_raw": None})
    assert prerendered is not None
    assert prerendered.message == "Already rendered"
    assert by_id is not None
    assert by_id.message == "00:00:00:00:00:02 connected to {WLAN} on {DEVICE}"
    assert title_only is not None
    assert title_only.message == "Client connected"


def test_system_log_threat() -> None:
    entry = normalize_system_log(V2_THREAT)
    assert entry is not None
    threat = entry.threat
    assert threat is not None
    assert threat.src_ip == "45.9.20.1"
    assert threat.src_port == 4444
    assert (threat.dest_ip, threat.dest_port) == ("192.168.1.50", 443)
    assert threat.severity == 1
    assert threat.category == "SECURITY_THREAT"
    assert entry.client_mac == "00:00:00:00:00:02"
    fields = template_fields(entry)
    assert fields["source_ip"] == "45.9.20.1"
    assert fields["SRC_IP_id"] == "45.9.20.1"


def test_system_log_without_id_or_time_is_dropped() -> None:
    assert normalize_system_log({**V2_CONNECTED, "id": None}) is None
    assert normalize_system_log({**V2_CONNECTED, "timestamp": "later"}) is None


def test_entries_are_deduplicated_and_malformed_items_skipped() -> None:
    items: list[Any] = [
        WU_CONNECTED,
        dict(WU_CONNECTED),  # the same id again (overlapping pages)
        None,
        "not an item",
        ["a", "list"],
        {"_id": "bad", "time": {"nested": True}},
        {**WU_CONNECTED, "_id": "other", "hostname": {"weird": 1}, "ap": ["x"]},
    ]
    entries = normalize_entries(items, Source.EVENT)
    assert [entry.id for entry in entries] == ["5ea331fa30c49e00f90ddc1a", "other"]
    assert entries[1].client_name is None
    assert entries[1].device_mac is None


def test_entries_dispatch_by_source() -> None:
    assert [e.source for e in normalize_entries([IPS_ROW], Source.IPS)] == [Source.IPS]
    assert [e.source for e in normalize_entries([WU_CONNECTED], Source.ALARM)] == [Source.ALARM]
    assert [e.key for e in normalize_entries([V2_THREAT], Source.SYSTEM_LOG)] == ["THREAT_DETECTED"]


def test_fast_construction_equals_the_constructor() -> None:
    assert normalize._FAST_ENTRY
    assert normalize._FAST_THREAT
    threat_args: tuple[Any, ...] = (
        "ET SCAN x",
        2_010_935,
        "Attempted Recon",
        "blocked",
        True,
        2,
        "45.9.20.1",
        4444,
        "192.168.1.5",
        443,
        "TCP",
        "NL",
        Direction.INBOUND,
    )
    fast_threat = normalize._fast_threat(*threat_args)
    slow_threat = normalize._slow_threat(*threat_args)
    assert type(fast_threat) is type(slow_threat)
    assert fast_threat == slow_threat
    assert hash(fast_threat) == hash(slow_threat)
    args: tuple[Any, ...] = (
        Source.EVENT,
        "id1",
        "EVT_WU_Connected",
        1587686400000,
        "msg",
        "wlan",
        "aa",
        "AP",
        "bb",
        "host",
        None,
        fast_threat,
        WU_CONNECTED,
    )
    fast = normalize._fast_entry(*args)
    slow = normalize._slow_entry(*args)
    assert type(fast) is LogEntry
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    assert fast.raw is slow.raw
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.key = "changed"  # type: ignore[misc]


def test_template_fields_stringify_loose_types() -> None:
    entry = normalize_event(
        {**WU_CONNECTED, "channel": 36, "port": "7", "geo": {}, "catname": ["x"]}
    )
    assert entry is not None
    fields = template_fields(entry)
    assert fields["channel"] == "36"
    assert fields["port"] == "7"
    assert fields["ssid"] == "Home"
    assert fields["client"] == "laptop"
    assert "geo" not in fields
    assert "catname" not in fields


def test_gateway_device_with_string_stats_and_temperatures() -> None:
    item = {
        "mac": "fc:ec:da:00:00:01",
        "name": "USG",
        "model": "UGW4",
        "type": "ugw",
        "state": 1,
        "adopted": True,
        "version": "4.4.57",
        "upgradable": True,
        "upgrade_to_firmware": "4.4.58",
        "uptime": "3971849",
        "system-stats": {
            "cpu": "3.1",
            "mem": "27.4",
            "uptime": "3971849",
            "temps": {"Board (CPU)": "51 C", "CPU": "72 C", "PHY": "n/a"},
        },
        "temperatures": [
            {"name": "CPU", "type": "cpu", "value": 66.0},
            {"name": "Local", "type": "board", "value": "48.75"},
            "junk",
        ],
    }
    device = normalize_device(item)
    assert device is not None
    assert (device.cpu, device.mem) == (3.1, 27.4)
    assert device.uptime == 3971849
    assert device.upgradable
    assert device.upgrade_to == "4.4.58"
    temps = {temp.name: temp.value for temp in device.temperatures}
    assert temps == {"CPU": 66.0, "Local": 48.75, "Board (CPU)": 51.0}


def test_switch_device_poe_and_general_temperature() -> None:
    item = {
        "mac": "f0:9f:c2:00:00:02",
        "model": "US16P150",
        "type": "usw",
        "state": "1",
        "general_temperature": 61,
        "has_temperature": True,
        "overheating": True,
        "total_max_power": "150",
        "system-stats": {},
        "port_table": [
            {"port_idx": 1, "poe_power": "4.5"},
            {"port_idx": 2, "poe_power": 10},
            {"port_idx": 3},
        ],
    }
    device = normalize_device(item)
    assert device is not None
    assert device.name == "f0:9f:c2:00:00:02"  # no name: the MAC stands in
    assert device.state == 1
    assert device.overheating
    assert device.poe_used_w == pytest.approx(14.5)
    assert device.poe_budget_w == 150.0
    assert [(t.name, t.value) for t in device.temperatures] == [("General", 61.0)]
    assert device.cpu is None


def test_console_storage_and_wan_links() -> None:
    item = {
        "mac": "24:5a:4c:00:00:03",
        "name": "UDM Pro",
        "type": "udm",
        "storage": [
            {"mount_point": "/data", "name": "data", "size": 1000, "used": "900"},
            {"name": "broken", "size": None, "used": 1},
        ],
        "wan1": {"up": True, "latency": "12"},
        "wan2": {"name": "Backup", "up": False},
        "uptime_stats": {
            "WAN": {"availability": 99.5, "latency_average": 14},
            "WAN2": {"availability": "80.0", "latency_average": 40},
        },
    }
    device = normalize_device(item)
    assert device is not None
    assert [(s.name, s.size, s.used) for s in device.storage] == [("data", 1000, 900)]
    assert [(w.name, w.up, w.latency_ms, w.availability) for w in device.wan] == [
        ("WAN1", True, 12.0, 99.5),
        ("Backup", False, 40.0, 80.0),
    ]


def test_device_without_mac_is_dropped() -> None:
    assert normalize_device({"name": "ghost"}) is None
    assert normalize_device("junk") is None  # type: ignore[arg-type]


def test_health_subsystems() -> None:
    wan = normalize_health(
        {
            "subsystem": "wan",
            "status": "ok",
            "num_disconnected": "0",
            "uptime_stats": {"WAN": {"availability": 100, "latency_average": 9}},
        }
    )
    www = normalize_health({"subsystem": "www", "status": "error", "latency": 31})
    assert wan is not None
    assert (wan.latency_ms, wan.availability, wan.num_disconnected) == (9.0, 100.0, 0)
    assert www is not None
    assert (www.status, www.latency_ms) == ("error", 31.0)
    assert normalize_health({"status": "ok"}) is None
    lan = normalize_health({"subsystem": "lan"})
    assert lan is not None
    assert lan.status == "unknown"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "_id",
        "id",
        "time",
        "timestamp",
        "datetime",
        "key",
        "msg",
        "message",
        "message_raw",
        "parameters",
        "ap",
        "ap_name",
        "user",
        "hostname",
        "ip",
        "inner_alert_signature",
        "inner_alert_action",
        "src_port",
        "source",
        "mac",
        "system-stats",
        "temperatures",
        "port_table",
        "storage",
        "wan1",
        "uptime_stats",
        "subsystem",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=12))
def test_any_json_item_never_raises(item: dict[str, Any]) -> None:
    for source in Source:
        normalize_entries([item], source)
    for entry in normalize_entries([item], Source.SYSTEM_LOG) + normalize_entries(
        [item], Source.IPS
    ):
        assert all(isinstance(value, str) for value in template_fields(entry).values())
    normalize_device(item)
    normalize_health(item)


def test_every_simulated_item_normalises() -> None:
    end = datetime(2026, 1, 15, 12, tzinfo=UTC)
    events = generate_events(1500, seed=7, end=end)
    system_log = generate_system_log(1500, seed=7, end=end)
    ips = generate_ips_events(300, seed=7, end=end)

    legacy = normalize_entries(events, Source.EVENT)
    assert len(legacy) == len(events)
    with_device = [e for e in legacy if any(k in e.raw for k in ("ap", "sw", "gw"))]
    assert all(e.device_mac for e in with_device)
    assert all(e.client_mac for e in legacy if "user" in e.raw or "guest" in e.raw)

    v2 = normalize_entries(system_log, Source.SYSTEM_LOG)
    assert len(v2) == len(system_log)
    assert not [e.message for e in v2 if "{" in e.message]
    assert all(
        entry.client_name
        for item, entry in zip(system_log, v2, strict=True)
        if "CLIENT" in item["parameters"]
    )
    threats = [e.threat for e in v2 if e.key == "THREAT_DETECTED"]
    assert threats
    assert all(t is not None and t.signature and t.src_ip for t in threats)

    rows = normalize_entries(ips, Source.IPS)
    assert len(rows) == len(ips)
    for entry in rows:
        threat = entry.threat
        assert threat is not None
        assert threat.signature_id is not None
        assert threat.blocked is (entry.raw["inner_alert_action"] == "blocked")
        assert threat.src_country == (entry.raw["srcipCountry"] or None)


def test_more_loose_shapes() -> None:
    no_msg = normalize_ips({k: v for k, v in IPS_ROW.items() if k != "msg"})
    assert no_msg is not None
    assert no_msg.message == "Misc Attack: ET DROP Spamhaus DROP Listed Traffic Inbound group 23"

    v2 = normalize_system_log(
        {"id": "e1", "event": "DEVICE_RESTARTED", "time": "1721823456789.0", "parameters": []}
    )
    assert v2 is not None
    assert (v2.key, v2.time_ms, v2.message, v2.client_mac) == (
        "DEVICE_RESTARTED",
        1721823456789,
        "",
        None,
    )

    naive = normalize_event({"_id": "n", "datetime": "2020-04-24T18:37:36", "time": 12.5e400})
    assert naive is not None
    assert naive.time == datetime(2020, 4, 24, 18, 37, 36, tzinfo=UTC)

    numeric_name = normalize_event({"_id": "d", "time": 1587753456000, "sw": "m", "sw_name": 7})
    assert numeric_name is not None
    assert numeric_name.device_name == "7"

    device = normalize_device(
        {
            "mac": "m",
            "adopted": 0,
            "upgradable": "true",
            "wan1": {"up": 1},
            "storage": ["junk"],
        }
    )
    assert device is not None
    assert (device.adopted, device.upgradable, device.wan[0].up) == (False, True, True)
    assert device.storage == ()


# --- what an entry keeps of its item -----------------------------------------------------------


def _addressable(entry: LogEntry) -> dict[str, str]:
    """Return the template fields a rule can name (the catalogue refuses other placeholders)."""
    return {k: v for k, v in template_fields(entry).items() if k in ALLOWED_PLACEHOLDERS}


def _top_level_scalars(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if type(v) in {str, int, float, bool}}


def test_entries_keep_their_item_as_received() -> None:
    """Rules, templates and subjects read the item itself: nothing is copied or trimmed."""
    end = datetime(2026, 1, 15, 12, tzinfo=UTC)
    system_log = generate_system_log(400, seed=11, end=end)
    ips = generate_ips_events(100, seed=11, end=end)
    events = generate_events(400, seed=11, end=end)
    pairs = [
        *zip(system_log, normalize_entries(system_log, Source.SYSTEM_LOG), strict=True),
        *zip(ips, normalize_entries(ips, Source.IPS), strict=True),
        *zip(events, normalize_entries(events, Source.EVENT), strict=True),
    ]
    assert all(entry.raw is item for item, entry in pairs)

    v2 = normalize_system_log(V2_CONNECTED)
    assert v2 is not None
    assert template_fields(v2)["CLIENT_name"] == "Phone"
    assert role_name(v2, ("CLIENT",)) == "Phone"
    row = normalize_ips(IPS_ROW)
    assert row is not None
    assert row.raw is IPS_ROW


def test_flat_legacy_rows_are_kept_as_received() -> None:
    entry = normalize_event(WU_CONNECTED)
    assert entry is not None
    assert entry.raw is WU_CONNECTED


# --- page by page ------------------------------------------------------------------------------


def _legacy_row(entry_id: str, time_ms: int) -> dict[str, Any]:
    return {"_id": entry_id, "key": "EVT_LU_Connected", "time": time_ms, "user": "aa"}


def test_collector_deduplicates_per_source_across_pages() -> None:
    since_ms, until_ms = 1_700_000_000_000, 1_700_000_009_000
    collector = OrderedCollector([Source.EVENT, Source.ALARM], since_ms=since_ms, until_ms=until_ms)
    first = [_legacy_row("a", 1_700_000_005_000), _legacy_row("b", 1_700_000_004_000)]
    second = [
        _legacy_row("b", 1_700_000_004_000),  # overlapping page
        _legacy_row("c", 1_700_000_000_000),  # both window ends are inclusive
        _legacy_row("d", 1_700_000_009_000),
        _legacy_row("e", 1_699_999_999_999),  # before the window
        {"_id": "f"},  # no time: unusable
    ]
    assert collector.add_page(first, Source.EVENT) == 2
    assert collector.add_page(second, Source.EVENT) == 2
    assert collector.add_page([_legacy_row("a", 1_700_000_005_000)], Source.ALARM) == 1
    assert [(e.id, e.source) for e in collector.remaining()] == [
        ("d", Source.EVENT),
        ("a", Source.ALARM),
        ("a", Source.EVENT),
        ("b", Source.EVENT),
        ("c", Source.EVENT),
    ]
    discarding = OrderedCollector(
        [Source.EVENT, Source.ALARM], since_ms=since_ms, until_ms=until_ms
    )
    discarding.add_page(first, Source.EVENT)
    discarding.add_page([_legacy_row("a", 1_700_000_005_000)], Source.ALARM)
    discarding.discard(Source.EVENT)
    assert [(e.id, e.source) for e in discarding.remaining()] == [("a", Source.ALARM)]


def test_collector_equals_normalising_everything_at_once() -> None:
    end = datetime(2026, 1, 15, 12, tzinfo=UTC)
    rows = {
        Source.EVENT: generate_events(2500, seed=5, end=end)[::-1],
        Source.SYSTEM_LOG: generate_system_log(900, seed=5, end=end)[::-1],
        Source.IPS: generate_ips_events(300, seed=5, end=end)[::-1],
    }
    collector = OrderedCollector(rows)
    collected: list[LogEntry] = []
    reference: list[LogEntry] = []
    for source, items in rows.items():
        for start in range(0, len(items), 700):
            collector.add_page(items[start : start + 700], source)
            collected += collector.ready()
        collector.finish(source)
        reference += normalize_entries(items, source)
    collected += collector.remaining()
    sort_newest_first(reference)
    assert collected == reference


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(list(Source)), st.text("ab", max_size=2)),
        max_size=30,
    )
)
def test_sort_entries_orders_by_time_source_and_id(keys: list[tuple[int, Source, str]]) -> None:
    entries = [
        LogEntry(source=source, id=entry_id, key="", time_ms=time_ms, message=str(n))
        for n, (time_ms, source, entry_id) in enumerate(keys)
    ]
    expected = sorted(entries, key=attrgetter("time_ms", "source", "id"))
    sort_entries(entries)
    assert [e.message for e in entries] == [e.message for e in expected]


def test_gc_pause_restores_the_collector_state() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # an application's choice is left alone
    finally:
        gc.enable()
