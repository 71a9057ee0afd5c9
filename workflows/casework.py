"""The caseworker's own records on a case: notes (and task comments), documents, the allocated
worker, and the inbox filters a worker saves.

These are rows beside the workflow (DESIGN.md decision 1): nothing here reads or changes a
workflow's state. Each public function is one use case and one transaction.
"""
from __future__ import annotations

import hashlib
import re
import weakref
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Database
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .identity import MANAGER_ROLES, Principal
from .models import AuditEvent, Base, Instance, TaskRow, User, utcnow

NOTE_CATEGORIES = {
    "contact": "Contact with the person",
    "family": "Contact with family or carer",
    "professional": "Contact with another professional",
    "provider": "Contact with the provider",
    "visit": "Visit",
    "safeguarding": "Safeguarding",
    "decision": "Decision or management oversight",
    "other": "Other",
}
TASK_COMMENT = "task_comment"
MAX_NOTE_CHARS = 10_000
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_SAVED_FILTERS = 20
LONDON = ZoneInfo("Europe/London")  # a date of contact is a UK calendar date


class CaseNote(Base):
    """A note typed by a worker (or a comment on one of the case's tasks)."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_reference: Mapped[str] = mapped_column(String(120), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(40))
    contact_date: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseDocument(Base):
    """A file added to a case. The bytes live here with their SHA-256; the type is what we found in
    the bytes, never what the browser said."""

    __tablename__ = "case_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_reference: Mapped[str] = mapped_column(String(120), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseAllocation(Base):
    """The worker who holds a person's case: the case's later steps go to them until released."""

    __tablename__ = "case_allocation"

    case_reference: Mapped[str] = mapped_column(String(120), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    allocated_by: Mapped[str | None] = mapped_column(String(80))
    allocated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How they came to hold it: ALLOCATED (held on purpose, or by a manager), CLAIM or REASSIGNMENT;
    # NULL for allocations made before this was recorded (migration 0014_allocation_source).
    source: Mapped[str | None] = mapped_column(String(20))


class SavedFilter(Base):
    """Inbox filters a worker named to use again."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("username", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- notes -----------------------------------------------------------------------------------
def _problem(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": field, "message": message}])


def add_note(db: Database, instance_id: str, user: Principal, *, category: str, text: str,
             contact_date: date | None, task_id: str | None = None) -> CaseNote:
    """Record a note on a case (``task_id``: a comment on that task). Checks are the caller's
    need-to-know; this checks the note itself."""
    text = (text or "").strip()
    errors = []
    if category not in NOTE_CATEGORIES and category != TASK_COMMENT:
        errors.append({"field": "category", "message": "Select what the note is about"})
    if not text:
        errors.append({"field": "text", "message": "Enter the note" if not task_id else "Enter your comment"})
    elif len(text) > MAX_NOTE_CHARS:
        errors.append({"field": "text", "message": f"The note must be {MAX_NOTE_CHARS:,} characters or fewer"})
    if contact_date is not None and contact_date > utcnow().astimezone(LONDON).date():
        errors.append({"field": "contact_date", "message": "The date of contact must be today or in the past"})
    if errors:
        raise ValidationFailed("The note has problems", errors)
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"No case {instance_id}")
        if task_id is not None:
            task = session.get(TaskRow, task_id)
            if task is None or task.instance_id != instance_id:
                raise NotFound(f"No task {task_id}")
        note = CaseNote(instance_id=instance_id, case_reference=instance.case_reference, task_id=task_id,
                        category=category, contact_date=contact_date, text=text, author=user.username)
        session.add(note)
        session.flush()
        return note


def notes_of(session: Session, case_reference: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(CaseNote).where(CaseNote.case_reference == case_reference)
                           .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())).all()
    titles = _task_titles(session, [n.task_id for n in rows if n.task_id])
    return [{"id": n.id, "category": n.category,
             "categoryText": "Comment on a task" if n.category == TASK_COMMENT else NOTE_CATEGORIES.get(
                 n.category, n.category),
             "contactDate": n.contact_date.isoformat() if n.contact_date else None, "text": n.text,
             "author": n.author, "createdAt": n.created_at.isoformat(), "taskId": n.task_id,
             "taskTitle": titles.get(n.task_id or "")} for n in rows]


def comments_on(session: Session, task_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(CaseNote).where(CaseNote.task_id == task_id).order_by(CaseNote.id)).all()
    return [{"id": n.id, "text": n.text, "author": n.author, "createdAt": n.created_at.isoformat()} for n in rows]


def _task_titles(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(TaskRow.id, TaskRow.title).where(TaskRow.id.in_(ids))).all())


# ---- documents -------------------------------------------------------------------------------
# What we accept, recognised from the first bytes (the uploaded name and type are not trusted).
ALLOWED_TYPES = {
    "application/pdf": ("PDF", ".pdf"),
    "image/png": ("PNG image", ".png"),
    "image/jpeg": ("JPEG image", ".jpg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("Word document", ".docx"),
    "text/plain": ("Text file", ".txt"),
}
ALLOWED_TEXT = "PDF, Word (.docx), PNG, JPEG or plain text"


def sniff(content: bytes) -> str | None:
    """The media type the bytes show, or None if they are not a type we keep."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04") and b"word/" in content[:65536]:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or any(ord(c) < 32 and c not in "\r\n\t\f" for c in text[:4096]):
        return None
    return "text/plain"


def safe_filename(name: str, media_type: str) -> str:
    """A download name made from letters, digits, dots, dashes and spaces, ending as its real type."""
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")
    stem = stem.rsplit(".", 1)[0][:80] or "document"
    return stem + ALLOWED_TYPES[media_type][1]


def add_document(db: Database, instance_id: str, user: Principal, *, title: str, filename: str,
                 content: bytes) -> CaseDocument:
    title = (title or "").strip()
    errors = []
    if not content:
        errors.append({"field": "file", "message": "Select a file to upload"})
    elif len(content) > MAX_DOCUMENT_BYTES:
        errors.append({"field": "file", "message": "The file must be smaller than 10 MB"})
    media_type = sniff(content) if content and len(content) <= MAX_DOCUMENT_BYTES else None
    if content and len(content) <= MAX_DOCUMENT_BYTES and media_type is None:
        errors.append({"field": "file", "message": f"The file must be a {ALLOWED_TEXT}"})
    if len(title) > 200:
        errors.append({"field": "title", "message": "The description must be 200 characters or fewer"})
    if errors:
        raise ValidationFailed("The document was not added", errors)
    assert media_type is not None
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"No case {instance_id}")
        name = safe_filename(filename, media_type)
        doc = CaseDocument(instance_id=instance_id, case_reference=instance.case_reference,
                           title=title or name, filename=name, media_type=media_type, size=len(content),
                           content_hash=hashlib.sha256(content).hexdigest(), content=content,
                           author=user.username)
        session.add(doc)
        session.flush()
        return doc


def documents_of(session: Session, case_reference: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(CaseDocument).where(CaseDocument.case_reference == case_reference)
                           .order_by(CaseDocument.created_at.desc(), CaseDocument.id.desc())).all()
    return [{"id": d.id, "title": d.title, "filename": d.filename, "kind": ALLOWED_TYPES[d.media_type][0],
             "size": d.size, "contentHash": d.content_hash, "author": d.author,
             "createdAt": d.created_at.isoformat(), "instanceId": d.instance_id} for d in rows]


def document(session: Session, document_id: int) -> CaseDocument:
    row = session.get(CaseDocument, document_id)
    if row is None:
        raise NotFound(f"No document {document_id}")
    return row


# ---- allocation (continuity) -----------------------------------------------------------------
ALLOCATED, CLAIM, REASSIGNMENT = "allocated", "claim", "reassignment"


def allocated_worker(session: Session, case_reference: str) -> str | None:
    row = session.get(CaseAllocation, case_reference)
    return row.username if row else None


def allocated_workers(session: Session, case_references: Any) -> dict[str, str]:
    """Who holds each of these cases (those nobody holds are left out)."""
    refs = list(set(case_references))
    if not refs:
        return {}
    return dict(session.execute(select(CaseAllocation.case_reference, CaseAllocation.username)
                                .where(CaseAllocation.case_reference.in_(refs))).all())


def allocate(db: Database, case_reference: str, username: str, by: Principal) -> CaseAllocation:
    """Give a case to ``username`` (a manager, or a worker holding an unallocated case): it stays
    with them until they or a manager release it; others' claims of its steps take the step only."""
    with db.transaction() as session:
        current = session.get(CaseAllocation, case_reference)
        if by.role not in MANAGER_ROLES and (username != by.username or (current and current.username != username)):
            raise Forbidden("Only a manager can give a case to someone else")
        worker = session.scalars(select(User).where(User.username == username)).first()
        if worker is None or not worker.active:
            raise NotFound(f"No active user '{username}'")
        if session.scalar(select(Instance.id).where(Instance.case_reference == case_reference).limit(1)) is None:
            raise NotFound(f"No case {case_reference}")
        if current is None:
            _insert_if_absent(session, case_reference, username, by.username, ALLOCATED)
            current = session.get(CaseAllocation, case_reference)
            assert current is not None
        current.username, current.allocated_by, current.allocated_at = username, by.username, utcnow()
        current.source = ALLOCATED
        session.flush()
        return current


def _insert_if_absent(session: Session, case_reference: str, username: str, by: str | None, source: str) -> None:
    """A new allocation, unless another transaction made one meanwhile (theirs stands: no error)."""
    values = {"case_reference": case_reference, "username": username, "allocated_by": by, "allocated_at": utcnow(),
              "source": source}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(CaseAllocation).values(**values).on_conflict_do_nothing(
            index_elements=["case_reference"]))
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(CaseAllocation).values(**values).on_conflict_do_nothing(
            index_elements=["case_reference"]))
    else:
        session.add(CaseAllocation(**values))


def release(db: Database, case_reference: str, by: Principal) -> None:
    with db.transaction() as session:
        current = session.get(CaseAllocation, case_reference)
        if current is None:
            raise Conflict("This case is not allocated to anyone")
        if current.username != by.username and by.role not in MANAGER_ROLES:
            raise Forbidden("Only the allocated worker or a manager can release the case")
        session.delete(current)


# The databases whose sessions keep continuity (the app's; not every test database of the runtime).
_FOLLOWING: weakref.WeakSet[Any] = weakref.WeakSet()
TAKES_THE_CASE = ("task_claimed", "task_reassigned")
HOLDS_CASES = frozenset({"caseworker"})  # the roles whose claim makes them a case's allocated worker


def keep_continuity(db: Database) -> None:
    """In ``db``'s transactions: a caseworker claiming a step of an unallocated case is allocated the
    case, reassigning a step allocates it to the new worker, and new steps of an allocated case
    go to the allocated worker when they are in the step's team. All in the transaction that
    claims, reassigns or opens the step (the runtime writes the rows; this fills them in)."""
    _FOLLOWING.add(db.engine)


@event.listens_for(Session, "before_flush")
def _continuity(session: Session, flush_context: Any, instances: Any) -> None:
    if session.bind not in _FOLLOWING:
        return
    events = [e for e in session.new if isinstance(e, AuditEvent) and e.action in TAKES_THE_CASE and e.task_id]
    new = [t for t in session.new if isinstance(t, TaskRow) and t.state == "open" and not t.assignee]
    if not events and not new:
        return
    with session.no_autoflush:
        decided = _follow_claims(session, events)
        if new:
            _offer_to_allocated_worker(session, new, decided)


def _follow_claims(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """Allocations made by this flush's claims and reassignments: case reference -> worker.

    A claim gives the case only to someone whose role holds cases: a quality lead who records a
    person's details, say, does the step without becoming the person's allocated worker. A case such
    a claim once gave (before this rule) passes to the first case-holding worker who claims a step.
    A case someone holds (Hold this case, or a manager's allocation) stays with them: another
    worker's claim takes the step only, as a claim in a case another caseworker holds always did.
    """
    decided: dict[str, str] = {}
    roles: dict[str, str | None] = {}

    def holds_cases(username: str) -> bool:
        if username not in roles:
            roles[username] = session.scalar(select(User.role).where(User.username == username))
        return roles[username] in HOLDS_CASES

    for e in events:
        task = session.get(TaskRow, e.task_id)
        worker = (e.data or {}).get("to") if e.action == "task_reassigned" else e.actor
        if task is None or not worker:
            continue
        ref = task.case_reference
        current = session.get(CaseAllocation, ref)
        if e.action == "task_reassigned":
            if current is None and ref not in decided:
                _insert_if_absent(session, ref, worker, e.actor, REASSIGNMENT)
            elif current is not None:
                current.username, current.allocated_by, current.allocated_at = worker, e.actor, utcnow()
                current.source = REASSIGNMENT
            decided[ref] = worker
        elif ref in decided or not holds_cases(worker):
            continue
        elif current is None:
            _insert_if_absent(session, ref, worker, e.actor, CLAIM)
            decided[ref] = worker
        elif current.source is None and current.allocated_by == current.username \
                and not holds_cases(current.username):  # an old claim's, not a hold: it cannot be told apart
            current.username, current.allocated_by, current.allocated_at = worker, e.actor, utcnow()
            current.source = CLAIM
            decided[ref] = worker
    return decided


def _offer_to_allocated_worker(session: Session, new: list[TaskRow], decided: dict[str, str]) -> None:
    refs = list({t.case_reference for t in new})
    held = dict(session.execute(select(CaseAllocation.case_reference, CaseAllocation.username)
                                .where(CaseAllocation.case_reference.in_(refs))).all())
    held.update({ref: worker for ref, worker in decided.items() if ref in refs})
    if not held:
        return
    members: dict[str, set[str]] = {}
    for username in set(held.values()):
        user = session.scalars(select(User).where(User.username == username)).first()
        members[username] = set(user.group_names) if user is not None and user.active else set()
    for task in new:
        worker = held.get(task.case_reference)
        if worker and (task.candidate_group is None or task.candidate_group in members.get(worker, set())):
            task.assignee = worker


# ---- saved inbox filters ---------------------------------------------------------------------
def save_filter(db: Database, username: str, name: str, query: dict[str, str]) -> SavedFilter:
    name = " ".join((name or "").split())
    if not name:
        raise _problem("filter_name", "Enter a name for the filter")
    if len(name) > 60:
        raise _problem("filter_name", "The name must be 60 characters or fewer")
    with db.transaction() as session:
        mine = session.scalars(select(SavedFilter).where(SavedFilter.username == username)).all()
        existing = next((f for f in mine if f.name.lower() == name.lower()), None)
        if existing is None:
            if len(mine) >= MAX_SAVED_FILTERS:
                raise _problem("filter_name", f"You can save up to {MAX_SAVED_FILTERS} filters; delete one first")
            existing = SavedFilter(username=username, name=name)
            session.add(existing)
        existing.query = dict(query)
        session.flush()
        return existing


def saved_filters(session: Session, username: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(SavedFilter).where(SavedFilter.username == username)
                           .order_by(SavedFilter.name)).all()
    return [{"id": f.id, "name": f.name, "query": f.query} for f in rows]


def delete_filter(db: Database, username: str, filter_id: int) -> None:
    with db.transaction() as session:
        row = session.get(SavedFilter, filter_id)
        if row is None or row.username != username:
            raise NotFound(f"No saved filter {filter_id}")
        session.delete(row)
