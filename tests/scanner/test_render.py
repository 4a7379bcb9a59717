"""Renderers: the sections a reader expects, the size cap, and hostile strings made inert."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from custom_components.unifi_scanner.scanner.analysis import DeviceHealth, ThreatGroup, ThreatSource
from custom_components.unifi_scanner.scanner.models import (
    Category,
    Finding,
    HealthSubsystem,
    Severity,
)
from custom_components.unifi_scanner.scanner.render import (
    VERSION,
    render_html,
    render_markdown,
    render_text,
    render_title,
    report_to_dict,
)
from custom_components.unifi_scanner.scanner.render import view as view_module

from .hostile import HOSTILE, MARKUP_NEEDLES, TEMPLATE_NEEDLES
from .report_samples import (
    START,
    analysis,
    device,
    finding,
    full_report,
    report,
    threat_group,
    threats,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import tzinfo

    from custom_components.unifi_scanner.scanner.report import Report

MANIFEST = Path(__file__).parents[2] / "custom_components" / "unifi_scanner" / "manifest.json"
_ESCAPE_PAIR = re.compile(r"\\.", re.DOTALL)


class _Html(HTMLParser):
    """Collects the tags, attributes and text an e-mail client would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(html: str) -> _Html:
    parser = _Html()
    parser.feed(html)
    parser.close()
    return parser


def visible_text(html: str) -> str:
    return " ".join(" ".join(parse_html(html).text).split())


# --- golden-ish: what a reader sees ------------------------------------------------------------


def test_markdown_has_every_section_in_order() -> None:
    markdown = render_markdown(full_report())
    headings = re.findall(r"^### (.+)$", markdown, re.MULTILINE)
    assert headings == [
        "Severe",
        "Medium",
        "Low",
        "Threats (IPS)",
        "Device health",
        "Unknown event keys",
    ]
    assert "**Period:** 2025-03-01 06:00 UTC → 2025-03-02 06:00 UTC" in markdown
    assert "1 severe, 1 medium, 2 low findings" in markdown
    assert "By category: Security 2 · Connectivity 1 · Wireless 1" in markdown
    assert "1. Find the device on port 7." in markdown
    assert "- Client connected — Kitchen tablet" in markdown
    assert "(\N{MULTIPLICATION SIGN}14)" in markdown
    assert "Reconnaissance" in markdown
    assert "2 alerts matched CyberSecure signatures." in markdown
    assert "192\\.168.1.23 (internal)" in markdown
    assert "Garage switch (U6-Lite): critical — Temperature 93 °C" in markdown
    assert "EVT\\_NEW\\_Thing \N{MULTIPLICATION SIGN}4" in markdown
    assert markdown.rstrip().endswith(f"_UniFi Scanner {VERSION}_")


def test_version_comes_from_the_manifest() -> None:
    version = json.loads(MANIFEST.read_text(encoding="utf-8"))["version"]
    assert version == VERSION
    sample = full_report()
    assert f"UniFi Scanner {version}" in render_text(sample)
    assert f"UniFi Scanner {version}" in visible_text(render_html(sample))


def test_text_report_has_every_section() -> None:
    text = render_text(full_report())
    for heading in (
        "SEVERE FINDINGS (1)",
        "MEDIUM FINDINGS (1)",
        "LOW FINDINGS (2)",
        "THREATS (IPS)",
        "DEVICE HEALTH",
        "UNKNOWN EVENT KEYS",
    ):
        assert f"\n{heading}\n" in text
    assert text.index("SEVERE") < text.index("MEDIUM FINDINGS") < text.index("LOW FINDINGS")
    assert "1) Find the device on port 7." in text
    assert "- ET PRO MALWARE Something [CyberSecure]" in text
    assert all(len(line) <= 72 for line in text.splitlines())


def test_html_shows_low_findings_and_every_section() -> None:
    html = render_html(full_report())
    text = visible_text(html)
    assert "Low findings (2)" in text
    assert "Client connected" in text
    assert "Administrator logged in" in text
    assert "display:none" not in html.replace(" ", "")
    assert "<details" not in html
    for needle in (
        "Severe findings (1)",
        "Rogue DHCP server detected",
        "Find the device on port 7.",
        "Threats (IPS)",
        "CYBERSECURE",
        "203.0.113.9 (external)",
        "Garage switch",
        "Temperature 93 °C",
        "EVT_NEW_Thing \N{MULTIPLICATION SIGN}4",
    ):
        assert needle in text
    assert html.startswith("<!DOCTYPE html>")


def test_nothing_new_is_said_explicitly_in_every_format() -> None:
    quiet = report(analysis(devices=(device(),), entry_count=3))
    expected = "Nothing new since 2025-03-01 06:00 UTC"
    assert expected in render_markdown(quiet)
    assert expected in render_text(quiet)
    assert expected in visible_text(render_html(quiet))
    assert render_title(quiet) == "UniFi Scanner: nothing new since 2025-03-01 06:00 UTC"
    assert report_to_dict(quiet)["nothing_new"] is True
    assert "### Severe" not in render_markdown(quiet)


def test_display_time_zone_is_applied() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    quiet = report()
    assert "Nothing new since 2025-03-01 07:00 CET" in render_markdown(quiet, tz=berlin)
    assert "2025-03-02 07:00 CET" in render_text(quiet, tz=berlin)
    assert render_title(quiet, tz=berlin).endswith("07:00 CET")
    # JSON stays UTC whatever the display zone.
    assert report_to_dict(quiet)["period_start"] == "2025-03-01T06:00:00+00:00"


def test_the_formats_of_one_report_share_one_view(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    build = view_module._view

    def counted(sample: Report, tz: tzinfo) -> view_module.View:
        built.append(sample)
        return build(sample, tz)

    monkeypatch.setattr(view_module, "_view", counted)
    sample, other = full_report(), report()
    berlin = ZoneInfo("Europe/Berlin")
    outputs = (render_markdown(sample), render_html(sample), render_text(sample))
    assert built == [sample]  # cleaned and sorted once for three formats
    assert "Find the device on port 7" in outputs[0]
    assert "Nothing new since 2025-03-01 07:00 CET" in render_markdown(other, tz=berlin)
    assert "2025-03-01 06:00 UTC" in render_text(other)  # another zone is another view
    assert built == [sample, other, other]


@pytest.mark.parametrize(
    ("sample", "title"),
    [
        (
            report(analysis((finding(severity=Severity.SEVERE), finding(), finding()))),
            "UniFi Scanner: 1 severe, 2 medium findings",
        ),
        (report(analysis((finding(severity=Severity.LOW),))), "UniFi Scanner: 1 low finding"),
        (
            report(
                analysis(
                    threat_summary=threats(threat_group()), devices=(device(status="offline"),)
                )
            ),
            "UniFi Scanner: 4 IPS alerts, 1 unhealthy device",
        ),
    ],
)
def test_title_summarises_counts(sample: Report, title: str) -> None:
    assert render_title(sample) == title


def test_markdown_is_capped_with_and_n_more() -> None:
    many = report(
        analysis(
            tuple(
                finding(f"rule_{number}", title=f"Finding number {number}", offset_minutes=number)
                for number in range(200)
            ),
            threat_summary=threats(threat_group()),
        )
    )
    markdown = render_markdown(many, max_chars=4000)
    assert len(markdown) <= 4000
    shown = len(re.findall(r"^\*\*Finding number \d+\*\*", markdown, re.MULTILINE))
    assert 0 < shown < 200
    assert f"…and {200 - shown} more findings" in markdown
    # The most urgent findings are the ones kept, and the summary still counts all of them.
    assert "**Finding number 0**" in markdown
    assert "200 medium findings" in markdown
    assert markdown.rstrip().endswith(f"_UniFi Scanner {VERSION}_")


def test_markdown_cap_never_exceeded_even_when_tiny() -> None:
    assert len(render_markdown(full_report(), max_chars=50)) <= 50


def test_uncapped_markdown_has_no_more_line() -> None:
    assert "more finding" not in render_markdown(full_report())


def test_min_severity_hides_low_findings_but_says_so() -> None:
    markdown = render_markdown(full_report(), min_severity=Severity.MEDIUM)
    assert "Client connected" not in markdown
    assert "2 findings below medium severity not shown." in markdown
    assert "Rogue DHCP server detected" in markdown


def test_detection_only_note_when_nothing_was_blocked() -> None:
    ids = report(analysis(threat_summary=threats(threat_group(blocked=0, detected=5))))
    for output in (render_markdown(ids), render_text(ids), visible_text(render_html(ids))):
        assert "detection-only" in output
    assert "detection-only" not in render_markdown(full_report())


def test_report_to_dict_is_json_safe_and_complete() -> None:
    data = report_to_dict(full_report())
    decoded = json.loads(json.dumps(data))
    assert decoded == data
    assert data["version"] == VERSION
    assert data["counts_by_severity"] == {"severe": 1, "medium": 1, "low": 2}
    assert data["findings"][0]["rule_id"] == "rogue_dhcp"
    assert data["findings"][0]["first_seen"] == (START + timedelta(minutes=30)).isoformat()
    assert data["threats"]["cybersecure"] == 2
    assert data["threats"]["groups"][1]["cybersecure"] is True
    assert data["health"]["unhealthy"] == 1
    assert data["health"]["subsystems"][0] == {
        "subsystem": "wan",
        "status": "error",
        "latency_ms": None,
        "availability": None,
        "num_disconnected": None,
    }
    assert data["unknown_keys"] == {"EVT_NEW_Thing": 4, "NEW_V2_KEY": 1}


def test_report_to_dict_drops_non_finite_numbers() -> None:
    sample = report(
        analysis(
            subsystems=(HealthSubsystem(subsystem="www", status="ok", latency_ms=float("nan")),)
        )
    )
    assert report_to_dict(sample)["health"]["subsystems"][0]["latency_ms"] is None


# --- hostile strings in every gateway-derived field -------------------------------------------


def hostile_report(text: str) -> Report:
    """``text`` in every field a gateway can influence."""
    hostile_finding = Finding(
        rule_id="hostile",
        severity=Severity.SEVERE,
        category=Category.SECURITY,
        title=f"Login failed for {text}",
        explanation=text,
        remediation=(text, f"Block {text}"),
        subject_name=text,
        subject_mac=text,
        subject_ip=text,
        count=2,
        first_seen=START,
        last_seen=START,
        keys=(text,),
    )
    low = Finding(
        rule_id="hostile_low",
        severity=Severity.LOW,
        category=Category.WIRELESS,
        title=text,
        explanation=text,
        remediation=(),
        subject_name=text,
        subject_mac=None,
        subject_ip=None,
        count=1,
        first_seen=START,
        last_seen=START,
    )
    group = ThreatGroup(
        signature=text,
        signature_id=None,
        category=text,
        category_label=text,
        severity=Severity.SEVERE,
        count=3,
        blocked=0,
        detected=3,
        sources=(text,),
        source_count=1,
        cybersecure=True,
        remediation=text,
        first_seen=START,
        last_seen=START,
    )
    summary = threats(
        group, sources=(ThreatSource(ip=text, count=3, internal=False, categories=(text,)),)
    )
    return report(
        analysis(
            (hostile_finding, low),
            threat_summary=summary,
            devices=(
                DeviceHealth(
                    mac=text, name=text, model=text, status="critical", issues=(text, text)
                ),
            ),
            subsystems=(HealthSubsystem(subsystem=text, status=text),),
            unknown_keys={text: 5},
        ),
        gateway=text,
        site=text,
    )


def control_chars(text: str) -> list[str]:
    return [
        char
        for char in text
        if char != "\n" and unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    ]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_are_inert_in_markdown(text: str) -> None:
    markdown = render_markdown(hostile_report(text))
    assert len(markdown) <= 12000
    assert not control_chars(markdown)
    for needle in TEMPLATE_NEEDLES:
        assert needle not in markdown
    plain = _ESCAPE_PAIR.sub("", markdown)
    # Our own layout never uses these; any unescaped one came from the gateway.
    assert "<" not in plain
    assert "[" not in plain
    assert "](" not in plain
    assert "`" not in plain
    assert "://" not in markdown
    assert not re.search(r"(?im)(?:^|\s)www\.", markdown)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_are_inert_in_html(text: str) -> None:
    html = render_html(hostile_report(text))
    parsed = parse_html(html)
    assert parsed.tags <= {
        "html", "head", "meta", "title", "body", "table", "tr", "td", "th", "div", "span",
        "strong", "h2", "p", "ol", "ul", "li", "br",
    }  # fmt: skip
    assert not any(name.startswith("on") for name in parsed.attributes)
    lowered = html.lower()
    for needle in (*MARKUP_NEEDLES, *TEMPLATE_NEEDLES):
        assert needle not in lowered
    assert not control_chars(html.replace("\n", ""))
    assert "://" not in html
    assert len(html) < 200_000
    # The text is shown, escaped, not dropped.
    if "<script>" in text:
        assert "<script>alert(1)</script>" in visible_text(html)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_are_inert_in_text_and_json(text: str) -> None:
    sample = hostile_report(text)
    plain = render_text(sample)
    assert not control_chars(plain)
    assert "\x1b" not in plain
    assert all(len(line) <= 72 for line in plain.splitlines())
    for needle in TEMPLATE_NEEDLES:
        assert needle not in plain

    data = report_to_dict(sample)
    strings = list(_strings(data))
    assert strings
    for value in strings:
        assert not control_chars(value)
        assert len(value) <= 1000
        for needle in TEMPLATE_NEEDLES:
            assert needle not in value
    assert len(json.dumps(data)) < 100_000


def _strings(value: object) -> Iterator[str]:
    """Every string (keys included) inside JSON-like data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
