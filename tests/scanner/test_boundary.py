"""The ``scanner`` package stays pure: no module under it may import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCANNER = Path(__file__).parents[2] / "custom_components" / "unifi_scanner" / "scanner"


def _imported_modules(tree: ast.AST) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules.append(node.args[0].value)
    return modules


def _is_homeassistant(module: str) -> bool:
    return module == "homeassistant" or module.startswith("homeassistant.")


def test_scanner_package_has_python_files() -> None:
    assert (SCANNER / "client.py").is_file()
    assert (SCANNER / "normalize" / "__init__.py").is_file()


@pytest.mark.parametrize(
    "path", sorted(SCANNER.rglob("*.py")), ids=lambda path: str(path.relative_to(SCANNER))
)
def test_no_homeassistant_import(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offending = [module for module in _imported_modules(tree) if _is_homeassistant(module)]
    assert offending == [], f"{path} imports {offending}"


def test_detector_catches_every_import_form() -> None:
    source = (
        "import homeassistant\n"
        "from homeassistant.core import HomeAssistant\n"
        "import homeassistant.helpers.storage as storage\n"
        "importlib.import_module('homeassistant.const')\n"
        "from homeassistantish import x\n"
        "from . import homeassistant_free\n"
    )
    found = [m for m in _imported_modules(ast.parse(source)) if _is_homeassistant(m)]
    assert found == [
        "homeassistant",
        "homeassistant.core",
        "homeassistant.helpers.storage",
        "homeassistant.const",
    ]
