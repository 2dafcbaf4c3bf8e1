"""The schema revision this build of NK Screen writes, known without importing Alembic.

``open_registry`` compares a database's ``alembic_version`` with ``HEAD`` using the
stdlib ``sqlite3`` module: a registry already at ``HEAD`` opens without loading Alembic
(or SQLAlchemy) at all. Bump ``HEAD`` with every new migration script; a test checks it
against the head of the packaged scripts, so forgetting to fails CI.
"""

from __future__ import annotations

from typing import Final

HEAD: Final = "0010"
