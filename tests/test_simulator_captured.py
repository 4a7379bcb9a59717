"""Captured rows from tests/corpus reach clients as real gateways serve them, in every mode."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.corpus import (
    SOURCES,
    CorpusError,
    all_rows,
    corpus_names,
    corpus_row,
    load_corpus,
    parse_corpus,
)
from tests.simulator import GatewaySimulator, Mode, scenario_names
from tests.simulator.captured import ScenarioError, id_field, row_time
from tests.simulator.faults import HANG_GUARD
from tests.simulator.scenario import build_scenario, load_scenario

if TYPE_CHECKING:
    import aiohttp

    from tests.simulator.captured import CapturedItem

PASSWORD = "correct horse battery staple"  # noqa: S105 - the simulator default
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
DAY_MS = 86_400_000
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TIME_KEYS = ("time", "timestamp", "datetime")
FIELD = load_scenario("field").sites[0].captured
VERSIONS = {"unifi_os": "9.0.114", "classic": "8.6.9", "network10": "10.0.162"}


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """Let tests reach the simulator, a real server on 127.0.0.1."""


class Console:
    """A logged-in client of one simulator, as the scanner talks to a console."""

    def __init__(self, http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
        """Talk to `sim` through `http`; call `login` before anything else."""
        self.http, self.sim, self.csrf = http, sim, ""
        self.prefix = "" if sim.mode is Mode.CLASSIC else "/proxy/network"

    async def login(self) -> Console:
        """Log in with the simulator's default account and keep its CSRF token."""
        path = "/api/login" if self.sim.mode is Mode.CLASSIC else "/api/auth/login"
        body = {"username": "admin", "password": PASSWORD}
        async with self.http.post(self.sim.url + path, json=body) as response:
            assert response.status == 200
            self.csrf = response.headers["X-CSRF-Token"]
        return self

    async def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """GET (no body) or POST a Network path; return the status and the decoded body."""
        method = "GET" if body is None else "POST"
        url = self.sim.url + self.prefix + path
        headers = {"X-CSRF-Token": self.csrf}
        async with self.http.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    async def rows(self, path: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Return the `data` rows of an answer that must succeed."""
        status, answer = await self.call(path, body)
        assert status == 200, (path, status, answer)
        return list(answer["data"])


def _field(mode: Mode) -> GatewaySimulator:
    return GatewaySimulator(mode=mode, scenario="field", now=lambda: NOW)


def _content(row: dict[str, Any]) -> dict[str, Any]:
    """Drop the fields the simulator rewrites; the rest must arrive verbatim."""
    return {k: v for k, v in row.items() if k not in {"id", "_id", *TIME_KEYS}}


def _expected_time(item: CapturedItem) -> int | None:
    if "time" in item.omit:
        return None
    if "time" in item.keep:
        return row_time(item.row, item.source)
    assert item.minutes_ago is not None
    return NOW_MS - int(item.minutes_ago * 60_000)


def _served(item: CapturedItem, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Find the one served row for `item`: same content, and the time the item gives it.

    Content alone is ambiguous: a captured `EVT_AP_Lost_Contact` reads exactly like the
    generated ones for the same access point, as it would on a real console.
    """
    found = [
        row
        for row in rows
        if _content(row) == _content(item.row)
        and row_time(row, item.source) == _expected_time(item)
        and ("id" not in item.omit or id_field(item.source) not in row)
    ]
    assert len(found) == 1, f"{item.origin}: served {len(found)} times"
    return found[0]


def _check_time(item: CapturedItem, row: dict[str, Any]) -> None:
    if "time" in item.omit:
        assert not set(TIME_KEYS) & set(row), item.origin
        return
    assert item.minutes_ago is not None
    when = NOW_MS - int(item.minutes_ago * 60_000)
    assert NOW_MS - DAY_MS <= when <= NOW_MS
    iso = dt.datetime.fromtimestamp(when // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if item.source == "system_log":
        assert row["timestamp"] == when
    else:
        assert (row["time"], row["datetime"]) == (when, iso), item.origin
    if item.source == "ips" or (item.source != "system_log" and "timestamp" in item.row):
        assert row["timestamp"] == when // 1000


def _check_ids(served: dict[int, dict[str, Any]]) -> None:
    """Fresh ObjectIds everywhere, unique except where `same_id_as` repeats one on purpose."""
    ids = []
    for index, row in served.items():
        item = FIELD[index]
        key = id_field(item.source)
        if "id" in item.omit:
            assert key not in row, item.origin
            continue
        assert OBJECT_ID.match(row[key]), item.origin
        assert row[key] != item.row.get(key), f"{item.origin}: the corpus id was not replaced"
        if item.same_id_as is None:
            ids.append(row[key])
        else:
            assert row[key] == served[item.same_id_as][key]
    assert len(ids) == len(set(ids))


# -- corpus ---------------------------------------------------------------------------------


def test_the_corpus_loads_with_unique_names_and_known_sources() -> None:
    rows = all_rows()
    assert len({row.name for row in rows}) == len(rows)
    assert {row.source for row in rows} == SOURCES
    for row in rows:
        assert isinstance(row.row, dict)
        assert row.note
        assert "\n" not in row.note
    assert set(corpus_names()) >= {"v2_threats", "legacy_ips", "devices", "health", "unreadable"}
    first = load_corpus("v2_threats")[0]
    first.row["key"] = "CHANGED"
    assert load_corpus("v2_threats")[0].row["key"] != "CHANGED"  # every load is a fresh copy


def test_the_corpus_holds_the_shapes_readers_trip_over() -> None:
    threats = [r.row for r in load_corpus("v2_threats")]
    assert all(not {"SIGNATURE", "ACTION"} & set(row["parameters"]) for row in threats)
    inbound = [row for row in threats if row["key"] == "THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT"]
    assert len({row["parameters"]["SRC_IP"]["id"] for row in inbound}) >= 3
    assert len({row["parameters"]["DST_CLIENT"]["id"] for row in inbound}) == 1
    beacon = corpus_row("v2_threats:threat_detected_outbound_beacon").row
    assert (beacon["event"], beacon["severity"]) == ("THREAT_DETECTED", "VERY_HIGH")
    assert {"SRC_CLIENT", "DST_IP"} <= set(beacon["parameters"])
    long_row = corpus_row("v2_variants:long_title_no_placeholders").row
    assert min(len(long_row["title_raw"]), len(long_row["message_raw"])) >= 200
    assert "{" not in long_row["title_raw"] + long_row["message_raw"]
    actions = {r.row["inner_alert_action"] for r in load_corpus("legacy_ips") if r.source == "ips"}
    assert actions == {"allowed", "blocked"}
    unreadable = {r.name: r.row for r in load_corpus("unreadable")}
    assert "id" not in unreadable["v2_without_id"]
    assert not {"timestamp", "time"} & set(unreadable["v2_without_timestamp"])
    assert "_id" not in unreadable["legacy_event_without_id"]
    assert not {"time", "datetime"} & set(unreadable["legacy_event_without_time"])
    first, second = unreadable["v2_same_id_first"], unreadable["v2_same_id_second"]
    assert first["id"] == second["id"]
    assert first != second


_ROW = {"name": "a", "source": "ips", "note": "n", "row": {}}


def _file(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "description": "x", "rows": list(rows)}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"description": "x", "rows": []}, "version: 1"),
        ({"version": 1, "rows": [{}]}, "description"),
        (_file(), "non-empty list"),
        (_file({"name": "a", "source": "ips"}), "exactly the keys"),
        (_file(_ROW | {"source": "syslog"}), "unknown source 'syslog'"),
        (_file(_ROW | {"row": []}), "row must be a mapping"),
        (_file(_ROW | {"note": "two\nlines"}), "note must be one non-empty line"),
        (_file(_ROW | {"name": "Bad-Name"}), "not snake_case"),
        (_file(_ROW, _ROW), "repeated row names a"),
    ],
)
def test_a_malformed_corpus_file_is_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(CorpusError, match=re.escape(message)):
        parse_corpus("broken", raw)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("v2_threats", "is not '<file>:<row name>'"),
        ("nowhere:row", "no file nowhere.yaml"),
        ("v2_threats:nope", "v2_threats.yaml has no row named 'nope'"),
    ],
)
def test_a_bad_corpus_reference_says_what_is_wrong(reference: str, message: str) -> None:
    with pytest.raises(CorpusError, match=re.escape(message)):
        corpus_row(reference)


# -- scenarios ------------------------------------------------------------------------------


def _scenario(captured: list[Any], **site: Any) -> dict[str, Any]:
    default = {"id": "0" * 24, "name": "default", "desc": "Default", "captured": captured}
    return {"console": {"versions": VERSIONS}, "sites": [default | site]}


def test_every_shipped_scenario_still_builds() -> None:
    assert {"busy", "field", "home", "multisite"} <= set(scenario_names())
    for name in scenario_names():
        sim = GatewaySimulator(scenario=name, now=lambda: NOW)
        assert sim.site_names
    field = GatewaySimulator(scenario="field", now=lambda: NOW)
    assert field.site_names == ["default", "d3p0tx7k", "k1osk9qz"]
    depot = field.site_store("d3p0tx7k")
    usg = corpus_row("devices:usg3p_wan_monitors_only").row
    assert depot.devices[0]["uptime_stats"] == usg["uptime_stats"]
    assert {item["status"] for item in depot.health} == {"error", "unknown", "warning", "ok"}
    vpn = next(i for i in field.site_store("default").health if i["subsystem"] == "vpn")
    assert (vpn["status"], vpn["site_to_site_num_inactive"]) == ("error", 1)
    kiosk = field.site_store("k1osk9qz").devices[0]
    assert "uptime_stats" not in kiosk
    speedtest = corpus_row("devices:gateway_speedtest_latency_only").row["speedtest-status"]
    assert kiosk["speedtest-status"] == speedtest  # served as the corpus has it


@pytest.mark.parametrize(
    ("captured", "message"),
    [
        ([{"minutes_ago": 1, "corpus": "v2_threats:nope"}], "has no row named 'nope'"),
        ([{"minutes_ago": 1, "corpus": "gone:row"}], "no file gone.yaml"),
        ([{"minutes_ago": 1, "corpus": "devices:usg3p_wan_monitors_only"}], "site's devices"),
        ([{"minutes_ago": 1, "corpus": "health:wan_unknown"}], "under the site's health"),
        (
            [
                {
                    "minutes_ago": 1,
                    "source": "system_log",
                    "corpus": "legacy_ips:trojan_blocked_outbound",
                }
            ],
            "cannot be served as system_log",
        ),
        ([{"minutes_ago": 1, "source": "syslog", "row": {}}], "source 'syslog' is not one of"),
        ([{"minutes_ago": 1, "source": "event"}], "exactly one of 'row' or 'corpus'"),
        ([{"corpus": "v2_threats:threat_blocked_inbound_a"}], "minutes_ago is required"),
        ([{"minutes_ago": -5, "source": "event", "row": {}}], "zero or more"),
        ([{"minutes_ago": 1, "source": "event", "row": {}, "keep": ["id"]}], "has no _id"),
        ([{"source": "event", "row": {}, "keep": ["time"]}], "no time to keep"),
        ([{"minutes_ago": 1, "source": "event", "row": {}, "omit": ["ip"]}], "'omit' must be"),
        (
            [{"minutes_ago": 1, "source": "event", "row": {}, "keep": ["id"], "omit": ["id"]}],
            "id cannot be both kept and omitted",
        ),
        ([{"minutes_ago": 1, "source": "event", "row": {}, "same_id_as": 0}], "earlier"),
        (
            [
                {"minutes_ago": 1, "source": "event", "row": {}, "omit": ["id"]},
                {"minutes_ago": 1, "source": "event", "row": {"a": 1}, "same_id_as": 0},
            ],
            "names an item whose id is omitted",
        ),
        ([{"minutes_ago": 1, "source": "event", "row": {}, "when": 3}], "unknown keys when"),
    ],
)
def test_a_bad_captured_item_fails_when_the_scenario_loads(
    captured: list[Any], message: str
) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)) as failure:
        build_scenario("broken", _scenario(captured))
    assert "scenario broken, site 'default', captured[" in str(failure.value)


def test_a_device_reference_must_name_a_device_row() -> None:
    raw = _scenario([], devices=[{"corpus": "health:wan_unknown"}])
    with pytest.raises(ScenarioError, match="is a health row, not a device row"):
        build_scenario("broken", raw)


# -- serving --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [Mode.UNIFI_OS, Mode.CLASSIC, Mode.NETWORK10])
async def test_captured_rows_are_served_per_mode(http: aiohttp.ClientSession, mode: Mode) -> None:
    async with _field(mode) as sim:
        console = await Console(http, sim).login()
        v2_path = "/v2/api/site/default/system-log/all"
        window = {"timestampFrom": NOW_MS - DAY_MS, "timestampTo": NOW_MS, "pageSize": 1000}
        paths = {
            "system_log": (v2_path, window),
            "event": ("/api/s/default/stat/event", {"within": 24}),
            "ips": ("/api/s/default/stat/ips/event", {}),
            "alarm": ("/api/s/default/list/alarm", None),
        }
        gone = {
            Mode.UNIFI_OS: set(),
            Mode.CLASSIC: {"system_log"},
            Mode.NETWORK10: {"event", "ips"},
        }[mode]
        for source, (path, body) in paths.items():
            indices = [index for index, item in enumerate(FIELD) if item.source == source]
            assert indices, source
            if source in gone:
                assert (await console.call(path, body or {}))[0] == 404
                continue
            rows = await console.rows(path, body)
            served = {index: _served(FIELD[index], rows) for index in indices}
            for index, row in served.items():
                _check_time(FIELD[index], row)
            _check_ids(served)


async def test_one_id_for_two_different_rows(http: aiohttp.ClientSession) -> None:
    async with _field(Mode.NETWORK10) as sim:
        console = await Console(http, sim).login()
        window = {"timestampFrom": NOW_MS - DAY_MS, "timestampTo": NOW_MS, "pageSize": 1000}
        rows = await console.rows("/v2/api/site/default/system-log/all", window)
        first = _served(FIELD[26], rows)
        second = _served(FIELD[27], rows)
        assert FIELD[27].same_id_as == 26
        assert first["id"] == second["id"]
        assert first["id"] != corpus_row("unreadable:v2_same_id_first").row["id"]
        assert _content(first) != _content(second)
        assert sum(row.get("id") == first["id"] for row in rows) == 2


async def test_rows_without_a_time_pass_every_window(http: aiohttp.ClientSession) -> None:
    timeless_v2 = _content(corpus_row("unreadable:v2_without_timestamp").row)
    timeless_event = _content(corpus_row("unreadable:legacy_event_without_time").row)
    async with _field(Mode.UNIFI_OS) as sim:
        console = await Console(http, sim).login()
        ancient = {"timestampFrom": 0, "timestampTo": 1000}
        rows = await console.rows("/v2/api/site/default/system-log/all", ancient)
        assert [_content(row) for row in rows] == [timeless_v2]
        rows = await console.rows("/api/s/default/stat/event", {"within": 0})
        assert [_content(row) for row in rows] == [timeless_event]
        rows = await console.rows("/api/s/default/stat/event", {"within": 1})
        assert _content(rows[-1]) == timeless_event  # newest first puts the timeless row last
        assert len(rows) > 1


async def test_network10_pages_through_captured_rows(http: aiohttp.ClientSession) -> None:
    async with _field(Mode.NETWORK10) as sim:
        console = await Console(http, sim).login()
        path = "/v2/api/site/default/system-log/all"
        body: dict[str, Any] = {
            "timestampFrom": NOW_MS - DAY_MS,
            "timestampTo": NOW_MS,
            "categories": ["SECURITY"],
            "pageSize": 4,
        }
        seen: list[dict[str, Any]] = []
        pages = 1
        for page in range(100):
            status, answer = await console.call(path, body | {"pageNumber": page})
            assert status == 200
            seen += answer["data"]
            pages = answer["total_page_count"]
            if page >= pages - 1:
                break
        assert len(seen) == answer["total_element_count"] > 4
        assert pages > 1
        security = [item for item in FIELD if item.row.get("category") == "SECURITY"]
        for item in security:
            _served(item, seen)
        assert "timestamp" not in seen[-1]  # the row without a time comes last, newest first
        stamps = [row["timestamp"] for row in seen[:-1]]
        assert stamps == sorted(stamps, reverse=True)


async def test_kept_fields_and_inline_rows(http: aiohttp.ClientSession) -> None:
    fixed = corpus_row("v2_threats:threat_blocked_inbound_a").row
    event = {"_id": "68e7780000000000000000aa", "key": "EVT_AD_Login", "msg": "Admin[admin] log in"}
    raw = _scenario(
        [
            {"minutes_ago": 5, "corpus": "v2_threats:threat_blocked_inbound_a", "keep": ["id"]},
            {"corpus": "v2_threats:threat_blocked_inbound_b", "keep": ["time"]},
            {"minutes_ago": 2, "source": "event", "row": event, "keep": ["id"]},
            {"minutes_ago": 3, "source": "alarm", "corpus": "legacy_ips:ips_alert_in_stat_event"},
        ]
    )
    async with GatewaySimulator(scenario=build_scenario("kept", raw), now=lambda: NOW) as sim:
        console = await Console(http, sim).login()
        everything = {"timestampFrom": 0, "timestampTo": NOW_MS}
        rows = await console.rows("/v2/api/site/default/system-log/all", everything)
        by_key = {row["id"]: row for row in rows}
        assert by_key[fixed["id"]]["timestamp"] == NOW_MS - 5 * 60_000
        second = corpus_row("v2_threats:threat_blocked_inbound_b").row
        kept = next(row for row in rows if row["timestamp"] == second["timestamp"])
        assert kept["id"] != second["id"]
        events = await console.rows("/api/s/default/stat/event", {"within": 1})
        assert [(row["_id"], row["time"]) for row in events] == [(event["_id"], NOW_MS - 120_000)]
        alarms = await console.rows("/api/s/default/list/alarm", None)
        assert [row["timestamp"] for row in alarms] == [(NOW_MS - 180_000) // 1000]
        assert "archived" not in alarms[0]  # served verbatim, not dressed up as an alarm


async def test_raw_rows_appended_later_go_live(http: aiohttp.ClientSession) -> None:
    async with _field(Mode.UNIFI_OS) as sim:
        console = await Console(http, sim).login()
        url = sim.url + "/proxy/network/wss/s/default/events"
        row = corpus_row("unreadable:legacy_event_without_time").row
        async with http.ws_connect(url) as socket:
            generated = sim.append_event("EVT_AP_Lost_Contact", at=NOW)  # beside timeless rows
            sim.append_row("event", row)
            first = await socket.receive_json(timeout=HANG_GUARD)
            second = await socket.receive_json(timeout=HANG_GUARD)
        assert (first["data"], second["data"]) == ([generated], [row])
        rows = await console.rows("/api/s/default/stat/event", {"within": 0})
        assert generated in rows
        assert sum(_content(r) == _content(row) for r in rows) == 2
