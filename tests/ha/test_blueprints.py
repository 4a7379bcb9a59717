"""The shipped automation blueprints, loaded and run by a real Home Assistant.

Each blueprint is checked the way a user gets it (Home Assistant's importer on its raw URL, then
its blueprint store) and then run as an automation: finding events and the daily scan must
produce exactly the calls its inputs ask for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import importer
from homeassistant.const import STATE_ON
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.unifi_scanner.const import (
    CONF_MIN_SEVERITY,
    CONF_SCAN_INTERVAL,
    DOMAIN,
    EVENT_FINDING,
    EVENT_REPORT,
    MAX_SCAN_INTERVAL,
)
from custom_components.unifi_scanner.scanner.render import report_to_dict

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator import GatewaySimulator

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "blueprints" / "automation" / DOMAIN
NOTIFY = "notify_new_findings.yaml"
DIGEST = "daily_digest.yaml"
ALARM = "intrusion_alarm.yaml"
ENTRY_ID = "01JTESTENTRY000000000000000"
# Gateway events that make more findings than the digest lists.
NEWS = (
    "EVT_SW_DetectRogueDHCP",
    "EVT_AP_DetectRogueAP",
    "EVT_SW_LoopDetected",
    "EVT_SW_PoeOverload",
    "EVT_GW_DhcpPoolExhausted",
    "EVT_AP_RadarDetected",
)
# Loggers whose warnings mean a blueprint or one of its runs is broken.
WATCHED = ("homeassistant.components.automation", "homeassistant.components.blueprint")


def _raw_url(name: str) -> str:
    """Return the raw URL an import button uses, in the repository the manifest links to."""
    manifest = json.loads((ROOT / "custom_components" / DOMAIN / "manifest.json").read_text())
    repository = manifest["documentation"].removeprefix("https://github.com/")
    return (
        f"https://raw.githubusercontent.com/{repository}/main/blueprints/automation/{DOMAIN}/{name}"
    )


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """No scheduled scan within the test: only the digest scans."""
    return {CONF_MIN_SEVERITY: "low", CONF_SCAN_INTERVAL: MAX_SCAN_INTERVAL}


@pytest.fixture(autouse=True)
async def installed(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Put the blueprints where Home Assistant keeps them, in a configuration of this test's own."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints", "automation", DOMAIN))
    await hass.async_add_executor_job(shutil.copytree, SHIPPED, target)
    return target


@pytest.fixture(autouse=True)
async def automations_off(hass: HomeAssistant) -> AsyncIterator[None]:
    """Detach the automations' triggers at the end: a time trigger would outlive the test."""
    yield
    if "automation" in hass.config.components:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


async def _automation(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, name: str, **inputs: Any
) -> None:
    """Set one automation up from blueprint ``name`` and check that it is on."""
    await _automations(hass, caplog, (name, inputs))


async def _automations(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, *uses: tuple[str, dict[str, Any]]
) -> None:
    """Set automations up from blueprints and check that every one validated and is on."""
    config = [
        {
            "id": f"{name.removesuffix('.yaml')}_{index}",
            "alias": f"{name.removesuffix('.yaml')} {index}",
            "use_blueprint": {"path": f"{DOMAIN}/{name}", "input": inputs},
        }
        for index, (name, inputs) in enumerate(uses)
    ]
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    for item in config:
        state = hass.states.get(f"automation.{item['id']}")
        assert state is not None, item["id"]
        assert state.state == STATE_ON, item["id"]
    _assert_quiet(caplog)


def _assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No error anywhere, and no warning from automations or blueprints."""
    loud = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (record.levelno >= logging.WARNING and record.name.startswith(WATCHED))
    ]
    assert not loud, [record.getMessage() for record in loud]


def _finding(severity: str = "severe", category: str = "security", **data: Any) -> dict[str, Any]:
    """Return a ``unifi_scanner_finding`` event's data; the subject looks like a template."""
    return {
        "entry_id": ENTRY_ID,
        "site": "default",
        "finding_id": f"{category}_rule.3fa2b1c04d",
        "rule_id": f"{category}_rule",
        "severity": severity,
        "category": category,
        "title": f"A {severity} {category} finding",
        "subject_name": "Office {{ 7 * 6 }}",
        "subject_mac": "78:45:58:a1:3c:05",
        "subject_ip": "192.168.1.20",
        "count": 3,
        "first_seen": "2025-05-01T10:00:00+00:00",
        "last_seen": "2025-05-01T11:30:00+00:00",
        **data,
    }


async def _fire(hass: HomeAssistant, data: dict[str, Any]) -> None:
    hass.bus.async_fire(EVENT_FINDING, data)
    await hass.async_block_till_done()


# --- every blueprint -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [NOTIFY, DIGEST, ALARM])
async def test_blueprint_imports_and_loads_through_home_assistant(
    hass: HomeAssistant, aioclient_mock: Any, installed: Path, name: str
) -> None:
    url = _raw_url(name)
    text = (SHIPPED / name).read_text()
    aioclient_mock.get(url, text=text)
    imported = await importer.fetch_blueprint_from_url(hass, url)
    assert imported.blueprint.domain == "automation"
    assert imported.blueprint.validate() is None  # min_version is met

    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"{DOMAIN}/{name}")
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["source_url"] == url
    assert metadata["homeassistant"]["min_version"] == "2025.4.0"
    assert metadata["name"]
    assert metadata["description"]
    for key, field in blueprint.inputs.items():
        assert field.get("name"), key
        assert field.get("description"), key
        assert "selector" in field, key

    raw = await hass.async_add_executor_job(load_yaml_dict, str(installed / name))
    assert {"triggers", "actions"} <= raw.keys()  # current syntax, not trigger/action
    assert not {"trigger", "action", "condition"} & raw.keys()


# --- notify_new_findings -----------------------------------------------------------------------


async def test_notify_respects_severity_and_adds_phone_buttons_only_for_the_app(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    phone = async_mock_service(hass, "notify", "mobile_app_pixel")
    email = async_mock_service(hass, "notify", "family_email")
    await _automation(
        hass,
        caplog,
        NOTIFY,
        min_severity="medium",
        notify_services=["mobile_app_pixel", "notify.family_email"],
    )

    await _fire(hass, _finding("low"))
    assert phone == []
    assert email == []

    await _fire(hass, _finding("medium", "connectivity"))
    await _fire(hass, _finding("severe"))
    assert len(phone) == len(email) == 2
    severe_phone, severe_email = phone[1].data, email[1].data
    assert (
        severe_phone["title"]
        == severe_email["title"]
        == "UniFi (severe): A severe security finding"
    )
    message = severe_phone["message"]
    assert message == severe_email["message"]
    assert message.startswith("A severe security finding\nSeverity: severe, category: Security")
    assert "Subject: Office {{ 7 * 6 }} (192.168.1.20)" in message  # text, not evaluated
    assert "Seen 3 time(s), last at 2025-05-01 " in message
    assert "What to do: see this finding in the UniFi Scanner report" in message
    assert severe_phone["data"]["actions"] == [
        {
            "action": f"UNIFI_SCANNER_MUTE:{ENTRY_ID}:security_rule.3fa2b1c04d",
            "title": "Mute 7 days",
        },
        {
            "action": f"UNIFI_SCANNER_ACK:{ENTRY_ID}:security_rule.3fa2b1c04d",
            "title": "Acknowledge",
        },
    ]
    assert "data" not in severe_email
    assert phone[0].data["data"]["actions"][0]["action"].endswith(":connectivity_rule.3fa2b1c04d")
    _assert_quiet(caplog)


async def test_notify_filters_categories_and_leaves_out_the_remediation_line(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    admin = async_mock_service(hass, "notify", "wifi_admin")
    await _automation(
        hass,
        caplog,
        NOTIFY,
        min_severity="low",
        notify_services=["wifi_admin"],
        categories=["wireless", "power_poe"],
        include_remediation=False,
    )

    await _fire(hass, _finding("severe", "security"))
    await _fire(hass, _finding("medium", "connectivity"))
    assert admin == []

    await _fire(hass, _finding("low", "wireless", subject_name=None, subject_ip=None))
    (call,) = admin
    assert call.data["title"] == "UniFi (low): A low wireless finding"
    assert "Subject: 78:45:58:a1:3c:05\n" in call.data["message"]
    assert "What to do" not in call.data["message"]
    assert "data" not in call.data
    _assert_quiet(caplog)


async def test_many_findings_at_once_are_all_notified(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A report announces its findings in one burst; runs wait for each other, none is dropped."""
    gate = asyncio.Event()
    phone: list[ServiceCall] = []

    async def slow_phone(call: ServiceCall) -> None:
        phone.append(call)
        await gate.wait()

    hass.services.async_register("notify", "mobile_app_pixel", slow_phone)
    await _automation(hass, caplog, NOTIFY, notify_services=["mobile_app_pixel"])
    for index in range(12):
        hass.bus.async_fire(EVENT_FINDING, _finding(finding_id=f"rule.{index:010d}"))
    for _ in range(20):  # plenty of loop turns for every run to start, were they not queued
        await asyncio.sleep(0)
    assert len(phone) == 1  # the first notification is still being sent ...
    gate.set()
    await hass.async_block_till_done()
    assert [call.data["data"]["actions"][0]["action"][-10:] for call in phone] == [
        f"{index:010d}" for index in range(12)
    ]  # ... and the others follow, in order
    _assert_quiet(caplog)


# --- intrusion_alarm -----------------------------------------------------------------------


async def test_alarm_turns_on_and_runs_the_script_then_keeps_the_cool_down(
    hass: HomeAssistant, freezer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    lights = async_mock_service(hass, "light", "turn_on")
    sirens = async_mock_service(hass, "siren", "turn_on")
    scripts = async_mock_service(hass, "script", "turn_on")
    await _automation(
        hass,
        caplog,
        ALARM,
        alarm_entities=["light.porch", "siren.hall"],
        alarm_script="script.call_me",
        cooldown=10,
    )

    await _fire(hass, _finding("medium", "security"))
    await _fire(hass, _finding("severe", "connectivity"))
    assert lights == sirens == scripts == []

    intrusion = _finding(title="Intrusion attempt from 203.0.113.9 blocked")
    await _fire(hass, intrusion)
    assert [call.data["entity_id"] for call in lights] == [["light.porch"]]
    assert [call.data["entity_id"] for call in sirens] == [["siren.hall"]]
    (script,) = scripts
    assert script.data["entity_id"] == ["script.call_me"]
    assert script.data["variables"] == {"finding": intrusion}  # the gateway's strings unchanged

    freezer.tick(timedelta(minutes=9))
    async_fire_time_changed(hass)
    await _fire(hass, intrusion)
    assert len(lights) == len(sirens) == len(scripts) == 1  # inside the cool-down

    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await _fire(hass, intrusion)
    assert len(lights) == len(sirens) == len(scripts) == 2
    _assert_quiet(caplog)


async def test_alarm_without_script_or_cool_down(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    switches = async_mock_service(hass, "switch", "turn_on")
    scripts = async_mock_service(hass, "script", "turn_on")
    await _automation(hass, caplog, ALARM, alarm_entities=["switch.outdoor_siren"], cooldown=0)
    await _fire(hass, _finding())
    await _fire(hass, _finding())
    assert [call.data["entity_id"] for call in switches] == [["switch.outdoor_siren"]] * 2
    assert scripts == []
    _assert_quiet(caplog)


# --- daily_digest ------------------------------------------------------------------------------


def _findings_line(report: dict[str, Any]) -> str:
    """Return the digest's line of counts for a ``run_scan`` response."""
    counts = report["counts_by_severity"]
    severities = ", ".join(f"{key} {counts.get(key, 0)}" for key in ("severe", "medium", "low"))
    return f"Findings: {len(report['findings'])} ({severities})"


async def _digest_time(hass: HomeAssistant, freezer: Any, when: Any) -> None:
    """Move the clock to the digest time and let the automation's scan finish."""
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_digest_sends_counts_and_titles_then_nothing_when_nothing_is_new(
    hass: HomeAssistant,
    freezer: Any,
    caplog: pytest.LogCaptureFixture,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    digest = async_mock_service(hass, "notify", "family_email")
    reports = async_capture_events(hass, EVENT_REPORT)
    at = (dt_util.now() + timedelta(minutes=10)).replace(microsecond=0)
    await _automation(
        hass,
        caplog,
        DIGEST,
        digest_time=at.strftime("%H:%M:%S"),
        config_entry=init_integration.entry_id,
        deliver=True,
        notify_services=["family_email"],
    )
    for key in NEWS:
        simulator.append_event(key)

    await _digest_time(hass, freezer, at)
    (call,) = digest
    (report_event,) = reports  # the digest's scan delivered
    result = init_integration.runtime_data.coordinator.data
    report = report_to_dict(result.report)
    new = len(result.fresh)
    assert new == report_event.data["new_findings"] >= 1
    threats = report["threats"]["total"]
    assert threats == report_event.data["threats"] == 0  # new findings alone are news
    counts = report["counts_by_severity"]
    severities = ("severe", "medium", "low")
    assert [counts.get(key, 0) for key in severities] == [
        report_event.data[key] for key in severities
    ]
    findings = report["findings"]
    assert call.data["title"] == f"UniFi digest: {new} new, {len(findings)} in all"
    lines = call.data["message"].split("\n")
    assert lines[:4] == [
        f"New findings: {new}",
        _findings_line(report),
        f"Threats: {threats}",
        "Top findings:",
    ]
    assert len(findings) > 5
    assert lines[4:] == [f"- {finding['title']}" for finding in findings[:5]]

    await _digest_time(hass, freezer, at + timedelta(days=1))
    assert reports[-1].data["nothing_new"] is True  # the second digest did scan ...
    assert len(digest) == 1  # ... and had nothing to say
    _assert_quiet(caplog)


async def test_digest_preview_moves_nothing_and_can_report_a_quiet_day(
    hass: HomeAssistant,
    freezer: Any,
    caplog: pytest.LogCaptureFixture,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    phone = async_mock_service(hass, "notify", "mobile_app_pixel")
    reports = async_capture_events(hass, EVENT_REPORT)
    stored = json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"])
    at = (dt_util.now() + timedelta(minutes=10)).replace(microsecond=0)
    await _automations(
        hass,
        caplog,
        (DIGEST, {"digest_time": at.strftime("%H:%M:%S"), "notify_services": ["mobile_app_pixel"]}),
        (
            DIGEST,
            {
                "digest_time": at.strftime("%H:%M:%S"),
                "notify_services": ["mobile_app_pixel"],
                "send_when_quiet": True,
            },
        ),
    )

    await _digest_time(hass, freezer, at)
    assert reports == []  # previews deliver nothing ...
    assert (
        json.dumps(hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]) == stored
    )  # ... or store
    (call,) = phone  # only the automation that asked for quiet days sent one
    preview: Any = await hass.services.async_call(
        DOMAIN, "run_scan", {"deliver": False}, blocking=True, return_response=True
    )
    assert preview["new_findings"] == 0
    assert preview["threats"]["total"] == 0
    lines = call.data["message"].split("\n")
    assert lines[:4] == [
        "Nothing new since the last report.",
        "New findings: 0",
        _findings_line(preview),
        "Threats: 0",
    ]
    titles = [f"- {finding['title']}" for finding in preview["findings"][:5]]
    assert lines[5:] == titles
    assert "actions" not in call.data.get("data", {})
    _assert_quiet(caplog)


async def test_digest_counts_threats_as_news(
    hass: HomeAssistant,
    freezer: Any,
    caplog: pytest.LogCaptureFixture,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """One blocked intrusion attempt makes no finding, but the digest must still go out."""
    email = async_mock_service(hass, "notify", "family_email")
    at = (dt_util.now() + timedelta(minutes=10)).replace(microsecond=0)
    await _automation(
        hass,
        caplog,
        DIGEST,
        digest_time=at.strftime("%H:%M:%S"),
        config_entry=init_integration.entry_id,
        notify_services=["family_email"],
    )
    simulator.append_ips_alert()

    await _digest_time(hass, freezer, at)
    (call,) = email
    lines = call.data["message"].split("\n")
    assert lines[0] == "New findings: 0"
    assert lines[2] == "Threats: 1"
    assert "Nothing new since the last report." not in lines
    _assert_quiet(caplog)
