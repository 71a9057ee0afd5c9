"""The recipient directory: where a message to a role or an organisation goes.

Diagrams and decision tables name who is told by role ("safeguarding_enquiry_service",
"S117_HEALTH_TEAM") or by organisation ("Blackpool Council"), never by address: addresses change
and belong to the council, so an admin keeps them here. A message to a name with no address is an
incident on the step that sends it, at once, so nothing is silently undeliverable; once an admin
adds the address, retrying the incident sends it. The outbox looks the address up again when it
delivers, so a corrected address is used.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .errors import NotFound, ValidationFailed
from .models import Base, utcnow

MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ]{7,20}$")


class Recipient(Base):
    __tablename__ = "recipient_directory"

    name: Mapped[str] = mapped_column(String(MAX_NAME), primary_key=True)  # a role or an organisation
    address: Mapped[str] = mapped_column(String(300))  # e-mail, https URL (webhook) or phone number
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))


def is_address(recipient: str) -> bool:
    """Whether ``recipient`` is already an address (not a name to look up)."""
    text = recipient.strip()
    return (bool(_EMAIL.match(text)) or text.startswith(("https://", "http://", "group:"))
            or bool(_PHONE.match(text)))


def address_for(session: Session, recipient: str | None) -> str | None:
    """The address to send to: ``recipient`` itself when it is one, else the directory's entry."""
    if not recipient or not recipient.strip():
        return None
    if is_address(recipient):
        return recipient.strip()
    row = session.get(Recipient, recipient.strip())
    return row.address if row is not None else None


def entry_dict(row: Recipient) -> dict[str, Any]:
    return {"name": row.name, "address": row.address, "note": row.note,
            "updatedAt": row.updated_at.isoformat() if row.updated_at else None, "updatedBy": row.updated_by}


def list_entries(session: Session) -> list[dict[str, Any]]:
    return [entry_dict(r) for r in session.scalars(select(Recipient).order_by(Recipient.name))]


def set_entry(session: Session, name: Any, address: Any, note: Any = None, *, actor: str | None) -> Recipient:
    """Add or change one entry; a clear 422 for a bad name or address."""
    problems = []
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME or is_address(name):
        problems.append({"field": "name", "message": f"Enter a role or organisation name of at most {MAX_NAME} "
                                                      "characters (not an address)"})
    if not isinstance(address, str) or len(address.strip()) > 300 or not is_address(address) \
            or address.strip().startswith("group:"):
        problems.append({"field": "address", "message": "Enter an e-mail address, an https:// address or a "
                                                        "phone number"})
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        problems.append({"field": "note", "message": "The note must be text of at most 2000 characters"})
    if problems:
        raise ValidationFailed("There is a problem with the directory entry", problems)
    assert isinstance(name, str) and isinstance(address, str)
    row = session.get(Recipient, name.strip())
    if row is None:
        row = Recipient(name=name.strip())
        session.add(row)
    row.address, row.note, row.updated_at, row.updated_by = address.strip(), note, utcnow(), actor
    return row


def remove_entry(session: Session, name: str) -> None:
    row = session.get(Recipient, name)
    if row is None:
        raise NotFound(f"No directory entry '{name}'")
    session.delete(row)


def seed(session: Session, entries: dict[str, str], *, actor: str | None) -> int:
    """Add the entries not yet in the directory (an admin's changes are kept); returns how many."""
    added = 0
    for name, address in entries.items():
        if session.get(Recipient, name) is None:
            set_entry(session, name, address, "demo address (invented)", actor=actor)
            added += 1
    return added
