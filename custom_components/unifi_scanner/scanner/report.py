"""The report of one scan: what the renderers and Home Assistant consume.

A ``Report`` is an ``Analysis`` placed in time (the period it covers, when it was generated) and
labelled with the gateway and site, with the counts every output needs computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from .models import Category, Finding, Severity
from .quiet import NOTHING_QUIET, split_muted

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .analysis import Analysis, HealthSummary, KeyVariant, ThreatSummary
    from .models import SkippedRows, Source
    from .quiet import Mute, MutedFinding, Quieting


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """One scan's findings, threats and device health over ``period_start``…``period_end``.

    ``findings`` are ordered severe → low, then by first occurrence. The count mappings hold
    every severity and category (zero included) in enum order. All times are UTC.
    """

    gateway: str
    site: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    findings: tuple[Finding, ...]
    threats: ThreatSummary
    health: HealthSummary
    unknown_keys: Mapping[str, int]
    entry_count: int
    counts_by_severity: Mapping[Severity, int]
    counts_by_category: Mapping[Category, int]
    unknown_keys_more: int = 0
    """Further unknown keys past those in ``unknown_keys`` (at least)."""
    key_variants: tuple[KeyVariant, ...] = ()
    skipped: Mapping[Source, SkippedRows] = MappingProxyType({})
    muted: tuple[MutedFinding, ...] = ()
    """Findings a mute silences: listed apart, never counted, notified or announced."""
    mutes_ended: tuple[Mute, ...] = ()
    """Mutes that expired since they were last pruned, so the report can say so once."""
    acknowledged: frozenset[str] = frozenset()
    """Finding ids the user has dealt with: still listed, no longer a problem."""
    ignored_entries: int = 0
    """Log entries of rules the user turned off."""
    ignored_findings: int = 0
    """Findings of rules the user turned off."""
    announced: Mapping[str, datetime] = MappingProxyType({})
    """Finding id → when the live path announced it; this report does not announce it again."""

    @property
    def unknown_key_count(self) -> int:
        """How many distinct unknown keys the period had (at least, after a flood of them)."""
        return len(self.unknown_keys) + self.unknown_keys_more

    def is_open(self, finding: Finding) -> bool:
        """Whether ``finding`` still needs attention (not acknowledged; muted ones are apart)."""
        return finding.finding_id not in self.acknowledged

    @property
    def skipped_rows(self) -> int:
        """Rows of the period that could not be read, over every source."""
        return sum(rows.total for rows in self.skipped.values())

    @property
    def nothing_new(self) -> bool:
        """True when there is nothing to act on: no findings, no threats, no unhealthy device."""
        return not self.findings and self.threats.total == 0 and self.health.unhealthy == 0

    @property
    def problem(self) -> bool:
        """Whether something open needs attention: a severe finding or a device in trouble.

        Muted findings are apart already; acknowledged ones no longer count.
        """
        return any(
            self.is_open(finding)
            and (
                finding.severity is Severity.SEVERE
                or (finding.ongoing and finding.severity is Severity.MEDIUM)
            )
            for finding in self.findings
        )

    def findings_at_least(self, severity: Severity) -> tuple[Finding, ...]:
        """Return the findings at ``severity`` or more urgent, in report order."""
        return tuple(finding for finding in self.findings if finding.severity.rank <= severity.rank)


def _utc(value: datetime, name: str) -> datetime:
    """Reject naive times: a time without a zone is how the predecessor lost its checkpoint."""
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"{name} must be timezone-aware"
        raise ValueError(msg)
    return value.astimezone(UTC)


def _finding_order(finding: Finding) -> tuple[int, datetime, str]:
    return (finding.severity.rank, finding.first_seen, finding.rule_id)


def build_report(
    analysis: Analysis,
    *,
    gateway: str,
    site: str,
    period_start: datetime,
    period_end: datetime,
    generated_at: datetime,
    skipped: Mapping[Source, SkippedRows] | None = None,
    quieting: Quieting = NOTHING_QUIET,
) -> Report:
    """Place ``analysis`` in time and count it; raises ``ValueError`` on naive datetimes.

    Findings that the mutes silence at ``generated_at`` are set apart; acknowledged ids are
    kept for the findings of this report that carry them.
    """
    unknown = dict(sorted(analysis.unknown_keys.items(), key=lambda item: (-item[1], item[0])))
    report = Report(
        gateway=gateway,
        site=site,
        period_start=_utc(period_start, "period_start"),
        period_end=_utc(period_end, "period_end"),
        generated_at=_utc(generated_at, "generated_at"),
        findings=analysis.findings,
        threats=analysis.threats,
        health=analysis.health,
        unknown_keys=MappingProxyType(unknown),
        unknown_keys_more=analysis.unknown_keys_more,
        entry_count=analysis.entry_count,
        counts_by_severity=MappingProxyType({}),
        counts_by_category=MappingProxyType({}),
        key_variants=analysis.key_variants,
        skipped=MappingProxyType(dict(skipped or {})),
        ignored_entries=analysis.ignored_entries,
        ignored_findings=analysis.ignored_findings,
    )
    return apply_quieting(report, quieting)


def with_live(
    report: Report,
    findings: Iterable[Finding],
    announced: Mapping[str, datetime],
    quieting: Quieting,
    *,
    now: datetime,
) -> Report:
    """Return ``report`` with the findings announced live since it was made counted in.

    A finding the report already holds stays as the report has it (its count covers the
    report's period); the live path adds what is new, and when each was announced.
    """
    held = {finding.finding_id for finding in report.findings} | {
        item.finding.finding_id for item in report.muted
    }
    added = tuple(finding for finding in findings if finding.finding_id not in held)
    merged = replace(
        report,
        findings=(*report.findings, *added),
        announced=MappingProxyType({**report.announced, **announced}),
    )
    return apply_quieting(merged, quieting, now=now)


def apply_quieting(report: Report, quieting: Quieting, *, now: datetime | None = None) -> Report:
    """Return ``report`` with its findings split and counted again under ``quieting``.

    Mutes are judged at ``now`` (default: when the report was generated), so a mute set
    after delivery quiets the report the sensors show without another scan.
    """
    every = (*report.findings, *(item.finding for item in report.muted))
    kept, muted, ended = split_muted(every, quieting.mutes, now or report.generated_at)
    findings = tuple(sorted(kept, key=_finding_order))
    kept_ids = {finding.finding_id for finding in findings}
    by_severity = dict.fromkeys(Severity, 0)
    by_category = dict.fromkeys(Category, 0)
    for finding in findings:
        by_severity[finding.severity] += 1
        by_category[finding.category] += 1
    return replace(
        report,
        findings=findings,
        counts_by_severity=MappingProxyType(by_severity),
        counts_by_category=MappingProxyType(by_category),
        muted=tuple(sorted(muted, key=lambda item: _finding_order(item.finding))),
        mutes_ended=ended,
        acknowledged=quieting.acknowledged & kept_ids,
        announced=MappingProxyType(
            {key: at for key, at in report.announced.items() if key in kept_ids}
        ),
    )
