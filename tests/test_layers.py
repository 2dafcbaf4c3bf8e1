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
# json is allowed: the record reader parses text it is handed (json.loads); reading or
# writing a file with it (json.load, json.dump) is caught by the test below.
IO = ("os", "pathlib", "io", "shutil", "subprocess", "yaml", "socket", "tempfile")


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
                                   "library_cache.py", "site.py", "site_schema.py",
                                   "paths.py", "__init__.py"])
def test_no_qt_outside_the_ui(layer: str) -> None:
    assert _offending(_modules(layer), QT) == []


def test_domain_has_no_database_and_no_io() -> None:
    assert _offending(_modules("domain"), DB + IO + ("reportlab",)) == []


def test_domain_parses_json_text_but_never_reads_or_writes_files() -> None:
    calls = sorted(
        f"{p.relative_to(PACKAGE.parent)}: {node.func.attr}"
        for p in _modules("domain")
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "json"
        and node.func.attr in ("load", "dump")
    )
    assert calls == []
    assert any("json" in _imports(p) for p in _modules("domain"))  # the check is live


def test_worksheets_never_touch_the_database() -> None:
    assert _offending(_modules("worksheets"), DB) == []
    assert any("reportlab" in name for p in _modules("worksheets") for name in _imports(p))


def test_ui_never_talks_sql_directly() -> None:
    assert _offending(_modules("ui"), ("sqlalchemy", "sqlite3")) == []
