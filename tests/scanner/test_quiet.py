"""Mutes in the pure core: subjects as findings carry them, precedence, expiry, storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.unifi_scanner.scanner.analysis import Analysis, HealthSummary, ThreatSummary
from custom_components.unifi_scanner.scanner.models import (
    Category,
    Finding,
    Severity,
    make_finding_id,
)
from custom_components.unifi_scanner.scanner.quiet import (
    Mute,
    Quieting,
    normalize_subject,
    split_muted,
)
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_text,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.report import Report, apply_quieting, build_report

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def finding(rule_id: str = "device_offline", **overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "rule_id": rule_id,
        "severity": Severity.SEVERE,
        "category": Category.CONNECTIVITY,
        "title": "Garage AP is offline",
        "explanation": "x",
        "remediation": ("y",),
        "subject_name": "Garage AP",
        "subject_mac": "78:45:58:a1:3c:05",
        "subject_ip": None,
        "count": 1,
        "first_seen": NOW,
        "last_seen": NOW,
    }
    return Finding(**(values | overrides))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("78-45-58-A1-3C-05", "78:45:58:a1:3c:05"),
        ("784558a13c05", "78:45:58:a1:3c:05"),
        (" 192.168.1.10 ", "192.168.1.10"),
        ("2001:DB8::1", "2001:db8::1"),
        ("Garage AP", "garage ap"),
        ("office-switch-24", "office-switch-24"),
    ],
)
def test_subjects_are_written_as_findings_carry_them(text: str, expected: str) -> None:
    assert normalize_subject(text) == expected


@pytest.mark.parametrize("text", ["aa:bb:cc:dd:ee", "zz:bb:cc:dd:ee:ff", "78-45-58-a1-3c-05-07"])
def test_a_broken_mac_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a MAC address"):
        normalize_subject(text)


def test_the_id_follows_rule_and_subject_only() -> None:
    one = finding(count=3, title="other words", subject_name="renamed")
    assert one.finding_id == finding().finding_id  # the MAC decides, whatever else changed
    assert one.finding_id == make_finding_id("device_offline", "78:45:58:a1:3c:05")
    assert finding(rule_id="device_isolated").finding_id != one.finding_id
    by_ip = finding(subject_mac=None, subject_ip="10.0.0.5")
    assert by_ip.finding_id == make_finding_id("device_offline", "10.0.0.5")
    hostile = finding(subject_mac=None, subject_name="\ud800 lone surrogate")
    assert hostile.finding_id.startswith("device_offline.")
    # The id is made with the finding: a copy with another subject is named again.
    moved = replace(one, subject_mac="aa:bb:cc:00:00:01")
    assert moved.finding_id == make_finding_id("device_offline", "aa:bb:cc:00:00:01")
    assert replace(one, count=9).finding_id == one.finding_id
    assert one == replace(one)  # the id takes no part in comparing findings
    assert "finding_id" not in repr(one)


def test_the_most_specific_mute_explains_a_finding() -> None:
    target = finding()
    rule = Mute(rule_id="device_offline", created=NOW, reason="rule")
    subject = Mute(rule_id="device_offline", subject="garage ap", created=NOW, reason="subject")
    exact = Mute(rule_id="device_offline", finding_id=target.finding_id, created=NOW, reason="id")
    other = finding(subject_mac="aa:bb:cc:00:00:01", subject_name="Attic AP")
    kept, muted, ended = split_muted([target, other], [rule, subject, exact], NOW)
    assert kept == ()
    assert [(item.finding, item.mute.reason) for item in muted] == [
        (target, "id"),
        (other, "rule"),
    ]
    assert ended == ()
    kept, muted, _ = split_muted([target, other], [subject], NOW)
    assert kept == (other,)
    assert [item.mute.reason for item in muted] == ["subject"]


def test_a_mute_ends_on_time() -> None:
    mute = Mute(rule_id="device_offline", until=NOW + timedelta(hours=1), created=NOW)
    assert mute.active(NOW)
    assert not mute.active(NOW + timedelta(hours=1))
    kept, muted, ended = split_muted([finding()], [mute], NOW + timedelta(hours=2))
    assert (len(kept), muted, ended) == (1, (), (mute,))
    forever = replace(mute, until=None)
    assert forever.active(NOW + timedelta(days=10_000))


def test_a_mute_survives_the_store_and_refuses_garbage() -> None:
    mute = Mute(
        rule_id="device_offline",
        subject="78:45:58:a1:3c:05",
        until=NOW + timedelta(days=7),
        reason="Replacement ordered",
        created=NOW,
    )
    assert Mute.from_dict(mute.to_dict()) == mute
    for broken in (
        None,
        {},
        {"rule_id": 5, "created": NOW.isoformat()},
        {"rule_id": "x", "finding_id": "no", "created": NOW.isoformat()},
        {"rule_id": "x", "created": "2026-01-05T12:00:00"},  # no time zone
        {"rule_id": "x", "created": "yesterday"},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - the store's one error for bad state
            Mute.from_dict(broken)


def _report(findings: list[Finding], quieting: Quieting) -> Report:
    analysis = Analysis(
        findings=tuple(findings),
        threats=ThreatSummary(),
        health=HealthSummary(),
        unknown_keys={},
        entry_count=len(findings),
    )
    return build_report(
        analysis,
        gateway="UDM",
        site="Home",
        period_start=NOW,
        period_end=NOW,
        generated_at=NOW,
        quieting=quieting,
    )


def test_a_report_sets_muted_findings_apart_and_counts_what_is_open() -> None:
    offline = finding()
    login = finding(
        rule_id="admin_login_failed",
        severity=Severity.MEDIUM,
        category=Category.SECURITY,
        title="Failed sign-in",
        subject_mac=None,
        subject_name="admin",
        keys=("EVT_AD_LoginFailed",),
    )
    ended = Mute(rule_id="wan_down", until=NOW - timedelta(minutes=1), created=NOW)
    quiet = Quieting(
        mutes=(Mute(rule_id="device_offline", reason="Ordered", created=NOW), ended),
        acknowledged=frozenset({login.finding_id, "gone.0123456789"}),
    )
    report = _report([offline, login], quiet)
    assert report.findings == (login,)
    assert report.counts_by_severity[Severity.SEVERE] == 0
    assert report.acknowledged == {login.finding_id}  # ids of other reports are dropped
    assert report.mutes_ended == (ended,)
    assert not report.problem  # the medium one is an event finding, and acknowledged anyway
    text = render_text(report, width=200)
    assert "MUTED" in text
    assert "Garage AP is offline" in text.split("MUTED")[1]
    assert "muted forever; Ordered" in text
    assert "Mute ended: wan_down" in text
    assert "1. Failed sign-in [acknowledged]" in text
    html = render_html(report)
    assert "Mute ended: wan_down" in html
    assert "(acknowledged)" in html
    data = report_to_dict(report)
    assert [item["rule_id"] for item in data["muted"]] == ["device_offline"]
    assert data["mutes_ended"][0]["rule_id"] == "wan_down"

    opened = apply_quieting(report, Quieting(), now=NOW)
    assert [f.rule_id for f in opened.findings] == ["device_offline", "admin_login_failed"]
    assert opened.problem  # a severe finding is open again
    assert opened.counts_by_severity[Severity.SEVERE] == 1


def test_a_device_condition_of_medium_severity_is_a_problem_until_acknowledged() -> None:
    hot = finding(rule_id="cpu_high", severity=Severity.MEDIUM, category=Category.HEALTH)
    assert _report([hot], Quieting()).problem
    assert not _report([hot], Quieting(acknowledged=frozenset({hot.finding_id}))).problem
