"""A gateway inventing event keys: listed up to a bound, counted past it, memory flat.

Unknown keys are how the report tells its reader that the gateway says things no rule reads;
a broken gateway can invent one per event. The report must still say how many there were, and
keys read through a known event must still reach their rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner import by_subject, engine
from custom_components.unifi_scanner.scanner.render import render_markdown, report_to_dict
from custom_components.unifi_scanner.scanner.tally import KEYS_TOLD
from tests.scanner.crowd import event, mac, of, peak_while_analysing, run
from tests.scanner.report_samples import report
from tests.scanner.test_threats import BASE_S, ips_row

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

    from custom_components.unifi_scanner.scanner.models import LogEntry


def invented(count: int) -> list[LogEntry]:
    """One event per invented key, a second apart, the first the oldest."""
    return [event(f"EVT_XX_Invented{number}", number * 1000) for number in range(count)]


def test_keys_past_the_kept_ones_are_counted_not_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "KEYS_KEPT", 50)
    analysis = run(invented(80))
    assert set(analysis.unknown_keys) == {f"EVT_XX_Invented{n}" for n in range(30, 80)}
    assert analysis.unknown_keys_more == 30
    sample = report(analysis)
    assert sample.unknown_key_count == 80
    assert "…and 70 more keys" in render_markdown(sample)  # ten are listed
    assert report_to_dict(sample)["unknown_keys_more"] == 30


def test_past_the_counted_keys_the_count_is_a_lower_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "KEYS_KEPT", 50)
    monkeypatch.setattr(by_subject, "OTHERS_COUNTED", 10)
    analysis = run(invented(80))
    assert (len(analysis.unknown_keys), analysis.unknown_keys_more) == (50, 10)


def test_keys_read_through_a_known_event_all_reach_their_rule_past_the_kept_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "KEYS_KEPT", 50)
    lost = [
        event(f"AP_LOST_CONTACT_{n}", n * 1000, ap=mac(n), event="EVT_AP_Lost_Contact")
        for n in range(80)
    ]
    alerts = [
        ips_row(timestamp=BASE_S + n, key=f"EVT_IPS_Variant{n}", event="EVT_IPS_IpsAlert")
        for n in range(80)
    ]
    analysis = run(lost + alerts)
    assert len(analysis.key_variants) == 50
    assert {variant.event for variant in analysis.key_variants} == {
        "EVT_AP_Lost_Contact",
        "EVT_IPS_IpsAlert",
    }
    assert len(of(analysis, "device_lost_contact")) == 80
    assert analysis.threats.total == 80
    assert analysis.unknown_keys == {}


def _keys(count: int) -> Iterator[LogEntry]:
    for number in range(count, 0, -1):
        if number % 2:
            yield event(f"EVT_XX_Invented{number}", number * 1000)
        else:
            yield event(f"AP_LOST_{number}", number * 1000, ap=mac(7), event="EVT_AP_Lost_Contact")


def test_memory_stays_flat_however_many_keys_a_gateway_invents() -> None:
    smaller = peak_while_analysing(_keys(20_000))
    larger = peak_while_analysing(_keys(80_000))
    assert larger < smaller + 256 * 1024


def test_a_finding_names_a_bounded_number_of_keys() -> None:
    lost = [
        event(f"AP_LOST_CONTACT_{n}", n * 1000, ap=mac(7), event="EVT_AP_Lost_Contact")
        for n in range(KEYS_TOLD + 10)
    ]
    (finding,) = of(run(lost), "device_lost_contact_repeated")
    assert finding.count == KEYS_TOLD + 10
    assert len(finding.keys) == KEYS_TOLD
