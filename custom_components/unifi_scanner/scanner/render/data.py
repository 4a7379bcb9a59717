"""The report as JSON-safe data, for diagnostics, service responses and the CLI.

Strings are cleaned and template-neutralised with the same caps as the view, but URLs are kept
as they are: this is data for programs, not text for people to click.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.sanitize import clean, neutralize_templates

from .labels import (
    LEN_ISSUE,
    LEN_NAME,
    LEN_STEP,
    LEN_TEXT,
    LEN_TITLE,
    MAX_ISSUES,
    MAX_SOURCES,
    MAX_STEPS,
    MAX_UNKNOWN,
    VERSION,
)
from .title import render_title

if TYPE_CHECKING:
    from custom_components.unifi_scanner.scanner.analysis import ThreatGroup
    from custom_components.unifi_scanner.scanner.models import Finding, HealthSubsystem
    from custom_components.unifi_scanner.scanner.report import Report


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _str(value: object, max_len: int = LEN_TEXT) -> str:
    return neutralize_templates(clean(value, max_len=max_len))


def _opt(value: object, max_len: int = LEN_NAME) -> str | None:
    return None if value is None else _str(value, max_len)


def _num(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _finding_dict(
    finding: Finding, *, acknowledged: bool = False, announced: datetime | None = None
) -> dict[str, Any]:
    return {
        "finding_id": finding.finding_id,
        "acknowledged": acknowledged,
        "announced_at": announced.isoformat() if announced else None,
        "rule_id": _str(finding.rule_id, LEN_NAME),
        "severity": finding.severity.value,
        "category": finding.category.value,
        "title": _str(finding.title, LEN_TITLE),
        "explanation": _str(finding.explanation),
        "remediation": [_str(step, LEN_STEP) for step in finding.remediation[:MAX_STEPS]],
        "subject_name": _opt(finding.subject_name),
        "subject_mac": _opt(finding.subject_mac, 64),
        "subject_ip": _opt(finding.subject_ip, 64),
        "count": finding.count,
        "first_seen": _iso(finding.first_seen),
        "last_seen": _iso(finding.last_seen),
        "keys": [_str(key, LEN_NAME) for key in finding.keys[:MAX_UNKNOWN]],
    }


def _group_dict(group: ThreatGroup) -> dict[str, Any]:
    return {
        "signature": _str(group.signature, LEN_TITLE),
        "signature_id": group.signature_id,
        "category": _str(group.category, LEN_NAME),
        "category_label": _str(group.category_label, LEN_NAME),
        "severity": group.severity.value,
        "count": group.count,
        "blocked": group.blocked,
        "outcome": group.outcome,
        "detected": group.detected,
        "sources": [_str(source, 64) for source in group.sources[:MAX_SOURCES]],
        "source_count": group.source_count,
        "sources_at_least": group.sources_at_least,
        "cybersecure": group.cybersecure,
        "remediation": _str(group.remediation),
        "first_seen": _iso(group.first_seen),
        "last_seen": _iso(group.last_seen),
    }


def _subsystem_dict(item: HealthSubsystem) -> dict[str, Any]:
    return {
        "subsystem": _str(item.subsystem, 40),
        "status": _str(item.status, 40),
        "latency_ms": _num(item.latency_ms),
        "availability": _num(item.availability),
        "num_disconnected": item.num_disconnected,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """Return the report as JSON-safe data (ISO-8601 UTC times, cleaned strings, enum values)."""
    unknown: dict[str, int] = {}
    for key, count in report.unknown_keys.items():
        name = _str(key, LEN_NAME)
        unknown[name] = unknown.get(name, 0) + count
    threats = report.threats
    return {
        "version": VERSION,
        "title": render_title(report),
        "gateway": _str(report.gateway, LEN_NAME),
        "site": _str(report.site, LEN_NAME),
        "period_start": _iso(report.period_start),
        "period_end": _iso(report.period_end),
        "generated_at": _iso(report.generated_at),
        "nothing_new": report.nothing_new,
        "entry_count": report.entry_count,
        "counts_by_severity": {
            key.value: count for key, count in report.counts_by_severity.items()
        },
        "counts_by_category": {
            key.value: count for key, count in report.counts_by_category.items()
        },
        "findings": [
            _finding_dict(
                finding,
                acknowledged=not report.is_open(finding),
                announced=report.announced.get(finding.finding_id),
            )
            for finding in report.findings
        ],
        "muted": [
            _finding_dict(item.finding)
            | {"muted_until": _iso(item.mute.until) if item.mute.until else None}
            | {"mute_reason": _opt(item.mute.reason)}
            for item in report.muted
        ],
        "mutes_ended": [item.to_dict() for item in report.mutes_ended],
        "ignored": {"entries": report.ignored_entries, "findings": report.ignored_findings},
        "threats": {
            "total": threats.total,
            "blocked": threats.blocked,
            "detected": threats.detected,
            "cybersecure": threats.cybersecure,
            "detection_only": threats.detection_only,
            "groups": [_group_dict(group) for group in threats.groups],
            "top_sources": [
                {
                    "ip": _str(source.ip, 64),
                    "count": source.count,
                    "internal": source.internal,
                    "categories": [_str(item, LEN_NAME) for item in source.categories[:10]],
                }
                for source in threats.top_sources
            ],
            "unranked": {
                "alerts": threats.unranked_alerts,
                "sources": threats.unranked_sources,
                "at_least": threats.unranked_at_least,
            },
        },
        "health": {
            "unhealthy": report.health.unhealthy,
            "devices": [
                {
                    "mac": _str(device.mac, 64),
                    "name": _str(device.name, LEN_NAME),
                    "model": _opt(device.model, 40),
                    "status": _str(device.status, 20),
                    "issues": [_str(issue, LEN_ISSUE) for issue in device.issues[:MAX_ISSUES]],
                }
                for device in report.health.devices
            ],
            "subsystems": [_subsystem_dict(item) for item in report.health.subsystems],
        },
        "unknown_keys": unknown,
        "unknown_keys_more": report.unknown_keys_more,
        "key_variants": [
            {
                "key": _str(item.key, LEN_NAME),
                "event": _str(item.event, LEN_NAME),
                "count": item.count,
            }
            for item in report.key_variants[:MAX_UNKNOWN]
        ],
        "skipped_rows": {
            source.value: {"unreadable": rows.unreadable, "conflicting": rows.conflicting}
            for source, rows in report.skipped.items()
        },
    }
