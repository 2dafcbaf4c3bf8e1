"""Signing keys: the site CA, its grants to admins, users' keys and certificates (#16).

Four new tables, audited like every table of source records: each gets the capture
triggers (its sealed key or wrapped blob captured by length only). They start empty, so
no baseline is needed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00
"""

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from desktop.registry import audit_capture

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("signing_ca", "ca_key_grant", "user_key", "user_certificate")


def upgrade() -> None:
    op.create_table('signing_ca',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('certificate_pem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('retired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('retired_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_ca'))
    )
    with op.batch_alter_table('signing_ca', schema=None) as batch_op:
        batch_op.create_index('ux_signing_ca_key_id', ['key_id'], unique=True)
    op.create_table('ca_key_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ca_key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('granted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dropped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('dropped_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ca_key_grant'))
    )
    with op.batch_alter_table('ca_key_grant', schema=None) as batch_op:
        batch_op.create_index('ix_ca_key_grant_user_id', ['user_id'], unique=False)
    op.create_table('user_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('public_key_pem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('retired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('retired_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('retire_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_key'))
    )
    with op.batch_alter_table('user_key', schema=None) as batch_op:
        batch_op.create_index('ix_user_key_user_id', ['user_id'], unique=False)
        batch_op.create_index('ux_user_key_key_id', ['key_id'], unique=True)
    op.create_table('user_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('not_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('certificate_pem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chain_pem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_certificate'))
    )
    with op.batch_alter_table('user_certificate', schema=None) as batch_op:
        batch_op.create_index('ix_user_certificate_key_id', ['key_id'], unique=False)

    audit_capture.install_triggers(_raw(), _TABLES)


def _raw() -> sqlite3.Connection:
    conn = op.get_bind().connection.dbapi_connection
    assert isinstance(conn, sqlite3.Connection)
    return conn


def downgrade() -> None:
    conn = _raw()
    for table in _TABLES:
        for kind in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS audit_{table}_{kind}")
    for table in reversed(_TABLES):
        op.drop_table(table)
