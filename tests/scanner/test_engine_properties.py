"""Property tests: whatever the gateway sends, analysis finishes and stays self-consistent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.models import (
    LATEST_MS,
    Device,
    HealthSubsystem,
    LogEntry,
    Source,
    Storage,
    Temperature,
    Threat,
    WanLink,
)
from custom_components.unifi_scanner.scanner.normalize import (
    normalize_device,
    normalize_event,
    normalize_health,
    normalize_ips,
    normalize_system_log,
)

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import Analysis

CATALOGUE = load_catalogue()
NOW = datetime(2025, 1, 2, tzinfo=UTC)
KEYS = sorted(CATALOGUE.known_keys)
EVENT_RULES = {rule.id for rule in CATALOGUE.rules if rule.trigger == "event"}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

macs = st.sampled_from(["aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02", "80:2a:a8:00:01:02"])
ips = st.sampled_from(["192.168.1.5", "8.8.8.8", "fd00::1", "not-an-ip", ""])
short_text = st.text(max_size=12)
optional_text = st.none() | short_text | macs
floats = st.floats(allow_nan=True, allow_infinity=True)
times = st.integers(min_value=1_735_689_600_000, max_value=1_735_689_600_000 + 7_200_000)

scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64) | floats | short_text
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(short_text, children, max_size=3)
    ),
    max_leaves=8,
)

threats = st.builds(
    Threat,
    signature=st.sampled_from(["ET SCAN x", "ETPRO TROJAN y", "", "junk"]) | short_text,
    signature_id=st.none() | st.integers(2_799_998, 2_900_001) | st.integers(),
    category=short_text,
    action=st.sampled_from(["blocked", "allowed", ""]),
    blocked=st.booleans(),
    severity=st.none() | st.integers(-2, 5),
    src_ip=st.none() | ips,
    src_port=st.none() | st.integers(),
    dest_ip=st.none() | ips,
    dest_port=st.none() | st.integers(),
    proto=st.none() | short_text,
    src_country=st.none() | short_text,
)

entries = st.builds(
    LogEntry,
    source=st.sampled_from(Source),
    id=st.text(max_size=2),
    key=st.sampled_from(KEYS) | short_text,
    time_ms=times | st.integers(1, LATEST_MS),  # the normalisers' range (see LogEntry)
    message=st.sampled_from(["WAN iface [eth8] transition to state [inactive]", ""]) | short_text,
    subsystem=st.none() | short_text,
    device_mac=st.none() | macs,
    device_name=optional_text,
    client_mac=st.none() | macs,
    client_name=optional_text,
    ip=st.none() | ips,
    threat=st.none() | threats,
    raw=st.dictionaries(
        st.sampled_from(["admin", "port", "parameters", "state"]) | short_text,
        json_values,
        max_size=4,
    ),
)

devices = st.builds(
    Device,
    mac=short_text,
    name=short_text,
    model=st.none() | short_text,
    type=st.none() | short_text,
    state=st.none() | st.integers(-1, 12),
    adopted=st.booleans(),
    version=st.none() | short_text,
    upgradable=st.booleans(),
    upgrade_to=st.none() | short_text,
    uptime=st.none() | st.integers(),
    cpu=st.none() | floats,
    mem=st.none() | floats,
    temperatures=st.lists(st.builds(Temperature, name=short_text, value=floats), max_size=3).map(
        tuple
    ),
    overheating=st.booleans(),
    poe_used_w=st.none() | floats,
    poe_budget_w=st.none() | floats,
    storage=st.lists(
        st.builds(Storage, name=short_text, size=st.integers(), used=st.integers()), max_size=2
    ).map(tuple),
    wan=st.lists(
        st.builds(
            WanLink,
            name=short_text,
            up=st.none() | st.booleans(),
            latency_ms=st.none() | floats,
            availability=st.none() | floats,
        ),
        max_size=2,
    ).map(tuple),
    raw=st.dictionaries(st.sampled_from(["disabled", "ip"]), json_values, max_size=2),
)

subsystems = st.builds(
    HealthSubsystem,
    subsystem=st.sampled_from(["wan", "www", "WAN", "lan"]) | short_text,
    status=st.sampled_from(["ok", "error", "warning", "ERROR"]) | short_text,
    latency_ms=st.none() | floats,
    availability=st.none() | floats,
    raw=st.dictionaries(st.sampled_from(["gw_name"]), json_values, max_size=1),
)

# Raw gateway items: known field names with any JSON value, plus a biased key and time.
FIELD_NAMES = [
    "_id", "id", "key", "event", "time", "timestamp", "datetime", "msg", "message", "message_raw",
    "title_raw", "user", "guest", "client", "hostname", "ap", "ap_name", "sw", "sw_name", "gw",
    "gw_name", "ip", "admin", "port", "iface", "state", "src_ip", "dest_ip", "severity",
    "inner_alert_signature", "inner_alert_signature_id", "inner_alert_severity",
    "inner_alert_action", "inner_alert_category", "parameters", "source", "destination",
    "category", "subcategory",
]  # fmt: skip
raw_items = st.builds(
    lambda base, extra: {**extra, **base},
    st.fixed_dictionaries(
        {},
        optional={
            "_id": short_text,
            "id": short_text,
            "key": st.sampled_from(KEYS) | json_values,
            "time": times | json_values,
            "timestamp": times | json_values,
        },
    ),
    st.dictionaries(st.sampled_from(FIELD_NAMES) | short_text, json_values, max_size=8),
)
raw_devices = st.builds(
    lambda base, extra: {**extra, **base},
    st.fixed_dictionaries({"mac": st.just("aa:bb:cc:00:00:09") | json_values}),
    st.dictionaries(
        st.sampled_from(
            ["system-stats", "temperatures", "general_temperature", "storage", "port_table",
             "total_max_power", "wan1", "wan2", "uptime_stats", "state", "upgradable",
             "overheating", "name", "disabled"]
        ),
        json_values,
        max_size=6,
    ),
)  # fmt: skip


def check(analysis: Analysis, entry_count: int, *, consistent_times: bool = False) -> None:
    """Invariants every analysis keeps."""
    ranks = [finding.severity.rank for finding in analysis.findings]
    assert ranks == sorted(ranks)
    event_counts = 0
    for finding in analysis.findings:
        assert finding.count >= 1
        if consistent_times:
            assert finding.first_seen <= finding.last_seen
        for text in (finding.title, finding.explanation, *finding.remediation):
            assert not CONTROL.search(text)
        if finding.rule_id in EVENT_RULES:
            event_counts += finding.count
    # Each entry is counted at most once: by one key rule, as unknown, or as a threat.
    assert event_counts + sum(analysis.unknown_keys.values()) + analysis.threats.total <= (
        entry_count
    )
    assert analysis.entry_count == entry_count
    assert analysis.threats.blocked + analysis.threats.detected == analysis.threats.total


@PROPERTY_SETTINGS
@given(
    batch=st.lists(entries, max_size=40),
    device_list=st.lists(devices, max_size=3),
    health=st.lists(subsystems, max_size=3),
)
def test_analyze_never_raises_on_arbitrary_entries(
    batch: list[LogEntry], device_list: list[Device], health: list[HealthSubsystem]
) -> None:
    analysis = analyze(batch, catalogue=CATALOGUE, devices=device_list, health=health, now=NOW)
    check(analysis, len(batch))
    assert len(analysis.health.devices) == len(device_list)


@PROPERTY_SETTINGS
@given(
    events=st.lists(raw_items, max_size=15),
    logs=st.lists(raw_items, max_size=15),
    ips_rows=st.lists(raw_items, max_size=10),
    device_items=st.lists(raw_devices, max_size=3),
    health_items=st.lists(
        st.dictionaries(short_text | st.just("subsystem"), json_values), max_size=3
    ),
)
def test_analyze_never_raises_on_malformed_raw_items(
    events: list[dict[str, Any]],
    logs: list[dict[str, Any]],
    ips_rows: list[dict[str, Any]],
    device_items: list[dict[str, Any]],
    health_items: list[dict[str, Any]],
) -> None:
    batch = [
        *(normalize_event(item) for item in events),
        *(normalize_event(item, Source.ALARM) for item in events),
        *(normalize_system_log(item) for item in logs),
        *(normalize_ips(item) for item in ips_rows),
    ]
    usable = [entry for entry in batch if entry is not None]
    device_list = [d for d in (normalize_device(item) for item in device_items) if d is not None]
    health = [h for h in (normalize_health(item) for item in health_items) if h is not None]
    analysis = analyze(
        usable,
        catalogue=CATALOGUE,
        devices=device_list,
        health=health,
        thresholds=Thresholds(cpu_warning=0, memory_warning=0, temperature_warning=0),
        now=NOW,
    )
    check(analysis, len(usable), consistent_times=True)


@PROPERTY_SETTINGS
@given(batch=st.lists(entries, max_size=30))
def test_analyze_is_deterministic(batch: list[LogEntry]) -> None:
    assert analyze(batch, catalogue=CATALOGUE, now=NOW) == analyze(
        batch, catalogue=CATALOGUE, now=NOW
    )
