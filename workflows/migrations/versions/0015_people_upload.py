"""A large list of affected people is checked and accepted at once, then its person cases open in the
background, batch by batch: ``people_upload`` holds the list and how far the batches have got.

Revision ID: 0015_people_upload
Revises: 0014_allocation_source
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_people_upload"
down_revision = "0014_allocation_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people_upload",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_instance_id", sa.String(36), nullable=False),
        sa.Column("case_reference", sa.String(80), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("already_open", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("stopped_because", sa.Text(), nullable=True),
    )
    op.create_index("ix_people_upload_case_reference", "people_upload", ["case_reference"])


def downgrade() -> None:
    op.drop_index("ix_people_upload_case_reference", table_name="people_upload")
    op.drop_table("people_upload")
