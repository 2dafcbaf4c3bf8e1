"""Signatures on stages, stage versions (corrections) and the trial files used (#13).

New tables, and two columns on ``visit``: ``version`` (1 for every visit so far) and
``correction_reason``. Visits completed before this revision have no stage version:
their free-text sign-off and "agreed by" stay readable as a legacy sign-off, and their
content is captured when they are first signed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:51:15.357511
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trial_file',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trial_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_trial_file'))
    )
    op.create_table('stage_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('completed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trial_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('observation_ids', sa.JSON(), nullable=False),
    sa.Column('verdict', sa.JSON(), nullable=False),
    sa.Column('correction_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('captured', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['trial_sha256'], ['trial_file.sha256'], name=op.f('fk_stage_version_trial_sha256_trial_file')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_stage_version_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_version')),
    sa.UniqueConstraint('visit_id', 'version', name=op.f('uq_stage_version_visit_id_version'))
    )
    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_version_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('meaning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('printed_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_version', sa.Integer(), nullable=False),
    sa.Column('rationale', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('parties', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['stage_version_id'], ['stage_version.id'], name=op.f('fk_signature_stage_version_id_stage_version')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_signature_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    sa.UniqueConstraint('stage_version_id', 'action', name=op.f('uq_signature_stage_version_id_action'))
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('ix_signature_visit_id', ['visit_id'], unique=False)

    # Plain ADD COLUMN (no table rebuild): SQLite keeps the visit table's constraints.
    op.add_column('visit', sa.Column('version', sa.Integer(), nullable=False,
                                     server_default='1'))
    op.add_column('visit', sa.Column('correction_reason',
                                     sqlmodel.sql.sqltypes.AutoString(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('version')

    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_visit_id')

    op.drop_table('signature')
    op.drop_table('stage_version')
    op.drop_table('trial_file')
