"""The arrows go schedules -> bot -> content, never back (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _importers_of(package: str, top: str) -> list[str]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    return [
        str(f.relative_to(ROOT))
        for f in files
        if any(m == top or m.startswith(top + ".") for m in _imported_modules(f))
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"), [("bot", "schedules"), ("content", "bot"), ("content", "schedules")]
)
def test_no_module_imports_against_the_arrows(package: str, forbidden: str) -> None:
    assert _importers_of(package, forbidden) == []


def test_every_code_folder_has_an_init_so_a_non_editable_install_ships_it() -> None:
    tops = ("bot", "content", "schedules")
    folders = {p.parent for top in tops for p in (ROOT / top).rglob("*.py")}
    missing = [f.relative_to(ROOT) for f in sorted(folders) if not (f / "__init__.py").exists()]
    assert missing == []
