"""Digitally signed worksheets (#16): ``signed_worksheet``, one row per digital signature.

The worksheet's bytes once that signature was added, their SHA-256 and the signers'
fields. Audited like every table of source records, the bytes captured by their length
(their SHA-256 column stands beside them). It starts empty, so no baseline is needed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:40:00
"""

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from desktop.registry import audit_capture

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signed_worksheet',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'],
                            name=op.f('fk_signed_worksheet_signature_id_signature')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'],
                            name=op.f('fk_signed_worksheet_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_worksheet')),
    sa.UniqueConstraint('signature_id', name=op.f('uq_signed_worksheet_signature_id'))
    )
    with op.batch_alter_table('signed_worksheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_worksheet_visit_id'), ['visit_id'],
                              unique=False)
    audit_capture.install_triggers(_raw(), ("signed_worksheet",))


def _raw() -> sqlite3.Connection:
    conn = op.get_bind().connection.dbapi_connection
    assert isinstance(conn, sqlite3.Connection)
    return conn


def downgrade() -> None:
    conn = _raw()
    for kind in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS audit_signed_worksheet_{kind}")
    with op.batch_alter_table('signed_worksheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_worksheet_visit_id'))
    op.drop_table('signed_worksheet')
