"""SQLAlchemy models: the serialized workflow per instance and the projections queried beside it.

DESIGN.md decision 1: an instance's SpiffWorkflow state is one JSON document guarded by a
``version`` column; everything that is queried (tasks, timers, audit, decisions, outbox,
message subscriptions, incidents) is a row of its own, written in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, always hands back aware UTC (SQLite forgets time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


user_group = Table(
    "user_group",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("user_group_def.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    groups: Mapped[list[Group]] = relationship(secondary=user_group, back_populates="members", lazy="selectin")

    @property
    def group_names(self) -> list[str]:
        return sorted(g.name for g in self.groups)


class Group(Base):
    __tablename__ = "user_group_def"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    manager_group: Mapped[str | None] = mapped_column(String(80))
    members: Mapped[list[User]] = relationship(secondary=user_group, back_populates="groups")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


class DefinitionFile(Base):
    """One immutable file content a version pins, addressed by its hash: a diagram, a decision table,
    a form (schema or layout) or a configuration (a process's configData section, the council's)."""

    __tablename__ = "definition_file"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form | config
    filename: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessVersion(Base):
    """An immutable version of a process: its BPMN plus the DMN files it calls, by hash."""

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_hash: Mapped[str] = mapped_column(ForeignKey("definition_file.content_hash"))
    bpmn_hashes: Mapped[list[Any]] = mapped_column(default=list)  # main file first, then called ones
    dmn_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # decision id -> file hash
    message_starts: Mapped[list[Any]] = mapped_column(default=list)  # message names that start it
    # element id -> careflow properties (formKey, candidateGroup, dueIn, correlationKeys...)
    element_properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # True on exactly one version per process: the current one, which new cases start on.
    deployed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))
    form_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # form file name -> file hash
    config_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # configuration name -> file hash
    origin: Mapped[str | None] = mapped_column(String(10))  # disk | api | modeller: where its content came from
    based_on: Mapped[int | None] = mapped_column(Integer)  # the version that was current when it was made


class DeploymentEvent(Base):
    """The process library's audit log: a version made current (deployed or rolled back to), or disk
    content refused because a process owner deployed a newer version through the API."""

    __tablename__ = "deployment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # deployed | rolled_back | disk_refused
    actor: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DiskState(Base):
    """Which version each process's files on disk held when they were last loaded at start."""

    __tablename__ = "process_disk_state"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Instance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_instance_process_status", "process_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    case_reference: Mapped[str] = mapped_column(String(120), index=True)
    parent_case_reference: Mapped[str | None] = mapped_column(String(120), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # running | waiting | completed | incident | terminated
    state: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when the workflow is not cached
    version: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # How many timer and subscription rows the instance has: lets a step skip their queries.
    waiting_timer_count: Mapped[int] = mapped_column(Integer, default=0)
    subscription_count: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}


# A case's urgency (the ``urgency`` field of its summary), most urgent first; a case without one, or
# with a value not listed, ranks after them all.
URGENCY_ORDER = ("CRITICAL", "URGENT", "FIRST", "ROUTINE", "NONE")
NO_URGENCY = len(URGENCY_ORDER)


def urgency_rank(summary: Any) -> int:
    """Where a case with ``summary`` sorts in the inbox: 0 for CRITICAL up to ``NO_URGENCY``."""
    code = str(summary.get("urgency") or "").upper() if isinstance(summary, dict) else ""
    return URGENCY_ORDER.index(code) if code in URGENCY_ORDER else NO_URGENCY


class TaskRow(Base):
    """A user task as the inbox sees it."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_state_group", "state", "candidate_group"),
        Index("ix_task_state_assignee", "state", "assignee"),
        Index("ix_task_state_due", "state", "due_at"),
        # Covers the inbox: counts, filters and the page's ids come from this index without the table;
        # a group's unassigned tasks are one range of it, already in the inbox's order.
        Index("ix_task_inbox", "state", "assignee", "candidate_group", "urgency_rank", "due_at", "created_at", "id",
              "process_id", "subject"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    case_reference: Mapped[str] = mapped_column(String(120), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_group: Mapped[str | None] = mapped_column(String(80))
    assignee: Mapped[str | None] = mapped_column(String(80))
    # Offered to its group (made without an assignee, or released to it): the group's members may see it
    # and its case. A task the diagram gives a person (``assignee``, e.g. the case's allocated worker) is
    # theirs; its lane's group is only where it goes if that gives nobody, and learns nothing of the case.
    offered_to_group: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    form_key: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    # The case's urgency as a rank (``urgency_rank``), kept in step with the case's summary: the
    # inbox orders by it in the query, across pages.
    urgency_rank: Mapped[int] = mapped_column(SmallInteger, default=NO_URGENCY, server_default=str(NO_URGENCY))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(80))


class TimerRow(Base):
    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_state_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the waiting task's id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # duration | date | cycle
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))  # waiting | fired | cancelled
    fired_at: Mapped[datetime | None]
    lag_seconds: Mapped[float | None]


class MessageSubscription(Base):
    """An instance waiting for a message, with the correlation key it waits under."""

    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_subscription_lookup", "message_name", "correlation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(500), default="")


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # no data: NULL, not JSON null


class DecisionLog(Base):
    __tablename__ = "decision_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    decision_id: Mapped[str] = mapped_column(String(200))
    decision_name: Mapped[str | None] = mapped_column(String(300))
    hit_policy: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    matched_rules: Mapped[list[Any]] = mapped_column(default=list)
    outputs: Mapped[Any] = mapped_column(JSON, nullable=True)
    # Which table decided and by which rules, so cases decided under different rules can be told apart.
    table_hash: Mapped[str | None] = mapped_column(String(64))  # the DMN file's content hash
    table_file: Mapped[str | None] = mapped_column(String(300))
    process_version_id: Mapped[int | None] = mapped_column(Integer)  # the case's process version
    rule_ids: Mapped[list[Any] | None] = mapped_column(JSON)  # matched rules' ids (or "#index")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(40))  # email | notify | webhook | commissioning | record
    recipient: Mapped[str | None] = mapped_column(String(300))
    template: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | incident
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    error_type: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    line_number: Mapped[int | None] = mapped_column(Integer)
    error_line: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))


# ---- timers and escalations (the clock) --------------------------------------------------------
class TaskEscalation(Base):
    """A task escalated for being past its due date: one row per task, so it happens once."""

    __tablename__ = "task_escalation"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    manager_group: Mapped[str] = mapped_column(String(80))
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StartTimer(Base):
    """A timer start event's schedule (``timeDate``, ``timeDuration``, ``timeCycle``), tied to a process,
    not an instance: each firing starts a new instance, once (``workflows/start_timers.py``)."""

    __tablename__ = "start_timer"
    __table_args__ = (Index("ix_start_timer_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # date | duration | cycle
    expression: Mapped[str] = mapped_column(Text)  # as drawn: a new version keeps the schedule if unchanged
    due_at: Mapped[datetime]
    interval: Mapped[str | None] = mapped_column(String(100))  # a cycle's ISO duration between firings
    remaining: Mapped[int] = mapped_column(Integer, default=1)  # firings left; -1: for ever
    fired_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None]
    last_instance_id: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting | done | cancelled | failed
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataStoreEntry(Base):
    """One key of a BPMN data store: a key-value store per process and store (``workflows/data_stores.py``)."""

    __tablename__ = "data_store_entry"
    __table_args__ = (UniqueConstraint("process_id", "store_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    store_id: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_instance: Mapped[str | None] = mapped_column(String(36))


class FollowUp(Base):
    """Long work a transaction left to go on after it committed, in batches that each commit
    (``workflows/follow_ups.py``): one row per kind of work and subject, until the work is done."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))  # which registered procedure's work (found by name)
    subject: Mapped[str] = mapped_column(String(200))  # what it works on, e.g. a case reference
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)  # asked for again: moved on
    claimed_until: Mapped[datetime | None] = mapped_column(index=True)  # a run's lease; past it, free
    batches: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # batches that failed in a row
    last_error: Mapped[str | None] = mapped_column(Text)
