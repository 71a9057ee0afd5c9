"""Case allocation: how the worker came to hold the case (held on purpose or by a manager, a claim,
a reassignment), so a case someone holds on purpose is not taken over by another worker's claim.

Rows made before this stay NULL: they cannot be told apart, and keep the old rule.

Revision ID: 0014_allocation_source
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_allocation_source"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_allocation", sa.Column("source", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_allocation") as batch:
        batch.drop_column("source")
