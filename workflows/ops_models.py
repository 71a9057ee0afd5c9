"""Tables the operators' side adds beside the runtime's models (same metadata, same migrations).

A scheduler writes a heartbeat row each poll, so ``/readyz`` can tell whether timers and messages
are being looked after, across processes and hosts.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class SchedulerHeartbeat(Base):
    """One row per scheduler (worker or web process with a scheduler): when it last polled."""

    __tablename__ = "scheduler_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
