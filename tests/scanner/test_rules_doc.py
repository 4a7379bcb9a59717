"""docs/rules.md is generated from the catalogue and must not drift from it."""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from custom_components.unifi_scanner.scanner.catalogue import RULES_DIRECTORY, load_catalogue

if TYPE_CHECKING:
    from collections.abc import Callable

    from custom_components.unifi_scanner.scanner.catalogue import RuleCatalogue

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_rules_doc"
DOC = ROOT / "docs" / "rules.md"

render: Callable[[RuleCatalogue], str] = runpy.run_path(str(SCRIPT))["render"]


def test_rules_doc_is_up_to_date() -> None:
    """Fails after a rule edit until `scripts/gen_rules_doc` is run."""
    assert DOC.read_text(encoding="utf-8") == render(load_catalogue())


def test_doc_lists_every_rule_and_key() -> None:
    text = DOC.read_text(encoding="utf-8")
    catalogue = load_catalogue()
    for rule in catalogue.rules:
        assert f"| `{rule.id}` | {rule.severity.value} | {rule.category.value} |" in text
    for key in catalogue.known_keys:
        assert f"`{key}`" in text
    assert "`DEVICE_RESTARTED`\\*" in text  # inferred v2 keys are marked
    assert "`THREAT_DETECTED`\\*" not in text


def test_a_rule_edit_changes_the_doc(tmp_path: Path) -> None:
    directory = tmp_path / "rules"
    shutil.copytree(RULES_DIRECTORY, directory)
    path = directory / "connectivity.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Network loop detected on", "Loop found on"),
        encoding="utf-8",
    )
    changed = render(load_catalogue(directory))
    assert changed != DOC.read_text(encoding="utf-8")
    assert "Loop found on" in changed


def test_check_mode_exit_status() -> None:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
