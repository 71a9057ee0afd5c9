"""Care and support planning: the structured plan, its line items, documents and delegations.

Revision ID: 0005
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflows.models

revision = "0005"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('care_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_reference', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('person_ref', sa.String(length=80), nullable=True),
    sa.Column('person_name', sa.String(length=200), nullable=True),
    sa.Column('plan_for', sa.String(length=10), nullable=False),
    sa.Column('written_by', sa.String(length=200), nullable=True),
    sa.Column('drafted_by', sa.String(length=80), nullable=True),
    sa.Column('approved_by', sa.String(length=80), nullable=True),
    sa.Column('indicative_weekly_pence', sa.Integer(), nullable=True),
    sa.Column('person_contribution_weekly_pence', sa.Integer(), nullable=True),
    sa.Column('how_needs_met', sa.Text(), nullable=True),
    sa.Column('information_advice', sa.Text(), nullable=True),
    sa.Column('strengths', sa.Text(), nullable=True),
    sa.Column('other_services', sa.Text(), nullable=True),
    sa.Column('contributions', sa.Text(), nullable=True),
    sa.Column('change_notification', sa.Text(), nullable=True),
    sa.Column('control_mechanism', sa.Text(), nullable=True),
    sa.Column('review_arrangements', sa.Text(), nullable=True),
    sa.Column('progression', sa.Text(), nullable=True),
    sa.Column('carer_wishes', sa.Text(), nullable=True),
    sa.Column('saving_purpose', sa.Text(), nullable=True),
    sa.Column('statutory_obligations', sa.Text(), nullable=True),
    sa.Column('dp_spending_breakdown', sa.Text(), nullable=True),
    sa.Column('dp_frequency', sa.String(length=80), nullable=True),
    sa.Column('stored_externally', sa.Boolean(), nullable=True),
    sa.Column('storage_location', sa.String(length=300), nullable=True),
    sa.Column('unique_or_novel', sa.Boolean(), nullable=True),
    sa.Column('copy_recipients', sa.JSON(), nullable=True),
    sa.Column('created_at', workflows.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', workflows.models.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', workflows.models.UTCDateTime(), nullable=True),
    sa.Column('signed_off_at', workflows.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_reference', 'version')
    )
    op.create_index(op.f('ix_care_plan_case_reference'), 'care_plan', ['case_reference'], unique=False)
    op.create_index(op.f('ix_care_plan_instance_id'), 'care_plan', ['instance_id'], unique=False)
    op.create_table('care_plan_recipient',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.Column('updated_at', workflows.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('worker_delegation',
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('self_delegation', sa.Boolean(), nullable=False),
    sa.Column('weekly_limit_pence', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.Column('updated_at', workflows.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    op.create_table('care_plan_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_reference', sa.String(length=80), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', workflows.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_document_case_reference'), 'care_plan_document', ['case_reference'], unique=False)
    op.create_index(op.f('ix_care_plan_document_plan_id'), 'care_plan_document', ['plan_id'], unique=False)
    op.create_table('care_plan_line_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('budget_option', sa.String(length=30), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=True),
    sa.Column('weekly_cost_pence', sa.Integer(), nullable=False),
    sa.Column('dp_on_costs_weekly_pence', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.String(length=120), nullable=True),
    sa.Column('carer_respite', sa.Boolean(), nullable=False),
    sa.Column('brokered', sa.Boolean(), nullable=False),
    sa.Column('nhs_responsibility', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('approval', sa.String(length=20), nullable=False),
    sa.Column('activated_by', sa.String(length=80), nullable=True),
    sa.Column('activated_at', workflows.models.UTCDateTime(), nullable=True),
    sa.Column('ended_at', workflows.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_line_item_plan_id'), 'care_plan_line_item', ['plan_id'], unique=False)
    op.create_table('care_plan_need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=True),
    sa.Column('how_met', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_need_plan_id'), 'care_plan_need', ['plan_id'], unique=False)
    op.create_table('care_plan_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weekly_cost_pence', sa.Integer(), nullable=True),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_option_plan_id'), 'care_plan_option', ['plan_id'], unique=False)
    op.create_table('care_plan_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=True),
    sa.Column('timescale', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_outcome_plan_id'), 'care_plan_outcome', ['plan_id'], unique=False)
    op.create_table('care_plan_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('at', workflows.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'rule_id')
    )
    op.create_index(op.f('ix_care_plan_override_plan_id'), 'care_plan_override', ['plan_id'], unique=False)
    op.create_table('care_plan_risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('risk', sa.Text(), nullable=False),
    sa.Column('management', sa.Text(), nullable=True),
    sa.Column('contingency', sa.Text(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_care_plan_risk_plan_id'), 'care_plan_risk', ['plan_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_care_plan_risk_plan_id'), table_name='care_plan_risk')
    op.drop_table('care_plan_risk')
    op.drop_index(op.f('ix_care_plan_override_plan_id'), table_name='care_plan_override')
    op.drop_table('care_plan_override')
    op.drop_index(op.f('ix_care_plan_outcome_plan_id'), table_name='care_plan_outcome')
    op.drop_table('care_plan_outcome')
    op.drop_index(op.f('ix_care_plan_option_plan_id'), table_name='care_plan_option')
    op.drop_table('care_plan_option')
    op.drop_index(op.f('ix_care_plan_need_plan_id'), table_name='care_plan_need')
    op.drop_table('care_plan_need')
    op.drop_index(op.f('ix_care_plan_line_item_plan_id'), table_name='care_plan_line_item')
    op.drop_table('care_plan_line_item')
    op.drop_index(op.f('ix_care_plan_document_plan_id'), table_name='care_plan_document')
    op.drop_index(op.f('ix_care_plan_document_case_reference'), table_name='care_plan_document')
    op.drop_table('care_plan_document')
    op.drop_table('worker_delegation')
    op.drop_table('care_plan_recipient')
    op.drop_index(op.f('ix_care_plan_instance_id'), table_name='care_plan')
    op.drop_index(op.f('ix_care_plan_case_reference'), table_name='care_plan')
    op.drop_table('care_plan')
