"""The README's dashboard, pasted as it is: its entities exist and its Markdown stays text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml  # type: ignore[import-untyped]
from homeassistant.helpers.template import Template

from .conftest import PHONE_OPTIONS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

README = Path(__file__).parents[2] / "README.md"
_DASHBOARD = re.compile(r"## Dashboard\n.*?```yaml\n(.*?)```", re.DOTALL)


def _cards() -> dict[str, Any]:
    match = _DASHBOARD.search(README.read_text("utf-8"))
    assert match is not None, "README has no Dashboard YAML"
    return dict(yaml.safe_load(match.group(1)))


def _entity_ids(card: dict[str, Any]) -> list[str]:
    found = [card["entity"]] if "entity" in card else []
    found += [
        item if isinstance(item, str) else item["entity"] for item in card.get("entities", [])
    ]
    for inner in card.get("cards", []):
        found += _entity_ids(inner)
    return found


# Every test's entry delivers to notify.phone.
pytestmark = pytest.mark.usefixtures("phone")


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Deliver every finding to notify.phone."""
    return dict(PHONE_OPTIONS)


async def test_the_pasted_dashboard_shows_this_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    del init_integration  # its title is "Home", as the README's entity ids assume
    dashboard = _cards()
    assert dashboard["type"] == "vertical-stack"
    ids = _entity_ids(dashboard)
    assert len(ids) >= 7
    for entity_id in ids:
        assert hass.states.get(entity_id) is not None, entity_id
    types = {card["type"] for card in dashboard["cards"]}
    assert {"glance", "markdown", "todo-list", "statistics-graph", "history-graph"} <= types


async def test_the_markdown_card_lists_titles_as_text(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    markdown = next(card for card in _cards()["cards"] if card["type"] == "markdown")
    rendered = Template(markdown["content"], hass).async_render(parse_result=False)
    report = init_integration.runtime_data.coordinator.data.report
    lines = [line.strip() for line in rendered.splitlines() if line.strip()]
    assert lines[:5] == [f"- `{finding.title}`" for finding in report.findings[:5]]
    # A title made of markup stays inside its code span: no link or image can form.
    state = hass.states.get("sensor.home_findings")
    assert state is not None
    hostile = {**state.attributes, "top_findings": ["[click](https://example.invalid) `x`"]}
    hass.states.async_set("sensor.home_findings", state.state, hostile)
    rendered = Template(markdown["content"], hass).async_render(parse_result=False)
    lines = [line.strip() for line in rendered.splitlines() if line.strip()]
    assert lines[0] == "- `[click](https://example.invalid) 'x'`"
