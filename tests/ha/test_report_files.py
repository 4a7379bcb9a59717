"""Report files are written atomically: a failed write leaves no partial or temporary file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from custom_components.unifi_scanner.report_files import write_report_files

if TYPE_CHECKING:
    from pathlib import Path


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    when = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    (tmp_path / "report-20250501T120000Z.html").mkdir()  # the target cannot be replaced
    with pytest.raises(OSError):  # noqa: PT011 - which OSError depends on the platform
        write_report_files(tmp_path, when, "<p>html</p>", "# md", timedelta(days=1))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report-20250501T120000Z.html"]


def test_written_files_and_retention(tmp_path: Path) -> None:
    when = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    write_report_files(tmp_path, when - timedelta(days=3), "old", "old", timedelta(days=30))
    write_report_files(tmp_path, when, "<p>new</p>", "# new", timedelta(days=2))
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "report-20250501T120000Z.html",
        "report-20250501T120000Z.md",
    ]
    assert (tmp_path / "report-20250501T120000Z.md").read_text(encoding="utf-8") == "# new"
