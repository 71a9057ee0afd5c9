"""The case's urgency on each task, so the inbox orders by it in the query across pages.

Revision ID: 0011
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None

# As workflows/models.py ranked a case's summary ``urgency`` when this was written (kept here, frozen).
URGENCY_ORDER = ("CRITICAL", "URGENT", "FIRST", "ROUTINE", "NONE")
NO_URGENCY = len(URGENCY_ORDER)
INBOX_BEFORE = ["state", "assignee", "candidate_group", "due_at", "created_at", "id", "process_id", "subject"]
INBOX_AFTER = ["state", "assignee", "candidate_group", "urgency_rank", "due_at", "created_at", "id", "process_id",
               "subject"]


def _rank(summary: object) -> int:
    code = str(summary.get("urgency") or "").upper() if isinstance(summary, dict) else ""
    return URGENCY_ORDER.index(code) if code in URGENCY_ORDER else NO_URGENCY


def upgrade() -> None:
    op.add_column("task", sa.Column("urgency_rank", sa.SmallInteger(), nullable=False,
                                    server_default=str(NO_URGENCY)))
    # Backfill from each case's summary: only cases with a known urgency change from the default.
    instance = sa.table("process_instance", sa.column("id", sa.String), sa.column("summary", sa.JSON))
    task = sa.table("task", sa.column("instance_id", sa.String), sa.column("urgency_rank", sa.SmallInteger))
    bind = op.get_bind()
    by_rank: dict[int, list[str]] = {}
    for instance_id, summary in bind.execute(sa.select(instance.c.id, instance.c.summary)):
        rank = _rank(summary)
        if rank != NO_URGENCY:
            by_rank.setdefault(rank, []).append(instance_id)
    for rank, ids in by_rank.items():
        for start in range(0, len(ids), 500):
            bind.execute(sa.update(task).where(task.c.instance_id.in_(ids[start:start + 500]))
                         .values(urgency_rank=rank))
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_task_inbox", "task", INBOX_AFTER)


def downgrade() -> None:
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_task_inbox", "task", INBOX_BEFORE)
    op.drop_column("task", "urgency_rank")
