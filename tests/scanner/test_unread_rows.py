"""Nothing vanishes without a trace: unreadable rows and key variants are counted and shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import analyze
from custom_components.unifi_scanner.scanner.models import LATEST_MS, SkippedRows, Source
from custom_components.unifi_scanner.scanner.normalize import normalize_system_log
from custom_components.unifi_scanner.scanner.normalize.collector import OrderedCollector
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.report import build_report

CATALOGUE = load_catalogue()
NOW = datetime(2025, 10, 9, 10, tzinfo=UTC)
BASE_MS = 1_760_000_000_000


def v2(number: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"{number:024x}",
        "key": "CLIENT_CONNECTED_WIRELESS",
        "event": "CLIENT_CONNECTED",
        "timestamp": BASE_MS + number,
        "message": f"Client {number} connected",
        "parameters": {"CLIENT": {"id": f"aa:bb:cc:00:00:{number % 256:02x}", "name": "phone"}},
    }
    return row | overrides


def legacy(number: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "_id": f"{number:024x}",
        "key": "EVT_WU_Connected",
        "time": BASE_MS + number,
        "msg": "User connected",
        "user": "aa:bb:cc:00:00:01",
    }
    return row | overrides


def test_the_collector_counts_what_it_cannot_use_per_source() -> None:
    collector = OrderedCollector([Source.SYSTEM_LOG, Source.EVENT])
    first = v2(1)
    page = [
        first,
        v2(2, id=None),  # no id
        v2(3, timestamp=None, time=None),  # no time
        dict(first),  # an overlapping page repeats a row unchanged: not a problem
        v2(1, message="Something else entirely"),  # the same id, other content
        "not even a mapping",
    ]
    collector.add_page(page, Source.SYSTEM_LOG)  # type: ignore[arg-type]
    events = [legacy(1), legacy(2, _id=""), legacy(3, time="soon", datetime=None)]
    collector.add_page(events, Source.EVENT)
    assert collector.held == 2
    assert collector.skipped() == {
        Source.EVENT: SkippedRows(unreadable=2),
        Source.SYSTEM_LOG: SkippedRows(unreadable=3, conflicting=1),
    }
    collector.discard(Source.EVENT)
    assert Source.EVENT not in collector.skipped()


def test_times_no_date_can_show_are_unreadable_rows() -> None:
    """Beyond 9999-12-31, in milliseconds, strings or ISO text: skipped and counted."""
    collector = OrderedCollector([Source.SYSTEM_LOG, Source.EVENT, Source.IPS])
    last = LATEST_MS
    collector.add_page(
        [v2(1, timestamp=last), v2(2, timestamp=last + 1), v2(3, timestamp=str(last + 1))],
        Source.SYSTEM_LOG,
    )
    collector.add_page(
        [
            legacy(4, time=10**20),
            legacy(6, time=None, datetime="9999-12-31T23:00:00-05:00"),
            legacy(7, time=None, datetime="9999-12-31T23:59:59.999+00:00"),
        ],
        Source.EVENT,
    )
    collector.add_page([legacy(8, time=None, timestamp=10**19)], Source.IPS)
    kept = collector.remaining()
    assert sorted(entry.id for entry in kept) == [f"{1:024x}", f"{7:024x}"]
    assert {entry.time for entry in kept} == {datetime(9999, 12, 31, 23, 59, 59, 999000, UTC)}
    assert collector.skipped() == {
        Source.SYSTEM_LOG: SkippedRows(unreadable=2),
        Source.EVENT: SkippedRows(unreadable=2),
        Source.IPS: SkippedRows(unreadable=1),
    }


def test_a_repeat_outside_the_window_is_not_compared() -> None:
    collector = OrderedCollector([Source.SYSTEM_LOG], since_ms=BASE_MS + 10)
    collector.add_page([v2(1), v2(1, message="changed"), v2(20), v2(20)], Source.SYSTEM_LOG)
    assert len(collector.remaining()) == 1
    assert collector.skipped() == {}


def _report(skipped: dict[Source, SkippedRows]) -> Any:
    analysis = analyze([], catalogue=CATALOGUE, now=NOW)
    return build_report(
        analysis,
        gateway="UCG Ultra",
        site="default",
        period_start=NOW,
        period_end=NOW,
        generated_at=NOW,
        skipped=skipped,
    )


def test_every_format_says_how_many_rows_could_not_be_read() -> None:
    report = _report(
        {
            Source.SYSTEM_LOG: SkippedRows(unreadable=2, conflicting=1),
            Source.IPS: SkippedRows(unreadable=1),
        }
    )
    assert report.skipped_rows == 4
    sentence = (
        "4 rows could not be read (system log: 2 without a usable id or time and 1 repeating "
        "an earlier id with different content; IPS log: 1 without a usable id or time)."
    )
    assert sentence in render_text(report, width=400)
    assert sentence in render_html(report)
    assert sentence.replace("(", "\\(").replace(")", "\\)") in render_markdown(report)
    assert report_to_dict(report)["skipped_rows"] == {
        "system_log": {"unreadable": 2, "conflicting": 1},
        "ips": {"unreadable": 1, "conflicting": 0},
    }


def test_one_row_is_one_row() -> None:
    report = _report({Source.EVENT: SkippedRows(conflicting=1)})
    assert (
        "1 row could not be read (event log: 1 repeating an earlier id with different content)."
        in render_text(report, width=400)
    )
    clean = _report({})
    assert "could not be read" not in render_text(clean)
    assert "could not be read" not in render_markdown(clean)
    assert "could not be read" not in render_html(clean)


def test_a_variant_key_matches_through_its_event_and_is_counted() -> None:
    rows = [v2(n, key="CLIENT_CONNECTED_WIRELESS_GUEST") for n in range(3)]
    rows.append(v2(9, key="CLIENT_SOMETHING_NEW", event="CLIENT_NOTHING_KNOWN"))
    entries = [entry for entry in map(normalize_system_log, rows) if entry is not None]
    analysis = analyze(entries, catalogue=CATALOGUE, now=NOW)
    (finding,) = [f for f in analysis.findings if f.rule_id == "client_connected"]
    assert finding.count == 3
    assert finding.keys == ("CLIENT_CONNECTED_WIRELESS_GUEST",)
    (variant,) = analysis.key_variants
    assert (variant.key, variant.event, variant.count) == (
        "CLIENT_CONNECTED_WIRELESS_GUEST",
        "CLIENT_CONNECTED",
        3,
    )
    assert analysis.unknown_keys == {"CLIENT_SOMETHING_NEW": 1}
    report = build_report(
        analysis, gateway="g", site="s", period_start=NOW, period_end=NOW, generated_at=NOW
    )
    assert report_to_dict(report)["key_variants"] == [
        {"key": "CLIENT_CONNECTED_WIRELESS_GUEST", "event": "CLIENT_CONNECTED", "count": 3}
    ]


def test_a_known_key_is_never_read_as_its_event() -> None:
    entries = [normalize_system_log(v2(1, event="ADMIN_LOGIN_FAILED"))]
    analysis = analyze([e for e in entries if e is not None], catalogue=CATALOGUE, now=NOW)
    assert [f.rule_id for f in analysis.findings] == ["client_connected"]
    assert analysis.key_variants == ()


def test_a_threat_variant_is_counted_too() -> None:
    row = v2(
        1,
        key="THREAT_BLOCKED_KNOWN_DESTINATION_CLIENT",
        event="THREAT_BLOCKED",
        parameters={"SRC_IP": {"id": "198.51.100.1"}},
    )
    entry = normalize_system_log(row)
    assert entry is not None
    assert entry.threat is not None
    analysis = analyze([entry], catalogue=CATALOGUE, now=NOW)
    (variant,) = analysis.key_variants
    assert variant.event == "THREAT_BLOCKED"
    assert analysis.unknown_keys == {}


def test_a_threat_named_only_by_its_event_is_a_threat() -> None:
    entry = normalize_system_log(v2(1, key=None, event="THREAT_DETECTED"))
    assert entry is not None
    assert entry.threat is not None
    odd = normalize_system_log(v2(2, key="SECURITY_NOTICE_X", event="THREAT_SEEN"))
    assert odd is not None
    assert odd.threat is not None
