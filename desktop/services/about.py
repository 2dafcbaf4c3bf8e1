"""What Help → About says: the version, where the data lives, and the licences of what
the application ships (its fonts and the libraries it is built on). No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from desktop import APP_NAME, __version__, paths
from desktop.registry.database import DB_FILENAME

#: The libraries shipped with the application, and their licences (SPDX; as each
#: project states it). Their versions are read from the installed distributions.
LIBRARIES: Final = (
    ("Qt for Python (PySide6-Essentials)", "PySide6_Essentials", "LGPL-3.0-only"),
    ("Shiboken6", "shiboken6", "LGPL-3.0-only"),
    ("SQLModel", "sqlmodel", "MIT"),
    ("SQLAlchemy", "SQLAlchemy", "MIT"),
    ("Alembic", "alembic", "MIT"),
    ("Pydantic", "pydantic", "MIT"),
    ("PyYAML", "PyYAML", "MIT"),
    ("platformdirs", "platformdirs", "MIT"),
    ("ReportLab", "reportlab", "BSD-3-Clause"),
    ("pyHanko", "pyHanko", "MIT"),
    ("asn1crypto", "asn1crypto", "MIT"),
    ("cryptography", "cryptography", "Apache-2.0 OR BSD-3-Clause"),
    ("argon2-cffi", "argon2-cffi", "MIT"),
)


@dataclass(frozen=True)
class Shipped:
    """A font or library shipped with the application."""

    name: str
    version: str
    licence: str


@dataclass(frozen=True)
class Font:
    name: str
    #: The licence file shipped beside the font files, and its text.
    licence_file: Path
    licence_text: str


@dataclass(frozen=True)
class About:
    name: str
    version: str
    data_dir: Path
    registry: Path
    fonts: tuple[Font, ...]
    libraries: tuple[Shipped, ...]


def about(data_dir: Path, registry: Path | None = None) -> About:
    """The facts Help → About shows for the data folder ``data_dir`` (the registry in
    it unless ``registry`` says where the open one is)."""
    return About(APP_NAME, __version__, data_dir, registry or data_dir / DB_FILENAME,
                 fonts(), libraries())


def fonts() -> tuple[Font, ...]:
    """Each font family in ``resources/fonts`` with its licence file (LICENSE-<name>)."""
    folder = paths.resources_dir() / "fonts"
    found = []
    for licence in sorted(folder.glob("LICENSE-*")):
        try:
            text = licence.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            text = f"(the licence file could not be read: {exc})"
        found.append(Font(licence.stem.removeprefix("LICENSE-"), licence, text))
    return tuple(found)


def libraries() -> tuple[Shipped, ...]:
    result = []
    for name, distribution, licence in LIBRARIES:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "—"
        result.append(Shipped(name, version, licence))
    return tuple(result)
