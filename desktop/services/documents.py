"""What every document export shares: writing the file whole, after its audit row, and
the headless commands' login.

A document (a worksheet, a screening log, the delegation log) is written to a file
beside the target and renamed over it only once its audit row is saved: a reader never
finds half a PDF, and no file leaves without the trail saying who made it. No Qt.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from desktop.registry.database import Registry, RegistryError
from desktop.services.acting import Actor, NotPermitted, Permission, need

T = TypeVar("T")

#: A headless command's login: called once, returns (user id, password).
Credentials = Callable[[], tuple[str, str]]


class DocumentError(RegistryError):
    """The document cannot be built or written; the message says why."""


def write_whole(path: Path, data: bytes, audit: Callable[[], None]) -> None:
    """``data`` to ``path`` through a file beside it, renamed once ``audit`` is saved.

    Nothing is left behind on failure: neither the temporary file nor, if the audit row
    could not be saved, the document."""
    write_streamed(path, lambda out: out.write(data), lambda _written: audit())


def write_streamed(path: Path, write: Callable[[BinaryIO], T], audit: Callable[[T], None],
                   error: type[RegistryError] = DocumentError) -> T:
    """``write`` the file beside ``path``, ``audit`` what it returned, then rename the
    file into place; an ``OSError`` is raised as ``error`` naming the file."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise error(f"{path} could not be written: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as out:
            written = write(out)
        audit(written)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise error(f"{path} could not be written: {exc.strerror or exc}.") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


@contextlib.contextmanager
def exporter(data_dir: Path, credentials: Credentials | None) -> Iterator[
        tuple[Registry, Actor]]:
    """The registry in ``data_dir`` and the person logged in to export from it.

    Refuses a folder without a registry, a registry without accounts (an export names the
    person who made it) and a missing or wrong login; the login is audited
    (``cli.login``)."""
    from desktop.registry.database import DB_FILENAME, open_registry
    from desktop.services.accounts import AccountService

    if not (data_dir / DB_FILENAME).is_file():
        raise DocumentError(f"There is no registry in {data_dir}.")
    registry = open_registry(data_dir)
    try:
        accounts = AccountService(registry)
        if accounts.needs_first_admin():
            raise NotPermitted("the registry has no accounts yet: an export names the person "
                               "who made it (create the first administrator in the app)")
        if credentials is None:
            raise NotPermitted("exports need a login: --user USER (the password is asked "
                               "for, or read with --password-stdin)")
        user_id, password = credentials()
        actor = accounts.login(user_id, password, action="cli.login")
        need(actor, Permission.EXPORT, registry)
        yield registry, actor
    finally:
        registry.close()
