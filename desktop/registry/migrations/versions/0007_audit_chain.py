"""The hash-chained audit trail (#14).

New columns on ``audit_event`` (the local time with its offset, the time zone, the reason,
the field changes and record states, the clock flag, a writer's anomaly note, and the
chain's ``prev_hash`` and ``row_hash``), the ``audit_head`` record, the ``audit_pending``
capture table and its triggers on every audited table, ``audit_foreign`` (captured changes
found waiting, written outside NK Screen), and the chain head at signing on ``signature``.

An existing registry gets one baseline audit row per existing record holding its current
values (so ``audit verify`` has something to compare each record with), and every audit
row, old ones included, is hashed onto the chain in the order written. What happened
before this upgrade is only as trustworthy as the file was then; from here on, a change
made outside NK Screen is caught.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:00:00
"""

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from desktop.registry import audit_capture, audit_chain

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BASELINE_NOTE = "the record as it stood when the audit chain began (upgrade)"


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('changes', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('states', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('clock_back', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('anomaly', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(), nullable=True))
        batch_op.create_index('ix_audit_event_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index('ix_audit_event_actor', ['actor'], unique=False)
        batch_op.create_index('ix_audit_event_clock_back', ['id'], unique=False,
                              sqlite_where=sa.text('clock_back = 1'))
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(), nullable=False),
    sa.Column('newest_at', sa.String(), nullable=True),
    sa.Column('updated_at', sa.String(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_pending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tbl', sa.String(), nullable=False),
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('op', sa.String(), nullable=False),
    sa.Column('old', sa.String(), nullable=True),
    sa.Column('new', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending'))
    )
    op.create_table('audit_foreign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tbl', sa.String(), nullable=False),
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('op', sa.String(), nullable=False),
    sa.Column('old', sa.String(), nullable=True),
    sa.Column('new', sa.String(), nullable=True),
    sa.Column('found_at', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_foreign'))
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(), nullable=True))

    conn = _raw()
    # The tables audited at this revision: later migrations add theirs (and triggers).
    audit_capture.baseline(conn, audit_capture.AUDITED_0007, _BASELINE_NOTE)
    audit_capture.install_triggers(conn, audit_capture.AUDITED_0007)
    audit_chain.seal(conn, audit_chain.Floor(event=0), actor="nkscreen")


def _raw() -> sqlite3.Connection:
    conn = op.get_bind().connection.dbapi_connection
    assert isinstance(conn, sqlite3.Connection)
    return conn


def downgrade() -> None:
    conn = _raw()
    for table in audit_capture.AUDITED_0007:
        for kind in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS audit_{table}_{kind}")
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_seq')
    op.drop_table('audit_foreign')
    op.drop_table('audit_pending')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_clock_back')
        batch_op.drop_index('ix_audit_event_actor')
        batch_op.drop_index('ix_audit_event_occurred_at')
        for column in ('row_hash', 'prev_hash', 'anomaly', 'clock_back', 'states', 'changes',
                       'reason',
                       'time_zone', 'recorded_at'):
            batch_op.drop_column(column)
