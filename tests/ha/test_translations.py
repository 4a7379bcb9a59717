"""Every user-facing text exists: translation keys used in code, form fields, services, icons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml  # type: ignore[import-untyped]
from homeassistant.data_entry_flow import section

from custom_components.unifi_scanner import binary_sensor, button, event, sensor, todo
from custom_components.unifi_scanner.config_flow import METHOD_STEPS
from custom_components.unifi_scanner.scanner.catalogue import load_catalogue
from custom_components.unifi_scanner.schemas import (
    credentials_schema,
    options_schema,
    rules_schema,
    site_schema,
)

if TYPE_CHECKING:
    import voluptuous as vol

PACKAGE = Path(__file__).parents[2] / "custom_components" / "unifi_scanner"
EN: dict[str, Any] = json.loads((PACKAGE / "translations" / "en.json").read_text("utf-8"))
ICONS: dict[str, Any] = json.loads((PACKAGE / "icons.json").read_text("utf-8"))
CATALOGUE = load_catalogue()


def _fields(schema: vol.Schema) -> list[str]:
    return [str(key) for key in schema.schema]


def test_every_form_field_is_named_and_explained() -> None:
    steps = EN["config"]["step"]
    forms = {"site": site_schema([])}
    for method, step in METHOD_STEPS.items():
        forms[step] = credentials_schema(method)
        forms[f"reauth_{step}"] = credentials_schema(method, connection=False)
        forms[f"reconfigure_{step}"] = credentials_schema(method, keep_secret=True)
    for step, schema in forms.items():
        assert steps[step]["title"], step
        assert steps[step]["description"], step
        for field in _fields(schema):
            assert field in steps[step]["data"], (step, field)
            assert field in steps[step]["data_description"], (step, field)

    settings = EN["options"]["step"]["settings"]
    for key, value in options_schema([]).schema.items():
        if isinstance(value, section):
            texts = settings["sections"][str(key)]
            for field in _fields(value.schema):
                assert field in texts["data"], field
                assert field in texts["data_description"], field
        else:
            assert str(key) in settings["data"]
            assert str(key) in settings["data_description"]
    rules = EN["options"]["step"]["rules"]
    assert rules["title"]
    assert rules["description"]
    for field in _fields(rules_schema(CATALOGUE)):
        assert rules["data"][field], field
        assert rules["data_description"][field], field


def test_every_choice_is_labelled() -> None:
    labels = EN["selector"]
    assert set(labels["rule_id"]["options"]) == {rule.id for rule in CATALOGUE.rules}
    assert all("{" not in label for label in labels["rule_id"]["options"].values())
    assert set(labels["category_min_severity"]["options"]) == {"default", "severe", "medium", "low"}
    assert set(EN["options"]["step"]["init"]["menu_options"]) == {"settings", "rules"}


def test_every_menu_option_is_labelled() -> None:
    steps = EN["config"]["step"]
    menus = {
        "user": list(METHOD_STEPS.values()),
        "reauth_confirm": [f"reauth_{step}" for step in METHOD_STEPS.values()],
        "reconfigure": [f"reconfigure_{step}" for step in METHOD_STEPS.values()],
    }
    for menu, options in menus.items():
        assert steps[menu]["title"], menu
        assert steps[menu]["description"], menu
        assert set(steps[menu]["menu_options"]) == set(options), menu
        assert all(steps[menu]["menu_options"].values()), menu


def test_translation_keys_used_in_code_exist() -> None:
    source = "\n".join(path.read_text("utf-8") for path in PACKAGE.glob("*.py"))
    keys = set(re.findall(r'translation_domain=DOMAIN,\s*translation_key="([a-z_]+)"', source))
    keys |= set(re.findall(r'\binvalid\(key="([a-z_]+)"', source))
    keys |= {"invalid_auth", "rate_limited", "communication_error"}  # translate_error()
    assert keys <= set(EN["exceptions"]), keys - set(EN["exceptions"])
    issues = set(
        re.findall(r'translation_key="([a-z_]+)",\s*translation_placeholders=\{"entry"', source)
    )
    assert issues == {"checkpoint_corrupt", "delivery_failed"}
    assert issues <= set(EN["issues"])
    for error in re.findall(r'errors\["base"\] = "([a-z_]+)"', source):
        assert error in EN["config"]["error"] or error in EN["options"]["error"], error


def test_entities_have_names_and_icons() -> None:
    platforms: dict[str, list[Any]] = {
        "sensor": list(sensor.SENSORS),
        "binary_sensor": list(binary_sensor.BINARY_SENSORS),
        "event": [event.FINDING],
        "button": [button.SCAN_NOW, button.ACKNOWLEDGE_ALL],
        "todo": [todo.OPEN_FINDINGS],
    }
    for platform, descriptions in platforms.items():
        for description in descriptions:
            key = description.translation_key
            assert EN["entity"][platform][key]["name"], key
            assert ICONS["entity"][platform][key]["default"].startswith("mdi:"), key


def test_services_are_described() -> None:
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text("utf-8"))
    for name, spec in services.items():
        texts = EN["services"][name]
        assert texts["name"]
        assert texts["description"]
        for field in spec["fields"]:
            assert texts["fields"][field]["name"], field
            assert texts["fields"][field]["description"], field
        assert ICONS["services"][name]["service"].startswith("mdi:")


LANGUAGES = ("de", "nl", "fr", "es")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat |= _flatten(value, path)
        else:
            flat[path] = value
    return flat


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_text_with_the_same_placeholders(language: str) -> None:
    path = PACKAGE / "translations" / f"{language}.json"
    other = _flatten(json.loads(path.read_text("utf-8")))
    english = _flatten(EN)
    assert set(other) == set(english), (set(english) - set(other), set(other) - set(english))
    for key, text in english.items():
        assert isinstance(other[key], str), key
        assert other[key].strip(), key
        placeholders = set(_PLACEHOLDER.findall(text))
        assert set(_PLACEHOLDER.findall(other[key])) == placeholders, (language, key)
        # "[%key:…%]" references must stay references.
        assert ("[%key:" in text) == ("[%key:" in other[key]), (language, key)
