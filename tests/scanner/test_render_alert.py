"""The live alert's message: every finding counted, as many shown as a phone's push takes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

from custom_components.unifi_scanner.scanner.models import Severity
from custom_components.unifi_scanner.scanner.render import alert as alert_module
from custom_components.unifi_scanner.scanner.render import render_alert
from custom_components.unifi_scanner.scanner.render import view as view_module
from custom_components.unifi_scanner.scanner.render.alert import ALERT_MAX_CHARS, ALERT_NOTE

from .report_samples import finding

if TYPE_CHECKING:
    from datetime import tzinfo

    from custom_components.unifi_scanner.scanner.models import Finding
    from custom_components.unifi_scanner.scanner.render.view import FindingView


def burst(count: int) -> list[Finding]:
    """``count`` live findings, one severe among medium ones, each about its own switch."""
    return [
        finding(
            "device_lost_contact",
            severity=Severity.SEVERE if number == count - 1 else Severity.MEDIUM,
            title=f"Switch {number} lost contact",
            subject_name=f"Switch {number}",
            subject_mac=f"aa:bb:cc:00:{number >> 8:02x}:{number & 255:02x}",
            offset_minutes=number,
        )
        for number in range(count)
    ]


def test_a_few_findings_are_all_shown() -> None:
    title, body = render_alert(burst(3))
    assert title == "UniFi Scanner alert: 1 severe, 2 medium findings"
    for number in range(3):
        assert f"Switch {number} lost contact" in body
    assert "more finding" not in body
    assert body.endswith(f"_{ALERT_NOTE}_\n")


def test_a_burst_fits_one_push_and_says_how_many_are_not_shown() -> None:
    """150 findings at once make one message a phone takes.

    The title counts them all; the body shows the most urgent first, stops within the budget
    and says how many it left out, which are never rendered.
    """
    findings = burst(150)
    rendered: list[str] = []
    real = view_module._finding_view

    def counting(item: Finding, tz: tzinfo) -> FindingView:
        rendered.append(item.title)
        return real(item, tz)

    with patch.object(alert_module, "_finding_view", counting):
        title, body = render_alert(findings)
    assert title == "UniFi Scanner alert: 1 severe, 149 medium findings"
    assert len(body) <= ALERT_MAX_CHARS
    assert body.index("Switch 149 lost contact") < body.index("Switch 0 lost contact")
    shown = body.count(" lost contact**")
    assert 1 < shown < 150
    assert f"…and {150 - shown} more findings" in body
    assert body.endswith(f"_{ALERT_NOTE}_\n")
    assert len(rendered) == shown + 1  # the one that did not fit, and no other


def test_the_most_urgent_finding_is_shown_even_past_the_budget() -> None:
    _, body = render_alert(burst(2), max_chars=10)
    assert "Switch 1 lost contact" in body
    assert "…and 1 more finding\n" in body
