"""The one place that finds bundled data, from source and from a frozen bundle.

PyInstaller unpacks data next to the executable (``sys._MEIPASS``); from a source
checkout the same folders sit at the repository root, beside the package.
Everything that reads ``trials/`` or ``resources/`` asks here.

The data folder's files are its user's alone (patient data on a shared workstation): a
folder NK Screen creates for its data is ``0o700`` (``private_folder``) and every file
it creates there that holds data (the registry, a copy before an upgrade, the log) is
``0o600`` (``private_file``), whatever the umask; SQLite gives a database's ``-wal`` and
``-shm`` files the database's own mode, and backups are written through ``mkstemp``
(``0o600``). What already exists keeps its modes: a site that shares a registry between
accounts on purpose (a group folder) keeps doing so. On Windows a mode only sets the
read-only flag; the default data folder, in the user's profile, is private already.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "NKSCREEN_HOME"
CACHE_DIR_ENV = "NKSCREEN_CACHE"
PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def bundle_root() -> Path:
    """Folder holding ``trials/`` and ``resources/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def trials_dir() -> Path:
    """The trial library: ``$NKSCREEN_TRIALS`` where set (a site's own), else the bundled one."""
    override = os.environ.get("NKSCREEN_TRIALS")
    return Path(override) if override else bundle_root() / "trials"


def resources_dir() -> Path:
    return bundle_root() / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def migrations_dir() -> Path:
    """Alembic scripts ship inside the package so an installed wheel has them."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "desktop" / "registry" / "migrations"
    return Path(__file__).resolve().parent / "registry" / "migrations"


def default_data_dir() -> Path:
    """The registry folder: ``NKSCREEN_HOME`` if set, else the platform's user data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("NKScreen", appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None) -> Path:
    """``--data-dir`` wins over ``NKSCREEN_HOME``, which wins over the default."""
    if explicit:
        return Path(explicit).expanduser()
    return default_data_dir()


def cache_dir() -> Path:
    """Where NK Screen keeps what it can rebuild (the trial library's cache):
    ``NKSCREEN_CACHE`` if set, else the platform's user cache folder. Safe to delete."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("NKScreen", appauthor=False))


def private_folder(path: Path) -> None:
    """Create ``path`` (and any missing parents) unless it exists: the last ``0o700``."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create ``path``, empty and ``0o600``, unless it exists (then it is left as is)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
