"""Fail a test when Home Assistant reports that this integration uses something deprecated.

Home Assistant logs such reports instead of raising: "Detected that custom integration
'unifi_scanner' …" (``helpers.frame``) and "The deprecated … was used from unifi_scanner. …"
(``helpers.deprecation``). They name the release that breaks, so they are the earliest warning
the newest Home Assistant gives. Each report is logged once per process; the guard forgets
what was reported before each test so that every test that triggers one fails.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING

from homeassistant.helpers import frame

from custom_components.unifi_scanner.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterator

_REPORT = re.compile(
    rf"Detected that custom integration '{DOMAIN}'"
    rf"|^The deprecated .+ was \w+ from {DOMAIN}\."
)


class DeprecationReports(logging.Handler):
    """Collect the deprecation reports about this integration logged anywhere."""

    def __init__(self) -> None:
        """Start with nothing reported."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record when it reports a deprecation of this integration."""
        message = record.getMessage()
        if _REPORT.search(message):
            self.reports.append(message)

    def take(self) -> list[str]:
        """Return the reports so far and forget them (a test that expects one takes it)."""
        reports, self.reports = self.reports, []
        return reports


@contextmanager
def deprecation_reports() -> Iterator[DeprecationReports]:
    """Listen on the root logger for the duration of one test."""
    # Home Assistant reports each place once per process; every test must see its own.
    getattr(frame, "_REPORTED_INTEGRATIONS", set()).clear()
    handler = DeprecationReports()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
