"""build_report(): ordering, counts, "nothing new" and time zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.unifi_scanner.scanner.models import Category, Severity
from custom_components.unifi_scanner.scanner.report import build_report

from .report_samples import (
    END,
    GENERATED,
    START,
    analysis,
    device,
    finding,
    full_report,
    report,
    threat_group,
    threats,
)


def test_findings_are_ordered_severe_to_low_then_by_time() -> None:
    result = report(
        analysis(
            (
                finding("late_low", severity=Severity.LOW, offset_minutes=50),
                finding("medium", severity=Severity.MEDIUM, offset_minutes=40),
                finding("early_low", severity=Severity.LOW, offset_minutes=1),
                finding("severe", severity=Severity.SEVERE, offset_minutes=60),
            )
        )
    )
    assert [item.rule_id for item in result.findings] == [
        "severe",
        "medium",
        "early_low",
        "late_low",
    ]


def test_counts_cover_every_severity_and_category() -> None:
    result = full_report()
    assert dict(result.counts_by_severity) == {
        Severity.SEVERE: 1,
        Severity.MEDIUM: 1,
        Severity.LOW: 2,
    }
    assert result.counts_by_category[Category.SECURITY] == 2
    assert result.counts_by_category[Category.POWER_POE] == 0
    assert list(result.counts_by_category) == list(Category)
    with pytest.raises(TypeError):
        result.counts_by_severity[Severity.LOW] = 0  # type: ignore[index]


def test_findings_at_least_filters_by_urgency() -> None:
    result = full_report()
    assert {item.severity for item in result.findings_at_least(Severity.MEDIUM)} == {
        Severity.SEVERE,
        Severity.MEDIUM,
    }
    assert len(result.findings_at_least(Severity.SEVERE)) == 1
    assert result.findings_at_least(Severity.LOW) == result.findings


@pytest.mark.parametrize(
    ("parts", "nothing_new"),
    [
        ({}, True),
        ({"devices": (device(),), "unknown_keys": {"EVT_X": 2}}, True),
        ({"findings": (finding(severity=Severity.LOW),)}, False),
        ({"threat_summary": threats(threat_group())}, False),
        ({"devices": (device(status="offline"),)}, False),
    ],
)
def test_nothing_new_means_nothing_to_act_on(parts: dict[str, object], nothing_new: bool) -> None:
    assert report(analysis(**parts)).nothing_new is nothing_new  # type: ignore[arg-type]


def test_times_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    result = build_report(
        analysis(),
        gateway="g",
        site="s",
        period_start=START.astimezone(plus_two),
        period_end=END.astimezone(plus_two),
        generated_at=GENERATED.astimezone(plus_two),
    )
    assert result.period_start == START
    assert result.period_start.tzinfo is UTC
    assert result.generated_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_report(
            analysis(),
            gateway="g",
            site="s",
            period_start=datetime(2025, 1, 1),  # noqa: DTZ001 - the point of the test
            period_end=END,
            generated_at=GENERATED,
        )


def test_unknown_keys_are_listed_most_frequent_first() -> None:
    result = report(analysis(unknown_keys={"B": 1, "A": 5, "C": 5}))
    assert list(result.unknown_keys.items()) == [("A", 5), ("C", 5), ("B", 1)]


def test_report_keeps_analysis_parts() -> None:
    source = analysis(threat_summary=threats(threat_group()), entry_count=7)
    result = report(source)
    assert result.threats is source.threats
    assert result.health is source.health
    assert result.entry_count == 7
    assert replace(result, site="other").site == "other"
