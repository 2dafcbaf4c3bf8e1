"""Persistence layer: the SQLite patient registry (SQLModel + Alembic), free of Qt.

Deliberately imports nothing, so ``import desktop.registry`` costs nothing; import
``desktop.registry.database``, ``.patients`` or ``.demo`` where they are needed.
"""
