"""Screenings and visits (#5): screening, visit, visit_event, patient_fact, observation,
answer and screen_failure.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 12:42:40.369826
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('patient_fact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_fact_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_fact')),
    sa.UniqueConstraint('patient_id', 'name', name=op.f('uq_patient_fact_patient_id_name'))
    )
    op.create_table('screening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_screening_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening')),
    sa.UniqueConstraint('patient_id', 'trial_id', name=op.f('uq_screening_patient_id_trial_id'))
    )
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.create_index('ix_screening_trial_id', ['trial_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('completed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(), nullable=True),
    sa.Column('verdict', sa.JSON(), nullable=True),
    sa.Column('override_rationale', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('override_agreed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('override_recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('override_recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('signed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(status = 'draft') = (decision IS NULL)", name=op.f('ck_visit_decided_when_completed')),
    sa.CheckConstraint("decision IS NULL OR decision IN ('eligible', 'not_eligible')", name=op.f('ck_visit_decision')),
    sa.CheckConstraint("status IN ('draft', 'completed')", name=op.f('ck_visit_status')),
    sa.CheckConstraint('"repeat" >= 1', name=op.f('ck_visit_repeat')),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_visit_screening_id_screening')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('screening_id', 'stage_id', 'repeat', name=op.f('uq_visit_screening_id_stage_id_repeat'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ux_visit_one_draft', ['screening_id'], unique=True, sqlite_where=sa.text("status = 'draft'"))

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source_document', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("value IN ('yes', 'no', 'n/a')", name=op.f('ck_answer_value')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_answer_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('visit_id', 'criterion_id', name=op.f('uq_answer_visit_id_criterion_id'))
    )
    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('uln', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('retracted', sa.Boolean(), nullable=False),
    sa.Column('retracted_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('retracted_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('retracted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_observation_patient_id_patient')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_observation_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index('ix_observation_patient_id_code_at', ['patient_id', 'code', 'at'], unique=False)
        batch_op.create_index('ix_observation_visit_id', ['visit_id'], unique=False)

    op.create_table('screen_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_screen_failure_screening_id_screening')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_screen_failure_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screen_failure')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_screen_failure_visit_id'))
    )
    with op.batch_alter_table('screen_failure', schema=None) as batch_op:
        batch_op.create_index('ix_screen_failure_screening_id', ['screening_id'], unique=False)

    op.create_table('visit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_event_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_event')),
    sa.UniqueConstraint('visit_id', 'name', name=op.f('uq_visit_event_visit_id_name'))
    )


def downgrade() -> None:
    op.drop_table('visit_event')
    with op.batch_alter_table('screen_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_screen_failure_screening_id')

    op.drop_table('screen_failure')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_visit_id')
        batch_op.drop_index('ix_observation_patient_id_code_at')

    op.drop_table('observation')
    op.drop_table('answer')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ux_visit_one_draft', sqlite_where=sa.text("status = 'draft'"))

    op.drop_table('visit')
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.drop_index('ix_screening_trial_id')

    op.drop_table('screening')
    op.drop_table('patient_fact')
