"""The modeller: version notes, its audit log and case migrations.

Revision ID: 0008
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("process_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(), nullable=True),
        sa.Column("deployed_by", sa.String(80), nullable=True),
        sa.UniqueConstraint("kind", "key", "version"),
    )
    op.create_index("ix_model_version_content_hash", "model_version", ["content_hash"])
    op.create_index("ix_model_version_process_version_id", "model_version", ["process_version_id"])
    op.create_table(
        "model_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_model_audit_at", "model_audit", ["at"])
    op.create_table(
        "case_migration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.String(36), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("from_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=False),
        sa.Column("to_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=False),
        sa.Column("state_before", sa.Text(), nullable=False),
        sa.Column("row_version_after", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.Column("reverted_by", sa.String(80), nullable=True),
    )
    op.create_index("ix_case_migration_instance_id", "case_migration", ["instance_id"])


def downgrade() -> None:
    op.drop_table("case_migration")
    op.drop_table("model_audit")
    op.drop_table("model_version")
