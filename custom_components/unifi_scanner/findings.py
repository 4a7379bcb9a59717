"""What a report adds, and how findings look in events, attributes and service responses.

Event findings come from log entries and are new by construction (the checkpoint filters the
entries). Device-state findings (no event keys: an offline device, a hot switch) recur every
scan while the condition lasts; they are announced once and again only after they cleared.

Bus events (all strings cleaned of control characters, bounded in length and with template
delimiters broken, see ``inert``):

``unifi_scanner_finding``, once per new finding:
    entry_id, site, finding_id, rule_id, severity (severe|medium|low), category, title,
    subject_name, subject_mac, subject_ip, count, first_seen, last_seen (ISO-8601 UTC).
``unifi_scanner_report``, once per delivered or attempted scan:
    entry_id, site, period_start, period_end, generated_at, entries, findings, severe, medium,
    low, threats, unhealthy_devices, unknown_keys, new_findings, nothing_new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .scanner.models import subject_key
from .scanner.sanitize import clean, neutralize_templates

if TYPE_CHECKING:
    from .scanner.models import Finding
    from .scanner.report import Report


def inert(text: object, *, max_len: int) -> str:
    """Return gateway text fit for events and attributes: one clean line, no ``{{``/``{%``/``{#``.

    Automations quote event data and attributes in their own templates; a hostname such as
    ``{{ states('sensor.x') }}`` must reach them as text that no template engine would run.
    """
    return neutralize_templates(clean(text, max_len=max_len))


def finding_data(finding: Finding) -> dict[str, Any]:
    """Describe a finding for events and entity attributes, gateway strings made inert."""
    return {
        "finding_id": finding.finding_id,
        "rule_id": finding.rule_id,
        "severity": finding.severity.value,
        "category": finding.category.value,
        "title": inert(finding.title, max_len=200),
        "subject_name": inert(finding.subject_name, max_len=100) or None,
        "subject_mac": inert(finding.subject_mac, max_len=40) or None,
        "subject_ip": inert(finding.subject_ip, max_len=64) or None,
        "count": finding.count,
        "first_seen": finding.first_seen.isoformat(),
        "last_seen": finding.last_seen.isoformat(),
    }


def state_key(finding: Finding) -> str:
    """Identify a device-state finding across scans (rule and subject)."""
    subject = finding.subject_mac or finding.subject_name or finding.subject_ip or ""
    return subject_key(finding.rule_id, subject, others=finding.others)


def fresh_findings(report: Report, reported_state: frozenset[str]) -> tuple[Finding, ...]:
    """Return what this report adds: every event finding, and state findings not yet announced.

    A device that stays offline is announced once, not every scan; once it recovers its key
    leaves the stored set, so a new failure is announced again.
    """
    return tuple(
        finding
        for finding in report.findings
        if not finding.ongoing or state_key(finding) not in reported_state
    )


def report_summary(report: Report, fresh: tuple[Finding, ...] | None = None) -> dict[str, Any]:
    """Summarise a report in a few small, JSON-safe fields (bus event, diagnostics)."""
    new = report.findings if fresh is None else fresh
    return {
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "entries": report.entry_count,
        "findings": len(report.findings),
        **{severity.value: count for severity, count in report.counts_by_severity.items()},
        "threats": report.threats.total,
        "unhealthy_devices": report.health.unhealthy,
        "unknown_keys": report.unknown_key_count,
        "new_findings": len(new),
        "nothing_new": not new and report.threats.total == 0,
    }
