"""The live window: which findings a batch of live entries completes, and what it remembers.

Entries are legacy rows as the event stream pushes them, normalised as the live feed does, and
analysed by the real engine and catalogue, so the findings are the ones a user would be told.
"""

from __future__ import annotations

import gc
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner import live_window
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.scanner.engine import Thresholds, analyze
from custom_components.unifi_scanner.scanner.live_window import (
    WINDOW_MAX_ENTRIES,
    WINDOW_SPAN_MS,
    LiveWindow,
    reported,
)
from custom_components.unifi_scanner.scanner.models import Finding, Source
from custom_components.unifi_scanner.scanner.normalize import normalize_entries
from custom_components.unifi_scanner.scanner.watermark import Checkpoint

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pytest

    from custom_components.unifi_scanner.scanner.models import LogEntry

CATALOGUE = load_catalogue()
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
NOW = datetime(2025, 1, 2, tzinfo=UTC)
MINUTE_MS = 60_000
BRUTE_FORCE = "admin_brute_force"
ROAMING_FLAP = "client_roaming_flap"
ROGUE_DHCP = "rogue_dhcp_detected"
CHANNEL_CHANGED = "ap_channel_changed"
_ids = itertools.count(1)


def _row(key: str, at_ms: int, **fields: Any) -> dict[str, Any]:
    return {"_id": f"row{next(_ids)}", "key": key, "time": at_ms, "msg": key, **fields}


def login_failed(at_ms: int) -> dict[str, Any]:
    """One failed admin sign-in from the same address: five in 15 minutes are guessing."""
    return _row("EVT_AD_LoginFailed", at_ms, ip="198.51.100.7", admin="admin", subsystem="lan")


def roam(at_ms: int) -> dict[str, Any]:
    """One roam of the same client: five within an hour are a flap."""
    return _row("EVT_WU_Roam", at_ms, user="aa:bb:cc:00:11:22", hostname="iPad")


def rogue_dhcp(at_ms: int) -> dict[str, Any]:
    return _row("EVT_SW_DetectRogueDHCP", at_ms, sw="74:ac:b9:00:00:01", sw_name="Office Switch")


def channel_changed(at_ms: int) -> dict[str, Any]:
    return _row("EVT_AP_ChannelChanged", at_ms)


def entries(*rows: dict[str, Any], source: Source = Source.LIVE) -> list[LogEntry]:
    normalised = normalize_entries(rows, source)
    assert len(normalised) == len(rows)
    return normalised


def complete(
    window: LiveWindow,
    batch: Sequence[LogEntry],
    *,
    checkpoint: Checkpoint | None = None,
    disabled: frozenset[str] = frozenset(),
) -> tuple[Finding, ...]:
    return window.completed(
        batch,
        catalogue=CATALOGUE,
        thresholds=Thresholds(),
        now=NOW,
        disabled=disabled,
        checkpoint=checkpoint,
    )


def rule_ids(findings: Sequence[Finding]) -> list[str]:
    return [finding.rule_id for finding in findings]


def test_a_single_event_finding_is_told_by_its_batch_and_not_again_by_later_ones() -> None:
    window = LiveWindow()
    first = complete(window, entries(rogue_dhcp(BASE_MS)))
    later = complete(window, entries(channel_changed(BASE_MS + MINUTE_MS)))
    assert rule_ids(first) == [ROGUE_DHCP]
    assert first[0].subject_name == "Office Switch"
    assert rule_ids(later) == [CHANNEL_CHANGED]  # the rogue server stays in the window, untold


def test_a_repeat_completes_the_finding_again_with_every_occurrence_counted() -> None:
    window = LiveWindow()
    complete(window, entries(rogue_dhcp(BASE_MS)))
    (again,) = complete(window, entries(rogue_dhcp(BASE_MS + MINUTE_MS)))
    assert again.rule_id == ROGUE_DHCP
    assert again.count == 2
    assert int(again.last_seen.timestamp() * 1000) == BASE_MS + MINUTE_MS


def test_findings_of_one_batch_come_in_report_order() -> None:
    findings = complete(
        LiveWindow(), entries(channel_changed(BASE_MS), rogue_dhcp(BASE_MS + MINUTE_MS))
    )
    assert rule_ids(findings) == [ROGUE_DHCP, CHANNEL_CHANGED]  # severe before low


def test_password_guessing_is_completed_by_the_attempt_that_crosses_the_threshold() -> None:
    window = LiveWindow()
    told = [
        complete(window, entries(login_failed(BASE_MS + attempt * MINUTE_MS)))
        for attempt in range(5)
    ]
    assert all(BRUTE_FORCE not in rule_ids(findings) for findings in told[:4])
    (guessing,) = (finding for finding in told[4] if finding.rule_id == BRUTE_FORCE)
    assert guessing.count == 5
    assert guessing.subject_ip == "198.51.100.7"


def test_a_late_row_is_merged_in_time_order_and_can_complete_an_aggregate() -> None:
    window = LiveWindow()
    for minutes in (0, 10, 20, 40):
        assert ROAMING_FLAP not in rule_ids(
            complete(window, entries(roam(BASE_MS + minutes * MINUTE_MS)))
        )
    late = complete(window, entries(roam(BASE_MS + 30 * MINUTE_MS)))  # older than the newest
    (flap,) = (finding for finding in late if finding.rule_id == ROAMING_FLAP)
    assert flap.count == 5
    assert int(flap.last_seen.timestamp() * 1000) == BASE_MS + 40 * MINUTE_MS
    assert len(window) == 5


def test_the_window_spans_an_hour_and_older_entries_leave_it() -> None:
    window = LiveWindow()
    assert WINDOW_SPAN_MS == 60 * MINUTE_MS
    complete(window, entries(channel_changed(BASE_MS)))
    complete(window, entries(channel_changed(BASE_MS + WINDOW_SPAN_MS)))
    assert len(window) == 2  # exactly one span old: still inside
    complete(window, entries(channel_changed(BASE_MS + WINDOW_SPAN_MS + 1)))
    assert len(window) == 2  # the first has left


def test_attempts_that_left_the_window_no_longer_count() -> None:
    """A shorter span than the rule's own window drops early attempts before they add up."""
    window = LiveWindow(span_ms=10 * MINUTE_MS)
    told = [
        complete(window, entries(login_failed(BASE_MS + minutes * MINUTE_MS)))
        for minutes in (0, 3, 6, 9, 12)
    ]
    assert all(BRUTE_FORCE not in rule_ids(findings) for findings in told)
    assert len(window) == 4
    unbounded = LiveWindow()
    told = [
        complete(unbounded, entries(login_failed(BASE_MS + minutes * MINUTE_MS)))
        for minutes in (0, 3, 6, 9, 12)
    ]
    assert BRUTE_FORCE in rule_ids(told[-1])  # the same attempts within the hour do add up


def test_a_burst_keeps_at_most_the_newest_entries() -> None:
    window = LiveWindow()
    burst = entries(*(channel_changed(BASE_MS + index) for index in range(WINDOW_MAX_ENTRIES + 1)))
    (changed,) = complete(window, burst)
    assert WINDOW_MAX_ENTRIES == 5_000
    assert len(window) == WINDOW_MAX_ENTRIES
    assert changed.count == WINDOW_MAX_ENTRIES  # the oldest one fell out before the analysis


def test_attempts_pushed_out_by_the_bound_no_longer_count() -> None:
    window = LiveWindow(max_entries=3)
    told = [
        complete(window, entries(login_failed(BASE_MS + attempt * MINUTE_MS)))
        for attempt in range(5)
    ]
    assert all(BRUTE_FORCE not in rule_ids(findings) for findings in told)
    assert len(window) == 3


def test_an_empty_batch_completes_nothing_and_changes_nothing() -> None:
    window = LiveWindow()
    complete(window, entries(rogue_dhcp(BASE_MS)))
    assert complete(window, []) == ()
    assert len(window) == 1


def test_a_switched_off_rule_completes_nothing() -> None:
    window = LiveWindow()
    assert complete(window, entries(rogue_dhcp(BASE_MS)), disabled=frozenset({ROGUE_DHCP})) == ()
    assert len(window) == 1  # kept: the rule may be switched on again


def _covered(*batches: Sequence[LogEntry]) -> Checkpoint:
    """Return the checkpoint of a delivered report that told these entries' log twins."""
    twins = {Source.LIVE: Source.EVENT, Source.LIVE_ALERT: Source.ALARM}
    return Checkpoint().advance(
        (twins.get(entry.source, entry.source), entry.id, entry.time_ms)
        for batch in batches
        for entry in batch
    )


def test_a_batch_a_report_already_told_completes_nothing() -> None:
    window = LiveWindow()
    batch = entries(rogue_dhcp(BASE_MS))
    assert complete(window, batch, checkpoint=_covered(batch)) == ()
    assert len(window) == 0


def test_entries_a_report_told_leave_the_window_and_no_longer_add_up() -> None:
    window = LiveWindow()
    attempts = [entries(login_failed(BASE_MS + attempt * MINUTE_MS)) for attempt in range(4)]
    for batch in attempts:
        complete(window, batch)
    fifth = entries(login_failed(BASE_MS + 4 * MINUTE_MS))
    told = complete(window, fifth, checkpoint=_covered(*attempts))
    assert BRUTE_FORCE not in rule_ids(told)  # the report told the first four already
    assert rule_ids(told) == ["admin_login_failed"]
    assert len(window) == 1


def test_the_window_is_checked_again_only_when_a_report_moved_the_checkpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A push checks its own entries; the held ones only once per delivered report."""
    window = LiveWindow()
    earlier = [entries(roam(BASE_MS + n * MINUTE_MS)) for n in range(3)]
    before = _covered(entries(rogue_dhcp(BASE_MS - MINUTE_MS)))
    for batch in earlier:
        complete(window, batch, checkpoint=before)
    checked: list[str] = []
    is_new = Checkpoint.is_new

    def counted(self: Checkpoint, source: Source, entry_id: str, time_ms: int) -> bool:
        checked.append(entry_id)
        return is_new(self, source, entry_id, time_ms)

    monkeypatch.setattr(Checkpoint, "is_new", counted)
    (push,) = entries(roam(BASE_MS + 3 * MINUTE_MS))
    complete(window, [push], checkpoint=before)
    assert set(checked) == {push.id}
    assert len(window) == 4

    checked.clear()
    delivered = _covered(*earlier)  # a report told the first three
    (later,) = entries(roam(BASE_MS + 4 * MINUTE_MS))
    told = complete(window, [later], checkpoint=delivered)
    assert set(checked) == {entry.id for batch in earlier for entry in batch} | {
        push.id,
        later.id,
    }
    assert len(window) == 2
    assert ROAMING_FLAP not in rule_ids(told)  # five roams, but a report told three of them


def test_entries_added_without_a_checkpoint_are_checked_by_the_next_one() -> None:
    window = LiveWindow()
    first = entries(rogue_dhcp(BASE_MS))
    second = entries(channel_changed(BASE_MS + MINUTE_MS))
    delivered = _covered(second)
    complete(window, first, checkpoint=delivered)
    complete(window, second)  # not checked: no checkpoint was given
    assert len(window) == 2
    complete(window, entries(channel_changed(BASE_MS + 2 * MINUTE_MS)), checkpoint=delivered)
    assert len(window) == 2  # the second left: the same checkpoint had told it


def test_a_report_is_judged_by_the_log_twin_of_each_live_source() -> None:
    (live,) = entries(rogue_dhcp(BASE_MS))
    (alert,) = entries(rogue_dhcp(BASE_MS), source=Source.LIVE_ALERT)
    logged = replace(live, source=Source.SYSTEM_LOG)  # a log source is its own twin
    events = Checkpoint().advance([(Source.EVENT, live.id, live.time_ms)])
    alarms = Checkpoint().advance([(Source.ALARM, alert.id, alert.time_ms)])
    own = Checkpoint().advance([(Source.SYSTEM_LOG, logged.id, logged.time_ms)])
    assert reported(events, live)
    assert not reported(alarms, live)
    assert reported(alarms, alert)
    assert not reported(events, alert)
    assert reported(own, logged)
    assert not reported(events, logged)


def test_a_stream_only_row_a_report_told_is_judged_by_its_own_mark() -> None:
    """Network 10 Wi-Fi rows reach a report as themselves: their own mark covers them."""
    (live,) = entries(rogue_dhcp(BASE_MS))
    kept = Checkpoint().advance([(Source.LIVE, live.id, live.time_ms)])
    assert reported(kept, live)
    assert not reported(Checkpoint(), live)


def test_each_push_analyses_with_the_collector_paused_and_keeps_only_what_it_completed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-analysing a full window must not leave thousands of objects to the collector.

    What survived a pass used to reach the old generation and set off full collections of Home
    Assistant's heap (the GIL held for over 100 ms) every few dozen pushes.
    """
    window = LiveWindow()
    switches = [
        _row(
            "EVT_SW_DetectRogueDHCP",
            BASE_MS + index,
            sw=f"74:ac:b9:00:{index // 256:02x}:{index % 256:02x}",
            sw_name=f"Switch {index}",
        )
        for index in range(300)
    ]
    complete(window, entries(*switches))
    collector_on_in_analysis: list[bool] = []
    findings_alive_on_resume: list[int] = []
    enable = gc.enable

    def watched_analyze(*args: Any, **kwargs: Any) -> Any:
        collector_on_in_analysis.append(gc.isenabled())
        return analyze(*args, **kwargs)

    def watched_enable() -> None:
        findings_alive_on_resume.append(sum(type(o) is Finding for o in gc.get_objects()))
        enable()

    monkeypatch.setattr(live_window, "analyze", watched_analyze)
    monkeypatch.setattr(gc, "enable", watched_enable)
    gc.collect()
    before = sum(type(o) is Finding for o in gc.get_objects())
    (told,) = complete(window, entries(rogue_dhcp(BASE_MS + MINUTE_MS)))
    assert told.subject_name == "Office Switch"
    assert collector_on_in_analysis == [False]
    assert gc.isenabled()
    # 301 findings were made; only the one the push completed is still alive.
    assert [alive - before for alive in findings_alive_on_resume] == [1]
