"""The streaming engine equals the frozen whole-list reference, page by page, newest first.

Entry sets mix rows from the gateway simulator, normalised per source, with hand-built entries
drawn from small pools so that actors collide: one occurrence reported by two or three sources
within and around the 5 s tolerance, bursts of failed sign-ins, roams, WAN changes and lost
contacts, IPS alerts, unknown keys and v2 key variants. Whatever the pages, the ``Analysis`` of
``Analyzer`` and of ``analyze`` must equal ``reference_analyze`` field for field.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.catalogue import EngineRule, load_catalogue
from custom_components.unifi_scanner.scanner.engine import Analyzer, Thresholds, analyze
from custom_components.unifi_scanner.scanner.models import (
    Device,
    Direction,
    HealthSubsystem,
    LogEntry,
    Source,
    Threat,
)
from custom_components.unifi_scanner.scanner.normalize import (
    normalize_event,
    normalize_ips,
    normalize_system_log,
    sort_newest_first,
)
from tests.scanner.reference import collection_order, reference_analyze
from tests.simulator import generate_events, generate_ips_events, generate_system_log

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from custom_components.unifi_scanner.scanner.analysis import Analysis

CATALOGUE = load_catalogue()
NOW = datetime(2025, 1, 2, tzinfo=UTC)
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
HOUR_MS = 3_600_000
END = datetime.fromtimestamp((BASE_MS + 2 * HOUR_MS) / 1000, UTC)
SPAN = timedelta(hours=2)

MAIN_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SMALL_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def retimed(entry: LogEntry, time_ms: int) -> LogEntry:
    return replace(entry, time_ms=time_ms)


# --- rows from the simulator, normalised as every source that carries them --------------------


def _normalised(
    rows: Iterable[dict[str, Any]], normalise: Callable[[dict[str, Any]], LogEntry | None]
) -> tuple[LogEntry, ...]:
    entries = tuple(normalise(row) for row in rows)
    assert all(entry is not None for entry in entries)
    return tuple(entry for entry in entries if entry is not None)


def _as_legacy(source: Source) -> Callable[[dict[str, Any]], LogEntry | None]:
    return lambda row: normalize_event(row, source)


# One seed for all three: the simulated clients (and so their MACs) are the same in each.
_EVENT_ROWS = generate_events(160, seed=21, end=END, span=SPAN)
_LOG_ROWS = generate_system_log(80, seed=21, end=END, span=SPAN)
_IPS_ROWS = generate_ips_events(40, seed=21, end=END, span=SPAN)
# Each pool: the same rows as each source that can report them, index for index.
POOLS: tuple[dict[Source, tuple[LogEntry, ...]], ...] = (
    {
        source: _normalised(_EVENT_ROWS, _as_legacy(source))
        for source in (Source.EVENT, Source.ALARM, Source.LIVE, Source.LIVE_ALERT)
    },
    {Source.SYSTEM_LOG: _normalised(_LOG_ROWS, normalize_system_log)},
    {
        Source.IPS: _normalised(_IPS_ROWS, normalize_ips),
        Source.EVENT: _normalised(_IPS_ROWS, _as_legacy(Source.EVENT)),
        Source.ALARM: _normalised(_IPS_ROWS, _as_legacy(Source.ALARM)),
    },
)

# Times: a few anchors inside the simulated window, moved by amounts around the tolerance.
anchors = st.sampled_from(
    [0, 2_000, 5_000, 60_000, 5 * 60_000, 14 * 60_000, 30 * 60_000, 59 * 60_000, 90 * 60_000]
).map(lambda offset: BASE_MS + offset)
# Zero most often, so that entries tie at one millisecond within a source and across sources.
jitters = st.sampled_from(
    [0, 0, 0, 0, 0, 0, 1, -1, 2_500, 4_999, 5_000, 5_001, -4_999, -5_000, -5_001]
) | st.integers(-7_000, 7_000)
# Steps around the tolerance and at the window edges: five failed sign-ins 3.75 min apart span
# exactly the 15-minute window, five roams 15 min apart or three WAN changes 30 min apart (six
# 12 min apart) exactly the 60-minute one, whose end is exclusive.
STEPS = [0, 0, 1, 1_000, 4_000, 5_000, 6_000, 60_000, 3 * 60_000, 225_000, 12 * 60_000]
STEPS += [14 * 60_000, 15 * 60_000, 16 * 60_000, 30 * 60_000]


@st.composite
def realistic(draw: st.DrawFn) -> list[LogEntry]:
    """One simulated row as one to three of its sources, at its own time or an anchor."""
    pool = draw(st.sampled_from(POOLS))
    index = draw(st.integers(0, len(next(iter(pool.values()))) - 1))
    sources = draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=3, unique=True))
    anchor = draw(st.none() | anchors)
    out: list[LogEntry] = []
    for source in sources:
        entry = pool[source][index]
        shift = draw(jitters)
        if anchor is not None or shift:
            entry = retimed(entry, (entry.time_ms if anchor is None else anchor) + shift)
        out.append(entry)
    return out


# --- hand-built entries from small pools -------------------------------------------------------

GATEWAYS = ["e0:63:da:00:00:01", "e0:63:da:00:00:02"]
DEVICES = ["80:2a:a8:00:01:02", "74:ac:b9:00:00:01", *GATEWAYS]
CLIENTS = ["00:00:00:00:00:01", "00:00:00:00:00:02", "00:00:00:00:00:03"]
ADDRESSES = ["203.0.113.9", "203.0.113.10", "192.168.1.50"]
WAN_DOWN = "Gateway WAN iface [eth8] transition to state [inactive]"
WAN_UP = "Gateway WAN iface [eth8] transition to state [active]"

device_macs = st.none() | st.sampled_from(DEVICES)
device_names = st.none() | st.sampled_from(["AP Living", "Switch Office", "Gateway"])
client_macs = st.none() | st.sampled_from(CLIENTS)
client_names = st.none() | st.sampled_from(["laptop", "phone"])
addresses = st.none() | st.sampled_from(ADDRESSES)
messages = st.sampled_from(["", "it happened", "it happened again"])


def template(key: str, **fields: Any) -> LogEntry:
    """Build an entry without source, id or time yet (a burst gives it those)."""
    return LogEntry(source=Source.EVENT, id="", key=key, time_ms=BASE_MS, **fields)


def _login(key: str, admin: str, ip: str | None, shape: str, client_name: str | None) -> LogEntry:
    raw: dict[str, Any]
    if shape == "legacy":
        raw = {"admin": admin} if admin else {}
    elif shape == "nested":
        raw = {"parameters": {"ADMIN": {"name": admin}, "IP": {"id": ip or ""}}}
        ip = None
    else:
        raw = {"ADMIN_name": admin, "IP_id": ip or ""}
    return template(key, message="", ip=ip, client_name=client_name, raw=raw)


logins = st.builds(
    _login,
    st.sampled_from(["EVT_AD_LoginFailed", "ADMIN_LOGIN_FAILED"]),
    st.sampled_from(["admin", "root", ""]),
    addresses,
    st.sampled_from(["legacy", "nested", "flat"]),
    st.none() | st.just("sso-user"),
)
roams = st.builds(
    lambda key, client_mac, client_name, device_mac: template(
        key,
        message="roamed",
        client_mac=client_mac,
        client_name=client_name,
        device_mac=device_mac,
    ),
    st.sampled_from(["EVT_WU_Roam", "EVT_WG_Roam", "CLIENT_ROAMED"]),
    client_macs,
    client_names,
    st.sampled_from(DEVICES[:2]),
)
wans = st.builds(
    lambda keyed, device_mac, device_name: template(
        keyed[0],
        message=keyed[1],
        device_mac=device_mac,
        device_name=device_name,
        raw={"iface": "eth8"},
    ),
    st.sampled_from(
        [
            ("EVT_GW_WANTransition", WAN_DOWN),
            ("EVT_GW_WANTransition", WAN_UP),
            ("WAN_TRANSITION", ""),
            ("WAN_FAILOVER", ""),
            ("INTERNET_DISCONNECTED", ""),
        ]
    ),
    st.none() | st.sampled_from(GATEWAYS),
    st.sampled_from(["Gateway", "Backup"]),
)
lost_contacts = st.builds(
    lambda key, device_mac, device_name: template(
        key, message="lost", device_mac=device_mac, device_name=device_name
    ),
    st.sampled_from(
        ["EVT_AP_Lost_Contact", "EVT_SW_Lost_Contact", "DEVICE_DISCONNECTED", "EVT_GW_Lost_Contact"]
    ),
    device_macs,
    device_names,
)
threats = st.builds(
    Threat,
    signature=st.sampled_from(["ET SCAN Nmap", "ET TROJAN CnC", ""]),
    signature_id=st.sampled_from([None, 2_001_219, 2_800_001]),
    category=st.sampled_from(["Attempted Information Leak", "A Network Trojan was Detected", ""]),
    action=st.sampled_from(["blocked", "allowed"]),
    blocked=st.booleans(),
    severity=st.sampled_from([1, 2, 3, None]),
    src_ip=addresses,
    src_port=st.none(),
    dest_ip=st.just("192.168.1.20"),
    dest_port=st.none(),
    proto=st.just("TCP"),
    src_country=st.none(),
    direction=st.sampled_from([None, Direction.INBOUND, Direction.OUTBOUND]),
)
alerts = st.builds(
    lambda keyed, threat, ip, message: template(
        keyed[0], message=message, ip=ip, threat=threat, raw=keyed[1]
    ),
    st.sampled_from(
        [
            ("EVT_IPS_IpsAlert", {}),
            ("THREAT_DETECTED", {}),
            ("THREAT_BLOCKED", {}),
            ("THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT", {"event": "THREAT_BLOCKED"}),
        ]
    ),
    threats,
    addresses,
    messages,
)
plain = st.builds(
    lambda key, message, device_mac, device_name, client_mac, client_name, ip: template(
        key,
        message=message,
        device_mac=device_mac,
        device_name=device_name,
        client_mac=client_mac,
        client_name=client_name,
        ip=ip,
    ),
    st.sampled_from(
        [
            "EVT_SW_LoopDetected",
            "LOOP_DETECTED",
            "EVT_SW_PoeDisconnect",
            "EVT_WU_Connected",
            "CLIENT_CONNECTED_WIRELESS",
            "EVT_LC_Blocked",
            "EVT_AD_Login",
            "EVT_GW_IpReputationAlert",
            "BLOCKED_BY_FIREWALL",
            "EVT_XY_BrandNew",
            "SOMETHING_NEW_V2",
        ]
    )
    | st.sampled_from(sorted(CATALOGUE.known_keys)),
    messages,
    device_macs,
    device_names,
    client_macs,
    client_names,
    addresses,
)
variants = st.builds(
    lambda keyed, client_mac, device_mac: template(
        keyed[0],
        message="",
        client_mac=client_mac,
        device_mac=device_mac,
        raw={"event": keyed[1]},
    ),
    st.sampled_from(
        [
            ("CLIENT_CONNECTED_WIRELESS_GUEST", "CLIENT_CONNECTED_WIRELESS"),
            ("DEVICE_RESTARTED_BY_USER", "DEVICE_RESTARTED"),
            ("ADMIN_LOGIN_FAILED_SSO", "ADMIN_LOGIN_FAILED"),
            ("WAN_FAILOVER_BACKUP", "WAN_FAILOVER"),
            ("NOT_A_THING", "ALSO_NOT_A_THING"),
        ]
    ),
    client_macs,
    device_macs,
)
templates = st.one_of(logins, roams, wans, lost_contacts, alerts, plain, variants)


@st.composite
def bursts(draw: st.DrawFn) -> list[LogEntry]:
    """One template repeated at a fixed step, each time from one or more of a few sources."""
    base = draw(templates)
    count = draw(st.integers(1, 7))
    step = draw(st.sampled_from(STEPS))
    start = draw(anchors)
    sources = draw(st.lists(st.sampled_from(Source), min_size=1, max_size=3, unique=True))
    exact = draw(st.booleans())  # no jitter: ties, and bursts that span a window exactly
    out: list[LogEntry] = []
    for index in range(count):
        # A source may report twice at one step: same-source entries at one time stay apart.
        emitting = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3))
        for source in emitting:
            time_ms = start + index * step + (0 if exact else draw(jitters))
            entry = replace(base, source=source, time_ms=time_ms)
            # Fields the finding's words show, so which entry is "last" (and which name is
            # the newest present) is visible.
            raw = {**base.raw, "port": draw(st.integers(1, 3))}
            changes = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "device_name": device_names,
                        "client_name": client_names,
                        "ip": addresses,
                        "message": messages,
                    },
                )
            )
            out.append(replace(entry, raw=raw, **changes))
    return out


@st.composite
def entry_sets(draw: st.DrawFn) -> list[LogEntry]:
    """Draw simulated rows and bursts of hand-built entries (with drawn ids), shuffled."""
    simulated = draw(st.lists(realistic(), max_size=12))
    built = draw(st.lists(bursts(), max_size=8))
    rng: random.Random = draw(st.randoms(use_true_random=False))
    hand = [
        replace(entry, id=f"h{rng.randrange(100_000):05d}") for group in built for entry in group
    ]
    entries = [entry for group in simulated for entry in group] + hand
    rng.shuffle(entries)
    return entries


# Rules the drawn entries raise, engine rules first; any rule id now and then.
RAISED_RULES = [
    EngineRule.BRUTE_FORCE,
    EngineRule.ROAMING_FLAP,
    EngineRule.WAN_FLAPPING,
    EngineRule.WAN_FLAPPING_SEVERE,
    EngineRule.LOST_CONTACT_REPEATED,
    EngineRule.THREAT_SEVERE,
    EngineRule.THREAT_MEDIUM,
    EngineRule.CPU_HIGH,
    EngineRule.DEVICE_OFFLINE,
    "admin_login_failed",
    "client_roamed",
    "wan_down",
    "wan_transition",
    "wan_failover",
    "device_lost_contact",
    "gateway_lost_contact",
    "loop_detected",
    "client_connected",
    "ips_alert",
]
disabled_sets = (
    st.just(frozenset[str]())
    | st.frozensets(st.sampled_from(RAISED_RULES), min_size=1, max_size=4)
    | st.frozensets(st.sampled_from(sorted(rule.id for rule in CATALOGUE.rules)), max_size=5)
)

DEVICE_POOL = [
    Device(
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
    ),
    Device(
        mac="74:ac:b9:00:00:01",
        name="Switch Office",
        model=None,
        type="usw",
        state=0,
        adopted=True,
        version=None,
        upgradable=False,
        upgrade_to=None,
        uptime=None,
        cpu=None,
        mem=None,
    ),
]
HEALTH_POOL = [
    HealthSubsystem(subsystem="www", status="error"),
    HealthSubsystem(subsystem="wan", status="warning"),
]


# --- feeding the streaming engine ------------------------------------------------------------


def pages(newest_first: Sequence[LogEntry], cuts: Iterable[int]) -> Iterator[Iterable[LogEntry]]:
    """Split at the given positions into non-empty pages, as lists, tuples or one-shot iterators."""
    if not newest_first:
        return
    bounds = sorted({cut % len(newest_first) for cut in cuts} - {0})
    start = 0
    for number, end in enumerate([*bounds, len(newest_first)]):
        page = newest_first[start:end]
        start = end
        yield (list(page), tuple(page), iter(page))[number % 3]


def streamed(
    ordered: Sequence[LogEntry],
    cuts: Iterable[int] = (),
    *,
    disabled: frozenset[str] = frozenset(),
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
) -> Analysis:
    """Analyse entries in collection order the streaming way: newest first, page by page."""
    analyzer = Analyzer(catalogue=CATALOGUE, disabled=disabled)
    newest_first = list(ordered)
    sort_newest_first(newest_first)
    for page in pages(newest_first, cuts):
        analyzer.add(page)
    return analyzer.result(devices=devices, health=health, thresholds=Thresholds(), now=NOW)


def reference(
    ordered: Sequence[LogEntry],
    *,
    disabled: frozenset[str] = frozenset(),
    devices: Sequence[Device] = (),
    health: Sequence[HealthSubsystem] = (),
) -> Analysis:
    return reference_analyze(
        ordered, catalogue=CATALOGUE, devices=devices, health=health, now=NOW, disabled=disabled
    )


@MAIN_SETTINGS
@given(
    batch=entry_sets(),
    disabled=disabled_sets,
    cuts=st.lists(st.integers(0, 400), max_size=8),
    devices=st.lists(st.sampled_from(DEVICE_POOL), max_size=2, unique_by=lambda d: d.mac),
    health=st.lists(st.sampled_from(HEALTH_POOL), max_size=2),
    rng=st.randoms(use_true_random=False),
)
def test_streaming_equals_reference(
    batch: list[LogEntry],
    disabled: frozenset[str],
    cuts: list[int],
    devices: list[Device],
    health: list[HealthSubsystem],
    rng: random.Random,
) -> None:
    ordered = collection_order(batch)
    expected = reference(ordered, disabled=disabled, devices=devices, health=health)
    assert streamed(ordered, cuts, disabled=disabled, devices=devices, health=health) == expected

    shuffled = list(ordered)
    rng.shuffle(shuffled)
    whole = analyze(
        shuffled, catalogue=CATALOGUE, devices=devices, health=health, now=NOW, disabled=disabled
    )
    assert whole == expected


@SMALL_SETTINGS
@given(batch=entry_sets(), rng=st.randoms(use_true_random=False))
def test_analyze_drops_repeated_ids_like_the_reference(
    batch: list[LogEntry], rng: random.Random
) -> None:
    """Exact repeats anywhere in the input count once; ``entry_count`` counts the input."""
    repeated = batch + rng.sample(batch, min(len(batch), 5))
    rng.shuffle(repeated)
    assert analyze(repeated, catalogue=CATALOGUE, now=NOW) == reference_analyze(
        repeated, catalogue=CATALOGUE, now=NOW
    )


@SMALL_SETTINGS
@given(
    batch=entry_sets(),
    disabled=disabled_sets,
    since=st.integers(0, 1_000),
    devices=st.lists(st.sampled_from(DEVICE_POOL), max_size=2, unique_by=lambda d: d.mac),
)
def test_findings_since_a_time_are_those_of_the_whole_analysis(
    batch: list[LogEntry], disabled: frozenset[str], since: int, devices: list[Device]
) -> None:
    """Leaving out older findings (as each live push does) changes nothing else.

    ``since`` picks the newest time of one of the findings, or the millisecond after it, so
    each kind of finding meets the boundary: exactly those whose newest entry is older are
    left out, the rest come in the same order, with the health findings, the threat picture
    and the counts untouched.
    """
    ordered = collection_order(batch)
    whole = analyze(ordered, catalogue=CATALOGUE, devices=devices, now=NOW, disabled=disabled)
    times = sorted({_ms(finding.last_seen) for finding in whole.findings}) or [0]
    since_ms = times[since % len(times)] + (since % 3 == 0)
    recent = analyze(
        ordered, catalogue=CATALOGUE, devices=devices, now=NOW, disabled=disabled, since_ms=since_ms
    )
    health = analyze([], catalogue=CATALOGUE, devices=devices, now=NOW, disabled=disabled)
    kept = tuple(
        finding
        for finding in whole.findings
        if finding in health.findings or _ms(finding.last_seen) >= since_ms
    )
    assert recent.findings == kept
    assert replace(recent, findings=kept, ignored_findings=0) == replace(
        whole, findings=kept, ignored_findings=0
    )


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


# --- the tricky deduplication cases, spelled out -----------------------------------------------

SWITCH = "74:ac:b9:00:00:01"


def loop(source: Source, seconds: float, port: int, entry_id: str) -> LogEntry:
    time_ms = BASE_MS + round(seconds * 1000)
    return LogEntry(
        source=source,
        id=entry_id,
        key="EVT_SW_LoopDetected",
        time_ms=time_ms,
        message="loop",
        device_mac=SWITCH,
        device_name="Switch Office",
        raw={"port": port},
    )


def all_three(entries: list[LogEntry]) -> Analysis:
    """Check reference, one entry per page and ``analyze`` reversed agree; return the analysis."""
    ordered = collection_order(entries)
    expected = reference(ordered)
    assert streamed(ordered, range(len(ordered))) == expected
    assert analyze(ordered[::-1], catalogue=CATALOGUE, now=NOW) == expected
    return expected


def test_chain_keeps_the_newest_pair() -> None:
    """A(event, 0 s), B(alarm, 4 s), C(alarm, 6 s): A repeats B, not C.

    Newest first, C and B (both alarms) are kept and await the event source; C's time is more
    than 5 s after A's and expires, so A confirms B. Walking oldest first would keep A and C.
    """
    (finding,) = all_three(
        [
            loop(Source.EVENT, 0, 1, "a"),
            loop(Source.ALARM, 4, 2, "b"),
            loop(Source.ALARM, 6, 3, "c"),
        ]
    ).findings
    assert finding.count == 2
    assert finding.first_seen == at(BASE_MS + 4_000)
    assert finding.last_seen == at(BASE_MS + 6_000)
    assert "port 3" in finding.title


def test_equal_times_across_three_sources_are_one_occurrence() -> None:
    """Ties at one millisecond: the walk takes them in collection order (alarm first)."""
    (finding,) = all_three(
        [
            loop(Source.EVENT, 10, 1, "a"),
            loop(Source.ALARM, 10, 2, "a"),
            loop(Source.SYSTEM_LOG, 10, 3, "a"),
        ]
    ).findings
    assert finding.count == 1
    assert "port 2" in finding.title  # the alarm's, read first


def test_equal_times_within_one_source_stay_separate() -> None:
    (finding,) = all_three(
        [
            loop(Source.EVENT, 10, 1, "a"),
            loop(Source.EVENT, 10, 2, "b"),
            loop(Source.ALARM, 10, 3, "c"),
        ]
    ).findings
    # At the tie the walk reads the alarm first (sources sort by name): it is kept, one event
    # repeats it, and the other event is an occurrence of its own.
    assert finding.count == 2


def test_three_sources_each_confirm_once() -> None:
    """A(event, 0), B(alarm, 3), C(system_log, 6), D(event, 8): D absorbs C and B; A stays."""
    (finding,) = all_three(
        [
            loop(Source.EVENT, 0, 1, "a"),
            loop(Source.ALARM, 3, 2, "b"),
            loop(Source.SYSTEM_LOG, 6, 3, "c"),
            loop(Source.EVENT, 8, 2, "d"),
        ]
    ).findings
    assert finding.count == 2
    assert finding.first_seen == at(BASE_MS)
    assert finding.last_seen == at(BASE_MS + 8_000)


def test_tolerance_boundary_is_inclusive() -> None:
    exactly = all_three([loop(Source.EVENT, 0, 1, "a"), loop(Source.ALARM, 5, 2, "b")])
    assert exactly.findings[0].count == 1
    beyond = all_three([loop(Source.EVENT, 0, 1, "a"), loop(Source.ALARM, 5.001, 2, "b")])
    assert beyond.findings[0].count == 2


def logged(entry_id: str, seconds: float, admin: str, ip: str | None = None) -> LogEntry:
    time_ms = BASE_MS + round(seconds * 1000)
    return LogEntry(
        source=Source.EVENT,
        id=entry_id,
        key="EVT_AD_LoginFailed",
        time_ms=time_ms,
        message="",
        ip=ip,
        raw={"admin": admin},
    )


def gateway(entry_id: str, seconds: float, key: str, name: str, message: str = "") -> LogEntry:
    time_ms = BASE_MS + round(seconds * 1000)
    return LogEntry(
        source=Source.EVENT,
        id=entry_id,
        key=key,
        time_ms=time_ms,
        message=message,
        device_mac=GATEWAYS[0],
        device_name=name,
    )


# Equal milliseconds inside one aggregation group: which entry is the newest decides the names
# and addresses a finding shows. The reference breaks such ties in collection order, whatever
# order its aggregations grouped the entries in (addressless sign-ins first, then per address;
# one rule after another).


def test_tie_in_failed_logins_of_one_account() -> None:
    all_three([logged("h0", 0, "admin", "203.0.113.9"), logged("h1", 0, "admin")])


def test_tie_in_password_guessing_against_one_account() -> None:
    guesses = [logged(f"x{i}", 60 * i, "root", f"203.0.113.{i}") for i in range(4)]
    all_three([*guesses, logged("x9", 180, "root")])


def test_tie_across_wan_rules_of_one_gateway() -> None:
    all_three(
        [
            gateway("a", 0, "EVT_GW_WANTransition", "Gateway", WAN_DOWN),
            gateway("b", 600, "EVT_GW_WANTransition", "Gateway", WAN_UP),
            gateway("c", 600, "EVT_GW_WANTransition", "Backup", WAN_DOWN),
        ]
    )


def test_tie_across_lost_contact_rules_of_one_device() -> None:
    all_three(
        [
            gateway("a", 0, "EVT_GW_Lost_Contact", "Gateway"),
            gateway("b", 600, "EVT_AP_Lost_Contact", "Gateway"),
            gateway("c", 600, "EVT_GW_Lost_Contact", "Backup"),
        ]
    )


def test_each_failed_sign_in_finding_is_kept_up_to_its_newest_attempt() -> None:
    """Each kind of failed sign-in finding is kept up to the millisecond of its newest attempt.

    Guessing from one address, guessing against one account and a plain failure: asked for
    findings since its newest attempt, each is there; a millisecond later it is left out,
    however the others were judged.
    """
    from_one = [logged(f"a{i}", 60 * i, f"user{i}", "198.51.100.7") for i in range(5)]
    against_one = [logged(f"b{i}", 400 + 60 * i, "root", f"203.0.113.{i}") for i in range(5)]
    plain = [logged("c0", 900, "guest", "192.0.2.1")]
    entries = [*from_one, *against_one, *plain]
    whole = analyze(entries, catalogue=CATALOGUE, now=NOW).findings
    assert len(whole) == 3
    for finding in whole:
        newest = _ms(finding.last_seen)
        assert finding in analyze(entries, catalogue=CATALOGUE, now=NOW, since_ms=newest).findings
        later = analyze(entries, catalogue=CATALOGUE, now=NOW, since_ms=newest + 1).findings
        assert finding not in later
        assert later == tuple(other for other in whole if _ms(other.last_seen) > newest)


# --- the streaming analyser keeps aggregates, not entries ----------------------------------------


class _Tracked(LogEntry):
    """A ``LogEntry`` a weak reference can point at."""

    __slots__ = ("__weakref__",)


def _fresh_page(start: int, size: int, step_ms: int) -> list[LogEntry]:
    """Entries ``start`` … ``start + size`` counted back from the end of the day, newest first."""
    sources = (Source.EVENT, Source.ALARM, Source.SYSTEM_LOG)
    page: list[LogEntry] = []
    for number in range(start, start + size):
        time_ms = BASE_MS + 24 * HOUR_MS - number * step_ms
        kind = number % 6
        fields: dict[str, Any]
        if kind == 0:
            fields = {"key": "EVT_WU_Connected", "client_mac": f"00:00:00:00:{number % 97:04x}"}
        elif kind == 1:
            fields = {"key": "EVT_WU_Roam", "client_mac": CLIENTS[number % 3]}
        elif kind == 2:
            fields = {"key": "EVT_AD_LoginFailed", "ip": ADDRESSES[number % 3]}
        elif kind == 3:
            fields = {"key": "EVT_SW_LoopDetected", "device_mac": f"74:ac:b9:00:{number % 20:04x}"}
        elif kind == 4:
            fields = {"key": "EVT_AP_Lost_Contact", "device_mac": DEVICES[number % 4]}
        else:
            fields = {
                "key": "EVT_IPS_IpsAlert",
                "ip": ADDRESSES[number % 3],
                "threat": Threat(
                    signature=f"ET SIG {number % 7}",
                    signature_id=2_800_000 + number % 7,
                    category="",
                    action="blocked",
                    blocked=True,
                    severity=1 + number % 3,
                    src_ip=ADDRESSES[number % 3],
                    src_port=None,
                    dest_ip=None,
                    dest_port=None,
                    proto=None,
                    src_country=None,
                ),
            }
        page.append(
            _Tracked(
                source=sources[number % 3],
                id=f"{number:06d}",
                time_ms=time_ms,
                message="",
                raw={"port": number % 5},
                **fields,
            )
        )
    return page


def test_streaming_keeps_a_bounded_number_of_entries() -> None:
    total, size = 20_000, 1_000
    step_ms = 24 * HOUR_MS // total  # a day of entries, about one every 4 s
    analyzer = Analyzer(catalogue=CATALOGUE)
    refs: list[weakref.ref[LogEntry]] = []
    for start in range(0, total, size):
        page = _fresh_page(start, size, step_ms)
        refs.extend(weakref.ref(entry) for entry in page)
        analyzer.add(page)
        del page
    gc.collect()
    analysis = analyzer.result(now=NOW)
    gc.collect()
    alive = sum(ref() is not None for ref in refs)
    assert analysis.entry_count == total
    assert analysis.findings
    assert alive <= len(analysis.findings) * 4 + 50, (alive, len(analysis.findings))


def test_fresh_pages_match_the_reference() -> None:
    """The day of the retention test, analysed both ways (it is realistic enough to compare)."""
    newest_first = [
        entry for start in range(0, 3_000, 500) for entry in _fresh_page(start, 500, 4_000)
    ]
    ordered = newest_first[::-1]
    assert streamed(ordered, range(0, 3_000, 500)) == reference(ordered)


@example(seconds=[0.0, 0.0, 0.0])
@SMALL_SETTINGS
@given(
    seconds=st.lists(st.sampled_from([0.0, 0.001, 2.5, 4.999, 5.0, 5.001, 9.0, 10.0]), max_size=8)
)
def test_loop_bursts_across_sources(seconds: list[float]) -> None:
    """Small, readable counterexamples: one switch, three sources, times around 5 s."""
    sources = (Source.EVENT, Source.ALARM, Source.SYSTEM_LOG)
    all_three(
        [
            loop(sources[index % 3], moment, index % 3 + 1, f"{index}")
            for index, moment in enumerate(seconds)
        ]
    )
