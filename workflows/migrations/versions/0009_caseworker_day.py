"""The caseworker's day: case notes and task comments, case documents, the allocated worker,
saved inbox filters, and an expiry on API tokens.

Revision ID: 0009
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.String(36), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("case_reference", sa.String(120), nullable=False),
        sa.Column("task_id", sa.String(36)),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("contact_date", sa.Date),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_note_instance_id", "case_note", ["instance_id"])
    op.create_index("ix_case_note_case_reference", "case_note", ["case_reference"])
    op.create_index("ix_case_note_task_id", "case_note", ["task_id"])
    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.String(36), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("case_reference", sa.String(120), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_document_instance_id", "case_document", ["instance_id"])
    op.create_index("ix_case_document_case_reference", "case_document", ["case_reference"])
    op.create_table(
        "case_allocation",
        sa.Column("case_reference", sa.String(120), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("allocated_by", sa.String(80)),
        sa.Column("allocated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_allocation_username", "case_allocation", ["username"])
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("query", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", "name"),
    )
    op.create_index("ix_saved_filter_username", "saved_filter", ["username"])
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime()))


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
    for table in ("saved_filter", "case_allocation", "case_document", "case_note"):
        op.drop_table(table)
