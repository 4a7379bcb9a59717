"""The user's word on findings: mute, unmute and acknowledge, persisted and shown at once.

Actions, the to-do list, the "Acknowledge all" button and phone notification buttons all go
through one ``Quieter`` per entry. Each change is saved in the entry's Store (beside the
checkpoint, so a scan's commit never overwrites it) and applied to the report the entities
show, without waiting for the next scan and without moving the scan schedule.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from .const import DEFAULT_MUTE_DURATION
from .scanner.models import Severity
from .scanner.quiet import Mute
from .scanner.report import apply_quieting

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .checkpoint import StoredState
    from .coordinator import UnifiScannerCoordinator
    from .scanner.models import Finding
    from .scanner.report import Report

# What the to-do list shows: findings worth a follow-up.
FOLLOW_UP = frozenset({Severity.SEVERE, Severity.MEDIUM})


class Quieter:
    """Mutes and acknowledgements of one entry."""

    def __init__(self, coordinator: UnifiScannerCoordinator) -> None:
        """Bind to the entry's coordinator (its Store and its last report)."""
        self._coordinator = coordinator

    @property
    def report(self) -> Report | None:
        """The report the entities show, or None before the first scan."""
        data = self._coordinator.data
        return None if data is None else data.report

    def finding(self, finding_id: str) -> Finding | None:
        """Return the finding of the current report (muted ones included) with this id."""
        report = self.report
        if report is None:
            return None
        every = (*report.findings, *(item.finding for item in report.muted))
        return next((found for found in every if found.finding_id == finding_id), None)

    def open_findings(self) -> tuple[Finding, ...]:
        """Severe and medium findings nobody muted or acknowledged yet, most urgent first."""
        report = self.report
        if report is None:
            return ()
        return tuple(
            finding
            for finding in report.findings
            if finding.severity in FOLLOW_UP and report.is_open(finding)
        )

    @property
    def mutes(self) -> tuple[Mute, ...]:
        """Every stored mute, expired ones included until the next scan prunes them."""
        return self._coordinator.store.state.mutes

    async def async_mute(self, mute: Mute) -> None:
        """Add ``mute``, replacing one that silences the same thing."""
        await self._async_change(
            lambda state: replace(
                state, mutes=(*(m for m in state.mutes if m.key != mute.key), mute)
            )
        )

    async def async_mute_for_a_while(self, finding: Finding, reason: str) -> None:
        """Mute one finding for the default duration (a deleted to-do item, a phone button)."""
        now = dt_util.utcnow()
        await self.async_mute(
            Mute(
                rule_id=finding.rule_id,
                finding_id=finding.finding_id,
                until=now + DEFAULT_MUTE_DURATION,
                reason=reason,
                created=now,
            )
        )

    async def async_unmute(self, matches: Callable[[Mute], bool]) -> int:
        """Remove the mutes ``matches`` accepts; return how many there were."""
        removed = sum(1 for mute in self.mutes if matches(mute))
        if removed:
            await self._async_change(
                lambda state: replace(state, mutes=tuple(m for m in state.mutes if not matches(m)))
            )
        return removed

    async def async_acknowledge(self, findings: Iterable[Finding]) -> int:
        """Mark ``findings`` as dealt with; return how many were not already."""
        report = self.report
        new = {
            finding.finding_id: finding.ongoing
            for finding in findings
            if report is None or report.is_open(finding)
        }
        if new:
            await self._async_change(
                lambda state: replace(
                    state, acknowledged=MappingProxyType({**state.acknowledged, **new})
                )
            )
        return len(new)

    async def _async_change(self, change: Callable[[StoredState], StoredState]) -> None:
        """Save the change, then show the current report under it."""
        coordinator = self._coordinator
        state = await coordinator.store.async_update(change)
        data = coordinator.data
        if data is not None:
            report = apply_quieting(data.report, state.quieting, now=dt_util.utcnow())
            # Not async_set_updated_data: that would also move the next scheduled scan.
            coordinator.data = replace(data, report=report)
            coordinator.async_update_listeners()


def settled(state: StoredState, report: Report) -> StoredState:
    """Return ``state`` after ``report`` was committed: mutes pruned, acknowledgements lapsed.

    An expired mute is gone (the report said it ended). A device-state acknowledgement holds
    while the condition lasts; once a committed report no longer has it, it cleared, and its
    return is news. An event acknowledgement covered the occurrences it was given for; the
    next report holds only newer ones, so it lapses.
    """
    now = report.generated_at
    present = {finding.finding_id for finding in report.findings if finding.ongoing}
    return replace(
        state,
        mutes=tuple(mute for mute in state.mutes if mute.active(now)),
        acknowledged=MappingProxyType(
            {
                finding_id: True
                for finding_id, is_state in state.acknowledged.items()
                if is_state and finding_id in present
            }
        ),
    )
