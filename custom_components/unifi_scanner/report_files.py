"""Report files under the configuration folder: atomic writes and retention pruning.

Everything here is blocking file I/O and runs in the executor.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .const import DOMAIN

if TYPE_CHECKING:
    from datetime import timedelta

    from homeassistant.core import HomeAssistant

_FILE_STAMP = "%Y%m%dT%H%M%SZ"
_FILE_PREFIX = "report-"


def reports_dir(hass: HomeAssistant, entry_id: str) -> Path:
    """Return the folder that holds the entry's report files."""
    return Path(hass.config.path(DOMAIN, entry_id))


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so readers never see half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report_files(
    directory: Path, generated_at: datetime, html: str, markdown: str, retention: timedelta
) -> None:
    """Write the HTML and Markdown files and prune reports older than ``retention``."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = generated_at.astimezone(UTC).strftime(_FILE_STAMP)
    _atomic_write(directory / f"{_FILE_PREFIX}{stamp}.html", html)
    _atomic_write(directory / f"{_FILE_PREFIX}{stamp}.md", markdown)
    cutoff = generated_at - retention
    for path in directory.glob(f"{_FILE_PREFIX}*"):
        try:
            written = datetime.strptime(path.stem[len(_FILE_PREFIX) :], _FILE_STAMP).replace(
                tzinfo=UTC
            )
        except ValueError:
            continue
        if written < cutoff:
            path.unlink(missing_ok=True)
