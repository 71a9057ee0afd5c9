"""Provider failure's own table: a large list of affected people, accepted and opened in the background."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.models import Base, utcnow


class PeopleUpload(Base):
    """A checked list of people for one incident whose person cases open batch by batch after the upload
    was answered (``uploads.py``). ``position`` is how far down the list the batches have got."""

    __tablename__ = "people_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_instance_id: Mapped[str] = mapped_column(String(36))
    case_reference: Mapped[str] = mapped_column(String(80), index=True)
    people: Mapped[list[Any]] = mapped_column(default=list)  # the people as checked, in the list's order
    rejected: Mapped[list[Any]] = mapped_column(default=list)  # lines refused when part of a list was taken
    total: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    already_open: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    stopped_because: Mapped[str | None] = mapped_column(Text)  # the incident stopped taking people meanwhile
