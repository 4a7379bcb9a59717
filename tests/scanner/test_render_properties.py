"""Property tests: no Report, however strange, breaks a renderer or leaks a control character."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.analysis import (
    Analysis,
    DeviceHealth,
    HealthSummary,
    ThreatGroup,
    ThreatSource,
    ThreatSummary,
)
from custom_components.unifi_scanner.scanner.models import (
    Category,
    Finding,
    HealthSubsystem,
    Severity,
)
from custom_components.unifi_scanner.scanner.render import (
    render_html,
    render_markdown,
    render_text,
    render_title,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.report import Report, build_report

_FORBIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ESCAPE_PAIR = re.compile(r"\\.", re.DOTALL)

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from(list("\x00\x1b\x7f\x9b\u202e\u200b\r\n{}%#[]()<>!*_`|~&\\-+.:/@")),
    ),
    max_size=80,
) | st.sampled_from(["{{ x }}", "[a](http://b)", "<script>", "{%", "www.a.b", "1. x"])
optional_texts = st.none() | texts
times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
counts = st.integers(min_value=0, max_value=10_000)
zones = st.sampled_from(
    [UTC, ZoneInfo("Europe/Berlin"), timezone(timedelta(hours=-11, minutes=-30))]
)

findings = st.builds(
    Finding,
    rule_id=texts,
    severity=st.sampled_from(Severity),
    category=st.sampled_from(Category),
    title=texts,
    explanation=texts,
    remediation=st.lists(texts, max_size=4).map(tuple),
    subject_name=optional_texts,
    subject_mac=optional_texts,
    subject_ip=optional_texts,
    count=counts,
    first_seen=times,
    last_seen=times,
    keys=st.lists(texts, max_size=3).map(tuple),
)
groups = st.builds(
    ThreatGroup,
    signature=texts,
    signature_id=st.none() | st.integers(),
    category=texts,
    category_label=texts,
    severity=st.sampled_from(Severity),
    count=counts,
    blocked=counts,
    detected=counts,
    sources=st.lists(texts, max_size=3).map(tuple),
    cybersecure=st.booleans(),
    remediation=texts,
    first_seen=times,
    last_seen=times,
)
threat_summaries = st.builds(
    ThreatSummary,
    total=counts,
    blocked=counts,
    detected=counts,
    cybersecure=counts,
    groups=st.lists(groups, max_size=12).map(tuple),
    top_sources=st.lists(
        st.builds(
            ThreatSource,
            ip=texts,
            count=counts,
            internal=st.booleans(),
            categories=st.lists(texts, max_size=3).map(tuple),
        ),
        max_size=12,
    ).map(tuple),
)
health = st.builds(
    HealthSummary,
    devices=st.lists(
        st.builds(
            DeviceHealth,
            mac=texts,
            name=texts,
            model=optional_texts,
            status=st.sampled_from(["healthy", "warning", "critical", "offline"]) | texts,
            issues=st.lists(texts, max_size=3).map(tuple),
        ),
        max_size=8,
    ).map(tuple),
    subsystems=st.lists(
        st.builds(
            HealthSubsystem,
            subsystem=texts,
            status=texts,
            latency_ms=st.none() | st.floats(allow_nan=True),
            availability=st.none() | st.floats(allow_nan=True),
            num_disconnected=st.none() | counts,
        ),
        max_size=4,
    ).map(tuple),
)
analyses = st.builds(
    Analysis,
    findings=st.lists(findings, max_size=25).map(tuple),
    threats=threat_summaries,
    health=health,
    unknown_keys=st.dictionaries(texts, counts, max_size=30),
    entry_count=counts,
)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    """Any report the engine could conceivably hand over."""
    start = draw(times)
    return build_report(
        draw(analyses),
        gateway=draw(texts),
        site=draw(texts),
        period_start=start,
        period_end=draw(times),
        generated_at=draw(times),
    )


def leaks(output: str) -> list[str]:
    """Control, format and separator characters other than the line breaks we put there."""
    return [char for char in output if char != "\n" and unicodedata.category(char) in _FORBIDDEN]


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(report=reports(), tz=zones, max_chars=st.integers(min_value=1, max_value=20_000))
def test_markdown_never_raises_and_stays_inert(
    report: Report, tz: ZoneInfo, max_chars: int
) -> None:
    markdown = render_markdown(report, tz=tz, max_chars=max_chars)
    assert len(markdown) <= max_chars
    assert not leaks(markdown)
    assert "{{" not in markdown
    assert "{%" not in markdown
    assert "<" not in _ESCAPE_PAIR.sub("", markdown)


@_SETTINGS
@given(report=reports(), tz=zones, width=st.integers(min_value=30, max_value=120))
def test_text_never_raises_and_respects_width(report: Report, tz: ZoneInfo, width: int) -> None:
    text = render_text(report, tz=tz, width=width)
    assert not leaks(text)
    assert "{{" not in text
    assert all(len(line) <= width for line in text.splitlines())


@_SETTINGS
@given(report=reports(), tz=zones)
def test_html_and_title_never_raise(report: Report, tz: ZoneInfo) -> None:
    html = render_html(report, tz=tz)
    assert not leaks(html.replace("\n", ""))
    assert "<script" not in html.lower()
    assert "{{" not in html
    title = render_title(report, tz=tz)
    assert title.startswith("UniFi Scanner: ")
    assert "\n" not in title


@_SETTINGS
@given(report=reports())
def test_json_is_always_serialisable(report: Report) -> None:
    data = report_to_dict(report)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
