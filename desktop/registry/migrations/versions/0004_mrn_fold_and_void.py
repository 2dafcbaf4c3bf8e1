"""MRN uniqueness key (patient.mrn_fold) and voided patients (patient.void_reason).

``mrn_fold`` is the MRN as the domain folds it for uniqueness (NFKC, trimmed, runs of
inner spaces as one, case-folded): ``AB15`` and ``AB１５``, ``AB 17`` and ``AB  17`` get
one key. It is computed here for every existing patient; no MRN, name or other value of
a patient is changed.

Its index is NON-unique: a registry from before 0004 may hold two patients whose MRNs
differ only in case, spacing or width. Those pairs survive the upgrade unchanged and are
listed to the administrator at start (``PatientRepository.mrn_problems``), who merges or
voids one. The partial unique index over the patients not voided is created here only if
there is no such pair (always on a new registry), otherwise by the repository in the
write that removes the last one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00.000000
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACES = re.compile(r" {2,}")


def _fold(mrn: str) -> str:
    """The key as this revision defines it (a copy: later code may not change history)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", mrn).strip()).casefold()


def upgrade() -> None:
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mrn_fold', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, mrn FROM patient")).fetchall()
    if rows:
        conn.execute(sa.text("UPDATE patient SET mrn_fold = :fold WHERE id = :id"),
                     [{"id": row[0], "fold": _fold(row[1])} for row in rows])

    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index('ix_patient_mrn_fold', ['mrn_fold'], unique=False)
    shared = conn.execute(sa.text(
        "SELECT 1 FROM patient WHERE void_reason IS NULL AND mrn_fold IS NOT NULL "
        "GROUP BY mrn_fold HAVING count(*) > 1 LIMIT 1")).first()
    if shared is None:
        with op.batch_alter_table('patient', schema=None) as batch_op:
            batch_op.create_index('ux_patient_mrn_fold', ['mrn_fold'], unique=True,
                                  sqlite_where=sa.text('void_reason IS NULL'))


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ux_patient_mrn_fold")
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_mrn_fold')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('mrn_fold')
