"""Alembic environment for the NK Screen registry.

At run time ``open_registry`` hands over an open connection (already inside a
``BEGIN IMMEDIATE`` transaction) through ``config.attributes["connection"]``; no
alembic.ini is involved. ``python -m desktop.registry.schema revision`` uses the same
path to autogenerate new migration scripts.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from desktop.registry.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "The registry migrations run only on a connection passed in "
            "config.attributes['connection'] (see desktop.registry.schema)."
        )
    _run(connection)


_main()
