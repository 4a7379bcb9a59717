"""The rule catalogue: real keys only, every rule reachable, broken files fail at load."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from custom_components.unifi_scanner.scanner.catalogue import (
    RULES_DIRECTORY,
    EngineRule,
    RuleCatalogue,
    load_catalogue,
)
from custom_components.unifi_scanner.scanner.exceptions import RuleError
from custom_components.unifi_scanner.scanner.models import (
    Category,
    LogEntry,
    Severity,
    Source,
)
from custom_components.unifi_scanner.scanner.wording import render_template
from tests.simulator.catalog import EVENT_KEYS

if TYPE_CHECKING:
    from pathlib import Path

CATALOGUE = load_catalogue()

# UNIFI_API.md section 6: keys the predecessor matched that no gateway sends.
FAKE_KEYS = (
    "EVT_AP_HIGH_CPU",
    "EVT_SW_HIGH_MEMORY",
    "EVT_GW_WAN_DOWN",
    "EVT_GW_WAN_DISCONNECTED",
    "EVT_WAN_FAILOVER",
    "EVT_SW_PoeBudgetExceeded",
    "EVT_ROGUE_AP",
    "EVT_IPS_Alert",
    "EVT_IDS_Alert",
    "EVT_THREAT_DETECTED",
    "EVT_SPEED_TEST_FAIL",
    "EVT_SPEED_TEST_SLOW",
    "EVT_CONFIG_CHANGED",
    "EVT_AD_LOGIN_FAILED",
    "EVT_AP_RADAR_DETECTED",
    "EVT_AP_RogueAPDetected",
    "EVT_AP_ChannelChange",
    "EVT_AP_Interference",
    "EVT_DEVICE_UPGRADED",
)

# Real keys a home or small-office administrator cares about (UNIFI_API.md section 6), with
# the rule each must reach.
EXPECTED_RULES = {
    "EVT_WU_Connected": "client_connected",
    "EVT_LU_Disconnected": "client_disconnected",
    "EVT_WU_Roam": "client_roamed",
    "EVT_AP_Lost_Contact": "device_lost_contact",
    "EVT_SW_Lost_Contact": "device_lost_contact",
    "EVT_GW_Lost_Contact": "gateway_lost_contact",
    "EVT_DM_Lost_Contact": "gateway_lost_contact",
    "EVT_XG_Lost_Contact": "gateway_lost_contact",
    "EVT_AP_RestartedUnknown": "device_restarted_unexpectedly",
    "EVT_SW_Restarted": "device_restarted",
    "EVT_GW_Upgraded": "device_upgraded",
    "EVT_AP_UpgradeFailed": "upgrade_failed",
    "EVT_AP_DetectRogueAP": "rogue_ap_detected",
    "EVT_SW_DetectRogueDHCP": "rogue_dhcp_detected",
    "EVT_SW_LoopDetected": "loop_detected",
    "EVT_SW_StpPortBlocking": "stp_port_blocking",
    "EVT_SW_PoeOverload": "poe_overload",
    "EVT_SW_PoeDisconnect": "poe_disconnect",
    "EVT_SW_Overheat": "switch_overheating",
    "EVT_AP_RadarDetected": "radar_detected",
    "EVT_AP_PossibleInterference": "ap_interference",
    "EVT_AD_Login": "admin_login",
    "EVT_AD_LoginFailed": "admin_login_failed",
    "EVT_IPS_IpsAlert": "ips_alert",
    "EVT_GW_DhcpPoolExhausted": "dhcp_pool_exhausted",
    "EVT_GW_IpReputationAlert": "ip_reputation_alert",
    "EVT_USP_RpsOutOfBudget": "rps_power_denied",
    "EVT_LTE_NotConnectedToLte": "lte_disconnected",
    "EVT_AP_ChannelChanged": "ap_channel_changed",
    "EVT_WC_Blocked": "client_blocked",
    "EVT_AP_Isolated": "ap_isolated",
    "CLIENT_CONNECTED": "client_connected",
    "CLIENT_CONNECTED_WIRELESS": "client_connected",
    "CLIENT_CONNECTED_WIRED": "client_connected",
    "CLIENT_DISCONNECTED_WIRELESS": "client_disconnected",
    "CLIENT_ROAMED": "client_roamed",
    "DEVICE_DISCONNECTED": "device_lost_contact",
    "DEVICE_CONNECTED": "device_connected",
    "DEVICE_RESTARTED": "device_restarted",
    "DEVICE_UPGRADED": "device_upgraded",
    "THREAT_DETECTED": "ips_alert",
    "THREAT_BLOCKED": "ips_alert",
    "BLOCKED_BY_FIREWALL": "firewall_blocked",
    "ADMIN_LOGIN": "admin_login",
    "ADMIN_LOGIN_FAILED": "admin_login_failed",
    "WAN_FAILOVER": "wan_failover",
    "INTERNET_DISCONNECTED": "internet_disconnected",
}

# The predecessor's rules whose keys really exist keep working.
PREDECESSOR_KEYS = (
    "EVT_AD_LoginFailed",
    "EVT_AD_Login",
    "EVT_AP_Lost_Contact",
    "EVT_SW_Lost_Contact",
    "EVT_AP_Isolated",
    "EVT_AP_Connected",
    "EVT_WU_Connected",
    "EVT_WG_Connected",
    "EVT_LU_Connected",
    "EVT_WU_Disconnected",
    "EVT_WG_Disconnected",
    "EVT_LU_Disconnected",
    "EVT_AP_Upgraded",
    "EVT_SW_Upgraded",
    "EVT_GW_Upgraded",
    "EVT_AP_Restarted",
    "EVT_SW_Restarted",
    "EVT_GW_Restarted",
    "EVT_AP_RestartedUnknown",
    "EVT_SW_RestartedUnknown",
    "EVT_GW_RestartedUnknown",
    "EVT_AP_Adopted",
    "EVT_SW_Adopted",
    "EVT_GW_Adopted",
    "EVT_WU_Roam",
    "EVT_WG_Roam",
    "EVT_WU_RoamRadio",
    "EVT_WG_RoamRadio",
    "EVT_SW_PoeDisconnect",
    "EVT_SW_PoeOverload",
)


def _entry(key: str, message: str = "", **raw: str) -> LogEntry:
    return LogEntry(
        source=Source.EVENT,
        id="1",
        key=key,
        time_ms=1_735_689_600_000,
        message=message,
        raw=raw,
    )


def _copy_rules(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    shutil.copytree(RULES_DIRECTORY, directory)
    return directory


def test_packaged_catalogue_is_consistent() -> None:
    ids = [rule.id for rule in CATALOGUE.rules]
    assert len(ids) == len(set(ids))
    assert CATALOGUE.version.startswith("1-")
    assert {rule.category for rule in CATALOGUE.rules} == set(Category)
    for rule in CATALOGUE.rules:
        if rule.severity is not Severity.LOW:
            assert rule.remediation, rule.id
        assert rule.title
        assert rule.explanation
    for engine_rule in EngineRule:
        assert CATALOGUE.get(engine_rule).trigger == "engine"


def test_loading_is_deterministic() -> None:
    again = load_catalogue()
    assert again.version == CATALOGUE.version
    assert [rule.id for rule in again.rules] == [rule.id for rule in CATALOGUE.rules]


@pytest.mark.parametrize("key", FAKE_KEYS)
def test_no_fake_keys(key: str) -> None:
    assert key not in CATALOGUE.known_keys


def test_legacy_keys_use_the_wire_spelling() -> None:
    """Keys are the CamelCase wire form, never the UPPER_CASE UI locale ids."""
    for rule in CATALOGUE.rules:
        for key in rule.keys:
            assert key.startswith("EVT_")
            assert key != key.upper(), key
        for key in rule.v2_keys:
            assert not key.startswith("EVT_")
            assert key == key.upper()


@pytest.mark.parametrize(("key", "rule_id"), EXPECTED_RULES.items())
def test_real_keys_reach_their_rule(key: str, rule_id: str) -> None:
    rule = CATALOGUE.match(_entry(key, "WAN iface [eth8] transition to state [inactive]"))
    assert rule is not None
    assert rule.id == rule_id


@pytest.mark.parametrize("key", PREDECESSOR_KEYS)
def test_predecessor_keys_still_match(key: str) -> None:
    assert CATALOGUE.match(_entry(key)) is not None


def test_every_key_the_simulator_sends_is_known() -> None:
    keys = set(EVENT_KEYS) | {spec.v2.key for spec in EVENT_KEYS.values() if spec.v2 is not None}
    assert keys - CATALOGUE.known_keys == set()


def test_inferred_v2_keys_are_marked() -> None:
    assert "DEVICE_RESTARTED" in CATALOGUE.get("device_restarted").v2_inferred
    assert "THREAT_DETECTED" not in CATALOGUE.get("ips_alert").v2_inferred
    assert CATALOGUE.get("client_connected").v2_keys >= {"CLIENT_CONNECTED_WIRELESS"}


def test_shared_key_is_disambiguated_by_message() -> None:
    """The WAN-down rule and the fallback share a key; both stay reachable."""
    down = _entry("EVT_GW_WANTransition", "WAN iface [eth8] transition to state [inactive]")
    up = _entry("EVT_GW_WANTransition", "WAN iface [eth8] transition to state [active]")
    assert CATALOGUE.match(down) is CATALOGUE.get("wan_down")
    assert CATALOGUE.match(up) is CATALOGUE.get("wan_transition")


def test_radar_rule_is_reachable() -> None:
    """The predecessor's radar rule was shadowed; here the real key reaches it."""
    rule = CATALOGUE.match(_entry("EVT_AP_RadarDetected", "Radar detected on channel 52"))
    assert rule is CATALOGUE.get("radar_detected")


def test_unknown_key_matches_nothing() -> None:
    assert CATALOGUE.match(_entry("EVT_XY_SomethingNew")) is None
    assert CATALOGUE.match(_entry("")) is None
    assert "EVT_XY_SomethingNew" not in CATALOGUE.known_keys


def test_field_conditions(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    (directory / "zz_custom.yaml").write_text(
        """
version: 1
category: connectivity
rules:
  - id: custom_vpn_down
    severity: low
    subject: site
    keys: [EVT_XY_VpnState]
    conditions: {state: down, primary: true}
    title: "VPN down"
    explanation: "The tunnel went down."
  - id: custom_vpn_other
    severity: low
    subject: site
    keys: [EVT_XY_VpnState]
    title: "VPN state changed"
    explanation: "The tunnel changed state."
""",
        encoding="utf-8",
    )
    catalogue = load_catalogue(directory)
    down = _entry("EVT_XY_VpnState", state="DOWN", primary=True)  # type: ignore[arg-type]
    other = _entry("EVT_XY_VpnState", state="down", primary=False)  # type: ignore[arg-type]
    assert catalogue.match(down) is catalogue.get("custom_vpn_down")
    assert catalogue.match(other) is catalogue.get("custom_vpn_other")


# --- render_template ------------------------------------------------------------------------


def test_render_fills_and_defaults() -> None:
    text = render_template("{subject} on port {port}, vlan {vlan}", {"subject": "sw1", "port": ""})
    assert text == "sw1 on port unknown, vlan unknown"


def test_render_never_formats_or_evaluates() -> None:
    fields = {"subject": "{count}", "count": "7"}
    assert render_template("{subject} x{count}", fields) == "{count} x7"
    # Attribute access and indexing are not placeholders: left as written, never evaluated.
    assert render_template("{subject.__class__} {subject[0]} {0}", fields) == (
        "{subject.__class__} {subject[0]} {0}"
    )


def test_render_strips_control_characters_and_clips() -> None:
    fields = {"subject": "evil\x1b[31m\x00name\r\ninjected\u202e", "long": "x" * 5000}
    text = render_template("{subject}", fields)
    assert text == "evilname injected"
    assert len(render_template("{long}", fields)) <= 200


def test_render_keeps_markup_for_the_renderers() -> None:
    assert render_template("{subject}", {"subject": "<b>a</b>"}) == "<b>a</b>"


# --- validation -------------------------------------------------------------------------------

_VALID_RULE = """
  - id: {rule_id}
    severity: {severity}
    subject: device
    keys: [{key}]
    title: "{title}"
    explanation: "Something happened."
{extra}"""


def _broken(
    tmp_path: Path,
    *,
    rule_id: str = "custom_rule",
    severity: str = "medium",
    key: str = "EVT_XY_Custom",
    title: str = "Custom {subject}",
    extra: str = "    remediation: ['Do something.']\n",
    category: str = "connectivity",
) -> Path:
    directory = _copy_rules(tmp_path)
    rule = _VALID_RULE.format(rule_id=rule_id, severity=severity, key=key, title=title, extra=extra)
    (directory / "zz_broken.yaml").write_text(
        f"version: 1\ncategory: {category}\nrules:\n{rule}", encoding="utf-8"
    )
    return directory


def test_valid_extra_file_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_broken(tmp_path))
    assert catalogue.get("custom_rule").source_file == "zz_broken.yaml"
    assert "EVT_XY_Custom" in catalogue.known_keys


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rule_id": "device_offline"}, "duplicate id"),
        ({"severity": "critical"}, "unknown severity"),
        ({"category": "weather"}, "unknown category"),
        ({"title": "Custom {hostname_reversed}"}, "unknown placeholder"),
        ({"title": "Custom {subject"}, "stray brace"),
        ({"title": "Custom {count} times"}, "give both forms"),
        ({"title": "Custom {count|# time}"}, "malformed plural"),
        ({"title": "Custom {counted|# time|# times}"}, "unknown placeholder"),
        ({"extra": "    message_regex: '([unclosed'\n"}, "bad message_regex"),
        ({"extra": ""}, "needs remediation"),
        ({"extra": "    remediation: []\n"}, "needs remediation"),
        ({"extra": "    remediaton: ['typo']\n"}, "unknown fields"),
        ({"key": "EVT_SW_LoopDetected"}, "claimed by several rules"),
        ({"key": "client_connected"}, "malformed key"),
        ({"rule_id": "Custom-Rule"}, "snake_case"),
        ({"extra": "    remediation: ['x']\n    subject: planet\n"}, "unknown"),
    ],
)
def test_broken_rule_fails_at_load(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    directory = _broken(tmp_path, **overrides)
    with pytest.raises(RuleError, match=message) as excinfo:
        load_catalogue(directory)
    assert "zz_broken.yaml" in str(excinfo.value)


def test_identical_disambiguation_is_unreachable(tmp_path: Path) -> None:
    """Two rules with the same regex on one key: the second could never fire."""
    regex = "    message_regex: '(?i)state \\[?(inactive|down|disconnected|failed|failover)\\b'\n"
    directory = _broken(
        tmp_path, key="EVT_GW_WANTransition", extra=regex + "    remediation: ['x']\n"
    )
    with pytest.raises(RuleError, match="unreachable"):
        load_catalogue(directory)


def test_disambiguated_rule_may_share_a_key(tmp_path: Path) -> None:
    regex = "    message_regex: '(?i)upstream'\n"
    directory = _broken(
        tmp_path, key="EVT_SW_LoopDetected", extra=regex + "    remediation: ['x']\n"
    )
    catalogue = load_catalogue(directory)
    upstream = _entry("EVT_SW_LoopDetected", "loop detected UPSTREAM of port 3")
    local = _entry("EVT_SW_LoopDetected", "loop detected on port 3")
    assert catalogue.match(upstream) is catalogue.get("custom_rule")
    assert catalogue.match(local) is catalogue.get("loop_detected")


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    (directory / "zz_broken.yaml").write_text("version: 1\nrules: [\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"zz_broken\.yaml: invalid YAML"):
        load_catalogue(directory)


def test_wrong_version_is_refused(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    (directory / "zz_broken.yaml").write_text("version: 2\nrules: []\n", encoding="utf-8")
    with pytest.raises(RuleError, match="unsupported version"):
        load_catalogue(directory)


def test_missing_engine_rule_is_refused(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    (directory / "performance.yaml").unlink()
    with pytest.raises(RuleError, match="cpu_high"):
        load_catalogue(directory)


def test_engine_rule_with_keys_is_refused(tmp_path: Path) -> None:
    directory = _broken(tmp_path, extra="    trigger: engine\n    remediation: ['x']\n")
    with pytest.raises(RuleError, match="engine rule takes no keys"):
        load_catalogue(directory)


def test_threat_category_file_is_validated(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    path = directory / "threat_categories.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + '  "Some Classtype": NOT_A_CATEGORY\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=r"threat_categories\.yaml: classtype"):
        load_catalogue(directory)


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no rule files"):
        load_catalogue(tmp_path)


def test_threat_categories_cover_the_predecessor_map() -> None:
    tokens = set(CATALOGUE.threat_categories.by_token)
    assert len(tokens) == 26  # the predecessor's 25 and INTRUSION for v2 entries
    assert {"SCAN", "MALWARE", "BOTCC", "DROP", "TOR", "CHAT"} <= tokens
    classify = CATALOGUE.threat_categories.classify
    assert classify("ET SCAN Potential SSH Scan", "").label.startswith("Reconnaissance")
    trojan = CATALOGUE.threat_categories.by_token["TROJAN"]
    assert classify("ETPRO TROJAN Win32/Emotet CnC", "") is trojan
    assert classify("Custom rule 7", "A Network Trojan was Detected") is trojan
    assert classify("ET CINS Poor Reputation IP", "Misc Attack") is (
        CATALOGUE.threat_categories.default
    )


@pytest.mark.parametrize(
    ("category", "label"),
    [
        ("SECURITY_INTRUSION_PREVENTION", "Intrusion attempt"),
        ("THREAT_DETECTION_AND_PREVENTION", "Intrusion attempt"),
        ("SECURITY_SOMETHING_NEWER", "Other security event"),
        ("Misc Attack", "Misc Attack"),  # a classtype as the gateway wrote it
        ("", "Security event"),
    ],
)
def test_threat_category_labels_are_words(category: str, label: str) -> None:
    categories = CATALOGUE.threat_categories
    found = categories.classify("A network intrusion attempt was blocked.", category)
    assert categories.label(found, category) == label


def test_catalogue_can_be_built_directly() -> None:
    """The index is derived from the rules, so a hand-built catalogue works the same."""
    subset = RuleCatalogue("test", (CATALOGUE.get("loop_detected"),))
    assert subset.match(_entry("EVT_SW_LoopDetected")) is subset.get("loop_detected")
    assert subset.known_keys == {"EVT_SW_LoopDetected", "LOOP_DETECTED"}
    assert "loop_detected" in subset


_RULE_HEAD = "version: 1\ncategory: connectivity\nrules:\n"
_GOOD = "    severity: low\n    subject: site\n    title: T\n    explanation: E\n"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("- just a list\n", "mapping at the top level"),
        ("version: 1\nrules: []\nextra: 1\n", "unknown top-level fields"),
        ("version: 1\nrules: {a: 1}\n", "'rules' must be a list"),
        (_RULE_HEAD + "  - just text\n", "rule #1 is not a mapping"),
        (_RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    trigger: cron\n" + _GOOD, "trigger"),
        (
            _RULE_HEAD + "  - id: r1\n    v2_keys: [A_B]\n    v2_keys_inferred: [A_B]\n" + _GOOD,
            "both observed and inferred",
        ),
        (_RULE_HEAD + "  - id: r1\n    v2_keys: [EVT_XY_A]\n" + _GOOD, "legacy EVT_"),
        (_RULE_HEAD + "  - id: r1\n" + _GOOD, "needs keys"),
        (_RULE_HEAD + "  - id: r1\n    keys: EVT_XY_A\n" + _GOOD, "must be a list"),
        (_RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A, EVT_XY_A]\n" + _GOOD, "repeated key"),
        (
            _RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    message_regex: 5\n" + _GOOD,
            "non-empty",
        ),
        (_RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    conditions: [a]\n" + _GOOD, "mapping"),
        (
            _RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    conditions: {a: [1]}\n" + _GOOD,
            "scalar",
        ),
        (
            _RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    aggregate: weekly\n" + _GOOD,
            "unknown aggregate",
        ),
        (_RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    remediation: x\n" + _GOOD, "list of"),
        (
            _RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    severity: low\n    subject: site\n"
            '    title: "a\\nb"\n    explanation: E\n',
            "one line",
        ),
        (
            _RULE_HEAD + "  - id: r1\n    keys: [EVT_XY_A]\n    severity: low\n    subject: site\n"
            "    title: T\n    explanation: 5\n",
            "non-empty text",
        ),
        (
            _RULE_HEAD + "  - id: cpu_high\n    keys: [EVT_XY_A]\n" + _GOOD,
            "duplicate id",
        ),
    ],
)
def test_malformed_rule_documents(tmp_path: Path, document: str, message: str) -> None:
    directory = _copy_rules(tmp_path)
    (directory / "zz_broken.yaml").write_text(document, encoding="utf-8")
    with pytest.raises(RuleError, match=message) as excinfo:
        load_catalogue(directory)
    assert "zz_broken.yaml" in str(excinfo.value)


def test_engine_rule_must_be_marked(tmp_path: Path) -> None:
    directory = _copy_rules(tmp_path)
    path = directory / "performance.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  - id: cpu_high\n    severity: medium\n    subject: device\n    trigger: engine\n",
            "  - id: cpu_high\n    severity: medium\n    subject: device\n    keys: [EVT_XY_Cpu]\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=r"performance\.yaml: rule 'cpu_high': must have"):
        load_catalogue(directory)


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (("version: 1\n", "version: 1\nsurprise: 1\n"), "unknown top-level fields"),
        (("*", "version: 1\ncategories: {}\n"), "non-empty mapping"),
        (("  SCAN:\n", "  scan-x:\n"), "malformed token"),
        (("    label: Reconnaissance (port scan)\n", "    label: 5\n"), "label must be"),
        (("    label: Reconnaissance (port scan)\n", "    label: 'Scan {ip}'\n"), "braces"),
        (("    label: Reconnaissance (port scan)\n", "    labell: x\n"), "expected a mapping"),
        (("cut", "classtypes: [a]\n"), "must be a mapping"),
        (("outcomes:\n", "outcomez:\n"), "unknown top-level fields"),
        (("  blocked_inbound: >-\n", "  blocked_sideways: >-\n"), "advice for each of"),
        (
            (
                "    detected_label: Reputation-listed address let through\n",
                "    detected_label: ''\n",
            ),
            "detected_label must be non-empty",
        ),
    ],
)
def test_malformed_threat_categories(
    tmp_path: Path, replacement: tuple[str, str], message: str
) -> None:
    directory = _copy_rules(tmp_path)
    path = directory / "threat_categories.yaml"
    text = path.read_text(encoding="utf-8")
    if replacement[0] == "*":
        text = replacement[1]
    elif replacement[0] == "cut":
        text = text.split("\nclasstypes:\n")[0] + "\n" + replacement[1]
    else:
        assert replacement[0] in text
        text = text.replace(replacement[0], replacement[1], 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=message) as excinfo:
        load_catalogue(directory)
    assert "threat_categories.yaml" in str(excinfo.value)


def test_unreadable_paths_raise_rule_errors(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no rule files"):
        load_catalogue(tmp_path / "missing")
    directory = _copy_rules(tmp_path)
    (directory / "threat_categories.yaml").unlink()
    with pytest.raises(RuleError, match=r"threat_categories\.yaml: cannot read"):
        load_catalogue(directory)


def test_regex_rule_does_not_match_other_messages() -> None:
    rule = CATALOGUE.get("wan_down")
    assert not rule.matches(_entry("EVT_GW_WANTransition", "transition to state [active]"))
