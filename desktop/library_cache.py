"""The trial library's cache: each trial file's validated model, keyed by the file's hash.

Validating a trial file needs pydantic and PyYAML, some 200 ms of imports and schema
building before a headless command can answer. Once a file has validated, its model is
kept as plain JSON (never pickle: reading the cache runs no code of its own) in one
cache file per library folder, in the user cache folder (``NKSCREEN_CACHE`` where set;
see :func:`desktop.paths.cache_dir`). A later run uses an entry only when

* the header matches: the cache format, the app's version, the Python version, a
  fingerprint of the code that validates and models a trial (its source files, the
  installed pydantic and PyYAML, or a frozen bundle's executable) and the library
  folder's path; and the digest of the entries matches what was written;
* the entry's SHA-256 is that of the bytes just read from the trial file.

Anything else (no file, a damaged, truncated or foreign one, another version, an edited
trial) is a miss: the file is validated as if there were no cache, and the cache is
rewritten. Writing is best effort: a cache folder that cannot be created or written
never fails a command. The cache is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import date
from fractions import Fraction
from importlib import import_module
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.domain.trial import PlainDataError, Trial, from_plain, to_plain
from desktop.paths import cache_dir

#: Bump when the file's layout or the meaning of an entry changes.
FORMAT = 1
#: The source files whose code decides what a validated trial is.
_SOURCES = ("domain/plain_model.py", "domain/trial.py", "domain/trial_schedule.py",
            "domain/trial_schema.py", "domain/units.py", "library.py", "library_cache.py")
#: Third-party packages that read and validate a trial file.
_PACKAGES = ("pydantic", "pydantic_core", "yaml")


def _sha256_maker() -> Any:
    """CPython's built-in SHA-256 where it has one: hashlib would load OpenSSL first,
    some 3 ms of every start-up for a hash of a few kilobytes."""
    try:
        return import_module("_sha256").sha256
    except (ImportError, AttributeError):  # pragma: no cover - another Python
        return import_module("hashlib").sha256


_sha256 = _sha256_maker()


def file_digest(data: bytes) -> str:
    return str(_sha256(data).hexdigest())


def cache_file(folder: Path) -> Path:
    """The cache file of the library in ``folder`` (one per folder)."""
    where = _sha256(str(folder.resolve()).encode("utf-8", "surrogateescape"))
    return cache_dir() / f"trials-{where.hexdigest()[:20]}.json"


def fingerprint() -> str:
    """The code a cached trial was validated with: a change gives another fingerprint."""
    digest = _sha256(f"{FORMAT}|{__version__}|{sys.version}".encode())
    package = Path(__file__).resolve().parent
    for name in _SOURCES:
        try:
            digest.update(name.encode() + b"\0" + (package / name).read_bytes())
        except OSError:
            digest.update(name.encode() + b"\0missing")
    for found in _installed(_PACKAGES):
        digest.update(found.encode("utf-8", "surrogateescape"))
    if getattr(sys, "frozen", False):  # a bundle's code is inside its executable
        digest.update(_stat(Path(sys.executable)).encode())
    return str(digest.hexdigest())


def _installed(names: tuple[str, ...]) -> list[str]:
    """Where each package is installed and when its files were written (found without
    importing it), so that an upgrade gives another fingerprint."""
    from importlib.machinery import PathFinder

    found = []
    for name in names:
        try:
            spec = PathFinder.find_spec(name)
        except (ImportError, ValueError):  # pragma: no cover - a broken sys.path entry
            spec = None
        origin = spec.origin if spec is not None else None
        found.append(f"{name}={origin}:{_stat(Path(origin)) if origin else 'none'}")
    return found


def _stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return "none"
    return f"{info.st_size}:{info.st_mtime_ns}"


def _plain_json(value: object) -> str:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not plain data")


class LibraryCache:
    """The cache of one library folder, read once; ``get`` and ``put`` per trial file,
    ``save`` to write what changed."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._entries: dict[str, dict[str, Any]] = {}
        self._changed = False
        try:
            self._path: Path | None = cache_file(folder)
            self._header = {"format": FORMAT, "code": fingerprint(),
                            "folder": str(folder.resolve())}
        except (OSError, RuntimeError, ValueError):  # no cache folder can be named
            self._path = None
            return
        self._entries = self._read(self._path)

    def _read(self, path: Path) -> dict[str, dict[str, Any]]:
        try:
            raw = path.read_bytes()
            head, _, body = raw.partition(b"\n")
            header = json.loads(head)
            if not isinstance(header, dict) or header.pop("digest", None) != file_digest(body):
                return {}
            if header != self._header:
                return {}
            entries = json.loads(body)
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(entries, dict):
            return {}
        return {name: entry for name, entry in entries.items() if isinstance(entry, dict)}

    def get(self, name: str, data: bytes) -> Trial | None:
        """The trial file ``name``'s model when the cache holds it for exactly ``data``."""
        entry = self._entries.get(name)
        if entry is None or entry.get("sha256") != file_digest(data):
            return None
        try:
            return from_plain(Trial, entry.get("trial"))
        except (PlainDataError, ValueError, TypeError, ZeroDivisionError, RecursionError):
            del self._entries[name]  # rewritten from the file by the caller's put
            return None

    def put(self, name: str, data: bytes, trial: Trial) -> None:
        self._entries[name] = {"sha256": file_digest(data), "trial": to_plain(trial)}
        self._changed = True

    def keep_only(self, names: set[str]) -> None:
        """Forget the entries of files no longer in the library."""
        stale = set(self._entries) - names
        for name in stale:
            del self._entries[name]
        self._changed = self._changed or bool(stale)

    def save(self) -> None:
        """Write the cache if anything changed; never fails (it is only a cache)."""
        if not self._changed or self._path is None:
            return
        self._changed = False
        try:
            body = json.dumps(self._entries, ensure_ascii=False, separators=(",", ":"),
                              default=_plain_json).encode("utf-8")
            head = json.dumps(self._header | {"digest": file_digest(body)}).encode("utf-8")
        except (TypeError, ValueError):  # pragma: no cover - models are plain data
            return
        _write(self._path, head + b"\n" + body)


def _write(path: Path, data: bytes) -> None:
    """``data`` at ``path`` all at once (a temporary file renamed over it), or nothing."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
