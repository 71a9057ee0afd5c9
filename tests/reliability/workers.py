"""Real `careflow worker` processes for the reliability tests, and ways to wait on the database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from workflows.models import AuditEvent, OutboxMessage, TimerRow

ROOT = Path(__file__).resolve().parent.parent.parent


class Worker:
    def __init__(self, database_url: str, log: Path, *, smtp_port: int | None = None, poll: float = 0.2,
                 **env: str) -> None:
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
                    "DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port or 1),
                    "SMTP_FROM": "careflow@example.org", "OUTBOX_BACKOFF_SECONDS": "0.2",
                    "OUTBOX_MAX_BACKOFF_SECONDS": "1", "OUTBOX_MAX_ATTEMPTS": "1000", "OUTBOX_LEASE_SECONDS": "3",
                    **env}
        self.poll = poll
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        out = open(self.log, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--poll", str(self.poll)],
                                        cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def count(db: Any, model: Any, *where: Any) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def fired(db: Any) -> int:
    return count(db, TimerRow, TimerRow.state == "fired")


def sent(db: Any) -> int:
    return count(db, OutboxMessage, OutboxMessage.state == "sent")


def fire_counts(db: Any) -> Counter:
    with db.reading() as s:
        return Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "timer_fired")))
