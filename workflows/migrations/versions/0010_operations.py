"""Operations: the scheduler heartbeat row that /readyz reads.

Suspension needs no column: it is the instance status "suspended".

Revision ID: 0010
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_heartbeat",
        sa.Column("worker_id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_index("ix_scheduler_heartbeat_seen_at", "scheduler_heartbeat", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_heartbeat_seen_at", table_name="scheduler_heartbeat")
    op.drop_table("scheduler_heartbeat")
