"""One recipient directory: care planning's own table (care_plan_recipient) moves into the runtime's.

Each care-planning row (role key, display name, e-mail) becomes a directory entry (name = the role,
address = the e-mail, note = the display name and where it came from). Where the runtime's directory
already has the name, its entry is kept: other procedures' messages already go there. Rows without an
e-mail sent nothing and are dropped.

Revision ID: 0012
Revises: 0011 (main's task urgency, itself on 0005)
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import workflows.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MOVED = " (moved from the care-planning directory)"  # how a downgrade finds the rows it gives back

old = sa.table("care_plan_recipient", sa.column("key", sa.String), sa.column("name", sa.String),
               sa.column("email", sa.String), sa.column("updated_by", sa.String),
               sa.column("updated_at", sa.DateTime))
directory = sa.table("recipient_directory", sa.column("name", sa.String), sa.column("address", sa.String),
                     sa.column("note", sa.Text), sa.column("updated_at", sa.DateTime),
                     sa.column("updated_by", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    kept = set(bind.execute(sa.select(directory.c.name)).scalars())
    rows = bind.execute(sa.select(old.c.key, old.c.name, old.c.email, old.c.updated_by, old.c.updated_at)
                        .where(old.c.email.is_not(None))).all()
    moved = [{"name": r.key, "address": r.email.strip(), "note": f"{r.name}{MOVED}",
              "updated_at": r.updated_at or datetime.now(timezone.utc).replace(tzinfo=None),
              "updated_by": r.updated_by} for r in rows if r.key not in kept and r.email.strip()]
    if moved:
        op.bulk_insert(directory, moved)
    op.drop_table("care_plan_recipient")


def downgrade() -> None:
    op.create_table(
        "care_plan_recipient",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", workflows.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    bind = op.get_bind()
    back = bind.execute(sa.select(directory).where(directory.c.note.like(f"%{MOVED}"))).all()
    if back:
        op.bulk_insert(old, [{"key": r.name, "name": r.note[: -len(MOVED)], "email": r.address,
                              "updated_by": r.updated_by, "updated_at": r.updated_at} for r in back])
        bind.execute(sa.delete(directory).where(directory.c.note.like(f"%{MOVED}")))
