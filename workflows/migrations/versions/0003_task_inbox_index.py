"""A covering index for the caseworker inbox (counts and paging without reading the task table).

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_inbox", "task",
                    ["state", "assignee", "candidate_group", "due_at", "created_at", "id", "process_id", "subject"])


def downgrade() -> None:
    op.drop_index("ix_task_inbox", table_name="task")
