"""One direction of dependency: Qt only in desktop/ui; the domain does no I/O.

Checked on the source (every import statement), so a lazy import inside a function
is caught as well as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "desktop"
QT = ("PySide6", "shiboken6")
DB = ("sqlalchemy", "sqlmodel", "alembic", "sqlite3")
IO = ("os", "pathlib", "io", "shutil", "subprocess", "yaml", "json", "socket", "tempfile")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*parts: str) -> list[Path]:
    root = PACKAGE.joinpath(*parts)
    return [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))


def _offending(paths: list[Path], banned: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{p.relative_to(PACKAGE.parent)}: {name}"
        for p in paths for name in _imports(p)
        if name.split(".")[0] in banned
    )


@pytest.mark.parametrize("layer", ["domain", "registry", "worksheets", "cli.py", "library.py",
                                   "site.py", "paths.py", "__init__.py"])
def test_no_qt_outside_the_ui(layer: str) -> None:
    assert _offending(_modules(layer), QT) == []


def test_domain_has_no_database_and_no_io() -> None:
    assert _offending(_modules("domain"), DB + IO + ("reportlab",)) == []


def test_ui_never_talks_sql_directly() -> None:
    assert _offending(_modules("ui"), ("sqlalchemy", "sqlite3")) == []
