"""The findings to-do list: one item per open severe or medium finding.

Home Assistant shows it in the To-do sidebar and in the companion app. Ticking an item off
acknowledges the finding; deleting an item mutes it for the default duration. Items cannot be
added by hand: the list follows the last report and the user's mutes and acknowledgements.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from homeassistant.components.todo import TodoItem, TodoListEntity
from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.helpers.entity import EntityDescription

from .entity import UnifiScannerEntity
from .findings import inert
from .scanner.sanitize import escape_markdown, neutralize_templates

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import UnifiScannerConfigEntry
    from .scanner.models import Finding

PARALLEL_UPDATES = 0
OPEN_FINDINGS = EntityDescription(key="open_findings", translation_key="open_findings")
DELETED_REASON = "Deleted from the to-do list"
DESCRIPTION_PART_MAX = 400


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: UnifiScannerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the findings to-do list of one entry."""
    async_add_entities(
        [
            UnifiScannerTodoList(
                coordinator=entry.runtime_data.coordinator, description=OPEN_FINDINGS
            )
        ]
    )


def todo_item(finding: Finding) -> TodoItem:
    """Describe a finding as a to-do item; an unchanged finding's item is made once.

    Home Assistant reads the list at every state write, and each live announcement writes it;
    escaping every open finding each time cost about 50 ms with 2 000 of them.
    """
    return _item(finding.finding_id, finding.title, finding.explanation, finding.remediation[:1])


@lru_cache(maxsize=4096)
def _item(uid: str, title: str, explanation: str, remediation: tuple[str, ...]) -> TodoItem:
    """Make an item from what it shows, gateway text made inert like everywhere else.

    The frontend shows an item's description as Markdown, so the description is escaped as
    Markdown too: a hostile host name must not become a link or an image there.
    """
    description = "\n\n".join(
        neutralize_templates(escaped)
        for part in (explanation, *remediation)
        if (escaped := escape_markdown(part, max_len=DESCRIPTION_PART_MAX))
    )
    return TodoItem(
        uid=uid,
        summary=inert(title, max_len=200),
        status=TodoItemStatus.NEEDS_ACTION,
        description=description or None,
    )


class UnifiScannerTodoList(UnifiScannerEntity, TodoListEntity):
    """Open findings as a to-do list."""

    _attr_supported_features = (
        TodoListEntityFeature.UPDATE_TODO_ITEM | TodoListEntityFeature.DELETE_TODO_ITEM
    )

    @property
    def available(self) -> bool:
        """The list stays usable while the gateway is unreachable: it is the last report's."""
        return self.coordinator.data is not None

    @property
    def todo_items(self) -> list[TodoItem]:
        """The open findings, most urgent first."""
        return [todo_item(finding) for finding in self.coordinator.quieter.open_findings()]

    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Acknowledge the finding of an item ticked off; other edits change nothing."""
        if item.status != TodoItemStatus.COMPLETED or item.uid is None:
            return
        quieter = self.coordinator.quieter
        finding = quieter.finding(item.uid)
        if finding is not None:
            await quieter.async_acknowledge((finding,))

    async def async_delete_todo_items(self, uids: list[str]) -> None:
        """Mute the deleted items' findings for the default duration."""
        quieter = self.coordinator.quieter
        for uid in uids:
            finding = quieter.finding(uid)
            if finding is not None:
                await quieter.async_mute_for_a_while(finding, DELETED_REASON)
