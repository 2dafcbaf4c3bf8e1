"""Patient search by any word of the names and any part of the MRN (#18).

Two tables beside ``patient`` (``desktop.registry.search_sql``): ``patient_name_word``,
the folded name words a prefix of the name keys does not find ("lindqvist" of
"Åberg-Lindqvist"), and ``patient_mrn_part``, each MRN's key from every inner position
on. They are derived from the patients' names and MRNs, filled here for the patients
already there, and rewritten by every later write of those. Nothing of a patient
changes, so the audit trail needs no baseline; the tables are not audited themselves.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from desktop.registry import search_sql

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def _create(table: str, column: str) -> None:
    op.create_table(table,
    sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                            name=op.f(f'fk_{table}_patient_id_patient')),
    sa.PrimaryKeyConstraint(column, 'patient_id', name=op.f(f'pk_{table}')),
    sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _create('patient_name_word', 'word')
    _create('patient_mrn_part', 'part')
    # The words as the app defines them now: a derived index, not history (a later change
    # of what is stored comes with its own migration rewriting these tables).
    conn = op.get_bind()
    patients = conn.execute(sa.text("SELECT id, mrn, family_name, given_name FROM patient")
                            ).fetchall()
    for start in range(0, len(patients), _BATCH):
        batch = patients[start:start + _BATCH]
        words: list[dict[str, object]] = []
        parts: list[dict[str, object]] = []
        for patient_id, mrn, family_name, given_name in batch:
            more_words, more_parts = search_sql.index_rows(patient_id, mrn, family_name,
                                                           given_name)
            words += more_words
            parts += more_parts
        if words:
            conn.execute(sa.text(search_sql.INSERT_WORD_SQL), words)
        if parts:
            conn.execute(sa.text(search_sql.INSERT_PART_SQL), parts)


def downgrade() -> None:
    for table in ('patient_mrn_part', 'patient_name_word'):
        op.drop_table(table)
