"""Alembic wiring: programmatic config, the known revisions, upgrade and autogenerate.

The migration scripts ship inside the package (``desktop.paths.migrations_dir()``), so
nothing here needs an alembic.ini. Run ``python -m desktop.registry.schema revision
"message"`` from a checkout to autogenerate the next migration from the models.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from desktop.paths import migrations_dir


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the bundled scripts, optionally bound to a connection."""
    cfg = Config()
    # ConfigParser interpolates '%': escape it in case the install path contains one.
    cfg.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision id this build of the app ships (a database at any other is newer)."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the baseline always exists
        raise RuntimeError("No registry migrations found")
    return head


def upgrade(connection: Connection) -> None:
    """Bring the schema on ``connection`` to head, inside the caller's transaction."""
    command.upgrade(alembic_config(connection), "head")


def autogenerate_revision(message: str) -> None:
    """Write a new migration script: diff the models against a fresh database at head."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'autogen.sqlite3'}")
        try:
            with engine.begin() as conn:
                upgrade(conn)
                command.revision(alembic_config(conn), message=message, autogenerate=True)
        finally:
            engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision":
        print('usage: python -m desktop.registry.schema revision "message"', file=sys.stderr)
        return 2
    autogenerate_revision(argv[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
