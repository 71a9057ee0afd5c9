"""Tasks: whether a task is offered to its group (``offered_to_group``). A task the diagram gives one person
(its ``assignee``, e.g. the case's allocated worker) no longer lets everyone in its lane's group see it and its
case (need to know); one made without an assignee, or released, is offered to the group as before.

Existing tasks: a task that has an assignee and was never claimed, released or reassigned was given to that
person when it was made, so it is not offered; every other task keeps being offered.

Revision ID: 0016_task_offered_to_group
Revises: 0015_people_upload
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_task_offered_to_group"
down_revision = "0015_people_upload"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("offered_to_group", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(sa.text(
        "UPDATE task SET offered_to_group = :no WHERE assignee IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM audit_event a WHERE a.task_id = task.id "
        "AND a.action IN ('task_claimed', 'task_released', 'task_reassigned'))").bindparams(no=False))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("offered_to_group")
