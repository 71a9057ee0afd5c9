"""The modeller's own rows: version notes (who, when, why), its audit log, and case migrations.

A process version itself stays a :class:`~workflows.models.ProcessVersion`; a decision file a
:class:`~workflows.models.DefinitionFile`. These rows add what the modeller needs beside them: the
comment a process owner saved with, form and scenario-test versions (which have no table of their
own), who deployed what, and each migration of a running case with the state it had before.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class ModelVersion(Base):
    """One saved version of a process, decision file, form or scenario-test file."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("kind", "key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # process | decision | form | tests
    key: Mapped[str] = mapped_column(String(300))  # process id, dmn file name, form key
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[str] = mapped_column(Text)
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_at: Mapped[datetime | None]
    deployed_by: Mapped[str | None] = mapped_column(String(80))


class ModelAudit(Base):
    """Every save, deploy, migration and revert: who, what, and the reason they gave."""

    __tablename__ = "model_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))  # saved | deployed | migrated | migration_reverted
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CaseMigration(Base):
    """A running case moved to another process version, with the state to put back on revert."""

    __tablename__ = "case_migration"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state_before: Mapped[str] = mapped_column(Text)
    row_version_after: Mapped[int] = mapped_column(Integer)  # the case must not have moved since to revert
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    reverted_at: Mapped[datetime | None]
    reverted_by: Mapped[str | None] = mapped_column(String(80))
