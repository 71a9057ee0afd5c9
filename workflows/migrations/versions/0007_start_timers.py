"""Timer start events: one schedule row per timer start event of a deployed process; and BPMN data
stores: one key-value table, keyed by process and store.

Revision ID: 0007
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "start_timer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("process_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("interval", sa.String(100), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", sa.DateTime(), nullable=True),
        sa.Column("last_instance_id", sa.String(36), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_start_timer_process_id", "start_timer", ["process_id"])
    op.create_index("ix_start_timer_state_due", "start_timer", ["state", "due_at"])
    op.create_table(
        "data_store_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("store_id", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_instance", sa.String(36), nullable=True),
        sa.UniqueConstraint("process_id", "store_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("data_store_entry")
    op.drop_index("ix_start_timer_state_due", table_name="start_timer")
    op.drop_index("ix_start_timer_process_id", table_name="start_timer")
    op.drop_table("start_timer")
