"""Deliver a report: events, persistent notification, notify services and report files.

Every channel reports success or failure on its own; the coordinator commits the checkpoint only
when all enabled channels succeeded, and finding events fire only then, so each occurrence is
announced exactly once however many attempts its report needed. A channel failing three scans in
a row raises a repair issue naming it, cleared once every channel works again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import (
    ACTION_ACKNOWLEDGE_PREFIX,
    ACTION_MUTE_PREFIX,
    DELIVERY_FAILURES_BEFORE_ISSUE,
    DOMAIN,
    EVENT_FINDING,
    EVENT_REPORT,
    LARGE_BATCH,
    LOGGER,
    MOBILE_APP_PREFIX,
    signal_finding,
)
from .data import DeliveryOutcome
from .findings import finding_data, inert, report_summary, state_key
from .report_files import reports_dir, write_report_files
from .scanner.normalize import in_worker_turn
from .scanner.render import render_alert, render_html, render_markdown, render_title

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .data import ScannerOptions
    from .scanner.models import Finding
    from .scanner.report import Report

CHANNEL_NOTIFICATION = "persistent_notification"
CHANNEL_FILES = "report_files"
NOTIFICATION_MAX_CHARS = 20_000
NOTIFY_MAX_CHARS = 4_000
FILE_MAX_CHARS = 10_000_000
# The report itself is English, so its phone buttons are too.
ACTION_MUTE_TITLE = "Mute 7 days"
ACTION_ACKNOWLEDGE_TITLE = "Acknowledge"


def delivery_issue_id(entry_id: str) -> str:
    """Return the repair issue id raised when a channel keeps failing."""
    return f"delivery_failed_{entry_id}"


@dataclass(frozen=True, slots=True)
class _Rendered:
    title: str
    notification: str
    notify: str
    html: str | None
    markdown: str | None


def _render(report: Report, options: ScannerOptions, *, files: bool, html: bool) -> _Rendered:
    """Render every text a delivery needs (run in the executor for large reports)."""
    tz = dt_util.get_default_time_zone()
    minimum = options.render_severity
    return _Rendered(
        title=render_title(report, tz=tz),
        notification=render_markdown(
            report, tz=tz, max_chars=NOTIFICATION_MAX_CHARS, min_severity=minimum
        ),
        notify=render_markdown(report, tz=tz, max_chars=NOTIFY_MAX_CHARS, min_severity=minimum),
        html=render_html(report, tz=tz) if files or html else None,
        markdown=render_markdown(report, tz=tz, max_chars=FILE_MAX_CHARS) if files else None,
    )


def _enabled_channels(options: ScannerOptions) -> set[str]:
    """Name every channel the options switch on."""
    channels = {f"notify.{service}" for service in options.notify_targets}
    if options.persistent_notification:
        channels.add(CHANNEL_NOTIFICATION)
    if options.report_files:
        channels.add(CHANNEL_FILES)
    return channels


class ReportDelivery:
    """Deliver one entry's reports and remember what has been announced since the last commit."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Bind to the entry; failure counters live as long as the entry is loaded."""
        self._hass = hass
        self._entry = entry
        self._failures: dict[str, int] = {}
        self._announced: set[tuple[Any, ...]] = set()

    async def async_deliver(
        self, report: Report, fresh: tuple[Finding, ...], options: ScannerOptions
    ) -> DeliveryOutcome:
        """Deliver ``report`` on every enabled channel and say how each one did.

        Only ``fresh`` findings (see ``fresh_findings``) trigger notifications and events;
        findings below the minimum severity are announced as events but do not notify.
        Finding events fire only once every channel took the report: a retry aggregates the
        failed attempt's entries with newer ones, so announcing the failed attempt's findings
        would repeat or miss occurrences in the event stream.
        """
        notify = any(options.notifies(finding) for finding in fresh)
        files = options.report_files and bool(fresh)
        results: dict[str, bool] = {}
        if notify or files:
            html = notify and bool(options.html_notify_services)
            render = partial(_render, report, options, files=files, html=html)
            rendered = (
                await self._hass.async_add_executor_job(in_worker_turn, render)
                if files or report.entry_count > LARGE_BATCH
                else render()
            )
            if notify and options.persistent_notification:
                persistent_notification.async_create(
                    self._hass,
                    rendered.notification,
                    title=rendered.title,
                    notification_id=f"{DOMAIN}_{self._entry.entry_id}",
                )
                results[CHANNEL_NOTIFICATION] = True
            if notify:
                top = next(finding for finding in fresh if options.notifies(finding))
                for service in options.notify_targets:
                    results[f"notify.{service}"] = await self._notify(
                        service,
                        rendered,
                        html=service in options.html_notify_services,
                        actions=self._phone_actions(service, top),
                    )
            if files and rendered.html is not None and rendered.markdown is not None:
                results[CHANNEL_FILES] = await self._write(
                    report.generated_at, rendered.html, rendered.markdown, options
                )
        self._track_failures(results, _enabled_channels(options))
        outcome = DeliveryOutcome(results=results, notified=notify and any(results.values()))
        self._announce(report, fresh, findings=outcome.ok)
        return outcome

    async def async_alert(self, findings: list[Finding], options: ScannerOptions) -> bool:
        """Announce findings of the live path in one message; say whether every channel took it.

        The persistent notification has its own id, so an alert never replaces the report on
        show; the companion app gets the buttons of the most urgent finding.
        """
        title, body = render_alert(
            findings, tz=dt_util.get_default_time_zone(), max_chars=NOTIFY_MAX_CHARS
        )
        rendered = _Rendered(title=title, notification=body, notify=body, html=None, markdown=None)
        ok = True
        if options.persistent_notification:
            persistent_notification.async_create(
                self._hass,
                body,
                title=title,
                notification_id=f"{DOMAIN}_{self._entry.entry_id}_live",
            )
        top = min(findings, key=lambda finding: finding.severity.rank)
        for service in options.notify_targets:
            ok &= await self._notify(
                service, rendered, html=False, actions=self._phone_actions(service, top)
            )
        return ok

    def committed(self) -> None:
        """Forget what was announced: the checkpoint now excludes those entries."""
        self._announced.clear()

    def _announce(self, report: Report, fresh: tuple[Finding, ...], *, findings: bool) -> None:
        """Fire the report event and, when ``findings``, each new finding's event once.

        A scan whose delivery succeeded but whose commit failed is retried with the same
        findings; they are not re-fired until the checkpoint moved.
        """
        new: list[Finding] = []
        for finding in fresh if findings else ():
            key = (
                state_key(finding),
                finding.subject_ip,
                None if finding.ongoing else finding.first_seen,
            )
            if key not in self._announced:
                self._announced.add(key)
                new.append(finding)
        self.fire_findings(new, live=False)
        self._hass.bus.async_fire(EVENT_REPORT, self._event_base() | report_summary(report, fresh))

    def fire_findings(self, findings: Iterable[Finding], *, live: bool) -> None:
        """Fire the finding event and feed the event entity, for a report or the live path."""
        base = self._event_base()
        for finding in findings:
            data = finding_data(finding) | {"live": live}
            self._hass.bus.async_fire(EVENT_FINDING, base | data)
            async_dispatcher_send(self._hass, signal_finding(self._entry.entry_id), data)

    def _event_base(self) -> dict[str, Any]:
        return {"entry_id": self._entry.entry_id, "site": inert(self._entry.title, max_len=100)}

    def _phone_actions(self, service: str, finding: Finding) -> list[dict[str, str]]:
        """Buttons for the companion app: mute or acknowledge the report's most urgent finding.

        Other notifiers would show the action list as text, so only ``mobile_app_*`` get it.
        """
        if not service.startswith(MOBILE_APP_PREFIX):
            return []
        target = f"{self._entry.entry_id}:{finding.finding_id}"
        return [
            {"action": f"{ACTION_MUTE_PREFIX}{target}", "title": ACTION_MUTE_TITLE},
            {"action": f"{ACTION_ACKNOWLEDGE_PREFIX}{target}", "title": ACTION_ACKNOWLEDGE_TITLE},
        ]

    async def _notify(
        self, service: str, rendered: _Rendered, *, html: bool, actions: list[dict[str, str]]
    ) -> bool:
        """Call ``notify.<service>`` with the title and the Markdown report.

        E-mail notifiers (such as SMTP) show ``data.html`` instead of the text when given;
        the companion app shows ``data.actions`` as buttons.
        """
        message: dict[str, Any] = {"title": rendered.title, "message": rendered.notify}
        data: dict[str, Any] = {}
        if html and rendered.html is not None:
            data["html"] = rendered.html
        if actions:
            data["actions"] = actions
        if data:
            message["data"] = data
        try:
            await self._hass.services.async_call("notify", service, message, blocking=True)
        except Exception as err:  # noqa: BLE001 - any failure of a target must not stop the rest
            LOGGER.warning("Sending the report to notify.%s failed: %s", service, err)
            return False
        return True

    async def _write(
        self, generated_at: datetime, html: str, markdown: str, options: ScannerOptions
    ) -> bool:
        """Write the report files off the event loop."""
        try:
            await self._hass.async_add_executor_job(
                write_report_files,
                reports_dir(self._hass, self._entry.entry_id),
                generated_at,
                html,
                markdown,
                timedelta(days=options.retention_days),
            )
        except OSError as err:
            LOGGER.warning("Writing the report files failed: %s", err)
            return False
        return True

    def _track_failures(self, results: dict[str, bool], enabled: set[str]) -> None:
        """Count consecutive failures per channel; raise or clear the repair issue.

        A channel that was not needed this time keeps its count; one that was switched off
        in the options is forgotten.
        """
        for channel, ok in results.items():
            self._failures[channel] = 0 if ok else self._failures.get(channel, 0) + 1
        self._failures = {c: n for c, n in self._failures.items() if c in enabled}
        failing = sorted(
            channel
            for channel, count in self._failures.items()
            if count >= DELIVERY_FAILURES_BEFORE_ISSUE
        )
        issue_id = delivery_issue_id(self._entry.entry_id)
        if not failing:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="delivery_failed",
            translation_placeholders={"entry": self._entry.title, "channels": ", ".join(failing)},
        )
