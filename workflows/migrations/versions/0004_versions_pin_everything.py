"""A version pins its forms and configuration; deployment log; disk state; decision-log table version

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_deployment_event_process_id"), "deployment_event", ["process_id"], unique=False)
    op.create_table(
        "process_disk_state",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"]),
        sa.PrimaryKeyConstraint("process_id"),
    )
    op.add_column("decision_log", sa.Column("table_hash", sa.String(length=64), nullable=True))
    op.add_column("decision_log", sa.Column("table_file", sa.String(length=300), nullable=True))
    op.add_column("decision_log", sa.Column("process_version_id", sa.Integer(), nullable=True))
    op.add_column("decision_log", sa.Column("rule_ids", sa.JSON(), nullable=True))
    # Versions stored before this migration pinned no forms or configuration: empty, not missing.
    op.add_column("process_version", sa.Column("form_hashes", sa.JSON(), nullable=False,
                                               server_default=sa.text("'{}'")))
    op.add_column("process_version", sa.Column("config_hashes", sa.JSON(), nullable=False,
                                               server_default=sa.text("'{}'")))
    op.add_column("process_version", sa.Column("origin", sa.String(length=10), nullable=True))
    op.add_column("process_version", sa.Column("based_on", sa.Integer(), nullable=True))
    # Where each stored version came from, as far as is known: loading from disk records its actor as
    # system, cli or demo; a deployment through the API records the process owner's user name. So a
    # version a process owner deployed before this migration is never replaced from disk silently.
    op.execute("UPDATE process_version SET origin = CASE WHEN created_by IS NULL OR created_by IN "
               "('system', 'cli', 'demo') THEN 'disk' ELSE 'api' END")
    # Until now every stored version stayed "deployed"; from now on only the current one is.
    op.execute(
        "UPDATE process_version SET deployed = false WHERE deployed = true AND version < "
        "(SELECT max(v.version) FROM process_version v WHERE v.process_id = process_version.process_id "
        "AND v.deployed = true)")


def downgrade() -> None:
    op.drop_column("process_version", "based_on")
    op.drop_column("process_version", "origin")
    op.drop_column("process_version", "config_hashes")
    op.drop_column("process_version", "form_hashes")
    op.drop_column("decision_log", "rule_ids")
    op.drop_column("decision_log", "process_version_id")
    op.drop_column("decision_log", "table_file")
    op.drop_column("decision_log", "table_hash")
    op.drop_table("process_disk_state")
    op.drop_index(op.f("ix_deployment_event_process_id"), table_name="deployment_event")
    op.drop_table("deployment_event")
