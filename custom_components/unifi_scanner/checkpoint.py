"""The checkpoint on disk: a versioned ``Store`` around the pure ``watermark.Checkpoint``.

Corrupt or unreadable state never stops a scan: it raises a repair issue and the scan falls back
to the first-run look-back (capped by the maximum look-back). The issue is cleared by the next
successful save, which overwrites the bad state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LARGE_BATCH, LOGGER
from .scanner.models import Source
from .scanner.normalize import in_worker_turn
from .scanner.quiet import Mute, Quieting
from .scanner.watermark import Checkpoint

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import HomeAssistant

STORAGE_VERSION = 1
# 1.2 added the mutes, the acknowledged findings and the count of findings announced;
# 1.3 the findings announced live and the stream-only rows no report has covered yet.
STORAGE_MINOR_VERSION = 3
LIVE_SOURCES = frozenset({Source.LIVE, Source.LIVE_ALERT})

type LiveRow = tuple[Source, Mapping[str, Any]]


def storage_key(entry_id: str) -> str:
    """Return the ``.storage`` key of one entry's checkpoint."""
    return f"{DOMAIN}.{entry_id}"


def corrupt_issue_id(entry_id: str) -> str:
    """Return the repair issue id raised when the entry's checkpoint cannot be read."""
    return f"checkpoint_corrupt_{entry_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredState:
    """What survives a restart.

    The checkpoint, when a report was last delivered, which device-state findings (an
    offline device, a hot switch) were already announced, the user's mutes, and the findings
    they acknowledged (finding id → whether it is a device-state finding).
    """

    checkpoint: Checkpoint
    last_report_at: datetime | None = None
    reported_state: frozenset[str] = frozenset()
    mutes: tuple[Mute, ...] = ()
    acknowledged: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    announced: int = 0
    """Findings announced since the entry was set up: a running total that only grows."""
    announced_live: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    """Finding id → when it was announced live; pruned by the report that covers it."""
    live_rows: tuple[LiveRow, ...] = ()
    """Rows only the event stream delivers (no REST source returns them), oldest first,
    kept until a delivered report covered them."""

    @property
    def quieting(self) -> Quieting:
        """The mutes and acknowledgements as the report on show applies them."""
        return Quieting(mutes=self.mutes, acknowledged=frozenset(self.acknowledged))

    @property
    def quieting_for_next_report(self) -> Quieting:
        """What a new report inherits: the mutes, and acknowledged device conditions only.

        An event finding in a new report is made of newer occurrences, so an acknowledgement
        given for the older ones does not cover it.
        """
        held = frozenset(
            finding_id for finding_id, is_state in self.acknowledged.items() if is_state
        )
        return Quieting(mutes=self.mutes, acknowledged=held)

    @property
    def records(self) -> int:
        """How many records serialising the state walks: ids, announcements, rows, mutes."""
        return (
            sum(len(mark.ids) for mark in self.checkpoint.marks.values())
            + len(self.reported_state)
            + len(self.mutes)
            + len(self.acknowledged)
            + len(self.announced_live)
            + len(self.live_rows)
        )

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the Store (JSON-safe, times ISO-8601 UTC)."""
        return {
            "checkpoint": self.checkpoint.to_dict(),
            "last_report_at": self.last_report_at.isoformat() if self.last_report_at else None,
            "reported_state": sorted(self.reported_state),
            "mutes": [mute.to_dict() for mute in self.mutes],
            "acknowledged": dict(sorted(self.acknowledged.items())),
            "announced": self.announced,
            "announced_live": {
                finding_id: moment.isoformat()
                for finding_id, moment in sorted(self.announced_live.items())
            },
            "live_rows": [
                {"source": source.value, "row": dict(row)} for source, row in self.live_rows
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> StoredState:
        """Rebuild from ``to_dict`` output; raise ``ValueError`` on anything malformed."""
        if not isinstance(data, dict):
            msg = "stored checkpoint is not an object"
            raise ValueError(msg)  # noqa: TRY004 - one error type for "unusable state"
        checkpoint = Checkpoint.from_dict(data.get("checkpoint") or {})
        last_report_at = None
        if (raw := data.get("last_report_at")) is not None:
            last_report_at = datetime.fromisoformat(str(raw))
            if last_report_at.tzinfo is None:
                msg = "last_report_at has no time zone"
                raise ValueError(msg)
            last_report_at = last_report_at.astimezone(UTC)
        reported = data.get("reported_state") or []
        if not isinstance(reported, list):
            msg = "reported_state is not a list"
            raise ValueError(msg)  # noqa: TRY004 - one error type for "unusable state"
        mutes = data.get("mutes") or []
        acknowledged = data.get("acknowledged") or {}
        announced = data.get("announced") or 0
        if (
            not isinstance(mutes, list)
            or not isinstance(acknowledged, dict)
            or type(announced) is not int
            or announced < 0
        ):
            msg = "mutes, acknowledged or announced malformed"
            raise ValueError(msg)
        announced_live = data.get("announced_live") or {}
        live_rows = data.get("live_rows") or []
        if not isinstance(announced_live, dict) or not isinstance(live_rows, list):
            msg = "announced_live or live_rows malformed"
            raise ValueError(msg)  # noqa: TRY004 - one error type for "unusable state"
        return cls(
            checkpoint=checkpoint,
            last_report_at=last_report_at,
            reported_state=frozenset(str(key) for key in reported),
            mutes=tuple(Mute.from_dict(item) for item in mutes),
            acknowledged=MappingProxyType(
                {str(key): bool(value) for key, value in acknowledged.items()}
            ),
            announced=announced,
            announced_live=MappingProxyType(
                {str(key): _aware(value) for key, value in announced_live.items()}
            ),
            live_rows=tuple(_live_row(item) for item in live_rows),
        )


def _aware(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        msg = "a stored time has no time zone"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def _live_row(item: object) -> LiveRow:
    name = item.get("source") if isinstance(item, dict) else None
    row = item.get("row") if isinstance(item, dict) else None
    source = Source(name) if isinstance(name, str) and name in LIVE_SOURCES else None
    if source is None or not isinstance(row, dict):
        msg = "a stored live row is malformed"
        raise ValueError(msg)
    return source, row


class _CheckpointStore(Store[dict[str, Any]]):
    """Store with a migration hook, so a future format change upgrades old files in place."""

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,  # noqa: ARG002 - every minor of 1 migrates alike
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Bring older minor versions of format 1 up to date; refuse unknown majors.

        Every minor version only added fields, so missing ones take their empty default.
        """
        if old_major_version != STORAGE_VERSION:
            raise NotImplementedError
        defaults: dict[str, Any] = {
            "checkpoint": None,
            "last_report_at": None,
            "reported_state": [],
            "mutes": [],
            "acknowledged": {},
            "announced": 0,
            "announced_live": {},
            "live_rows": [],
        }
        return defaults | dict(old_data)


class CheckpointStore:
    """Load, save and remove one entry's checkpoint; the loaded state is kept in memory."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str = "") -> None:
        """Bind to the entry; nothing is read until ``async_load``."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self._store = _CheckpointStore(
            hass,
            STORAGE_VERSION,
            storage_key(entry_id),
            minor_version=STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )
        self.state = StoredState(checkpoint=Checkpoint())
        self._lock = asyncio.Lock()

    async def async_load(self) -> StoredState:
        """Read the stored state; on corrupt state raise a repair issue and start afresh."""
        try:
            raw = await self._store.async_load()
            self.state = (
                StoredState(checkpoint=Checkpoint()) if raw is None else StoredState.from_dict(raw)
            )
        except (HomeAssistantError, NotImplementedError, ValueError, KeyError, TypeError) as err:
            LOGGER.warning(
                "The checkpoint of %s could not be read (%s); falling back to the look-back",
                self._title or self._entry_id,
                type(err).__name__,
            )
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                corrupt_issue_id(self._entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="checkpoint_corrupt",
                translation_placeholders={"entry": self._title or self._entry_id},
            )
            self.state = StoredState(checkpoint=Checkpoint())
        return self.state

    async def async_save(self, state: StoredState) -> None:
        """Persist ``state`` (atomic write) and clear a corrupt-state issue it supersedes."""
        async with self._lock:
            await self._write(state)

    async def async_update(self, change: Callable[[StoredState], StoredState]) -> StoredState:
        """Apply ``change`` to the newest state and persist it, one change at a time.

        A scan's commit and a mute set while the scan runs both start from what the other
        saved, so neither overwrites the other.
        """
        async with self._lock:
            state = change(self.state)
            await self._write(state)
            return state

    async def _write(self, state: StoredState) -> None:
        # The Store encodes on a worker thread, but the dict it encodes is made by the caller.
        # Each live announcement writes the state, so with 2 000 findings announced in an hour
        # making it on the loop took about 3 ms at every one of them.
        data = (
            await self._hass.async_add_executor_job(in_worker_turn, state.to_dict)
            if state.records > LARGE_BATCH
            else state.to_dict()
        )
        await self._store.async_save(data)
        self.state = state
        ir.async_delete_issue(self._hass, DOMAIN, corrupt_issue_id(self._entry_id))

    async def async_remove(self) -> None:
        """Delete the stored state (the entry was removed)."""
        await self._store.async_remove()
        ir.async_delete_issue(self._hass, DOMAIN, corrupt_issue_id(self._entry_id))
