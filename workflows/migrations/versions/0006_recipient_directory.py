"""The recipient directory: role or organisation -> address, kept by admins.

Revision ID: 0006
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipient_directory",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("recipient_directory")
