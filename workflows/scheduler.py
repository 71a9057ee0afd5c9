"""The clock: APScheduler polls the durable timer and outbox rows (DESIGN.md decision 3).

APScheduler is the clock, not the store: its jobs live in memory and only say "look now". What is
due lives in the ``timer`` and ``outbox_message`` tables, so any number of workers can poll one
database, a worker can die at any moment, and timers that fell due while nothing ran fire once
when the first worker starts (each job runs at once on start, then every ``poll_seconds``).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import DBAPIError

from . import follow_ups, health
from .errors import Conflict
from .outbox import OutboxDispatcher
from .runtime import Runtime
from .start_timers import any_due as any_start_due
from .start_timers import fire_due as fire_start_timers
from .timers import escalate_overdue_tasks, fire_batch, mark_failed, next_due

log = logging.getLogger("careflow.scheduler")


@dataclass
class SchedulerStats:
    timers_fired: int = 0
    timers_failed: int = 0
    messages_handled: int = 0
    escalations: int = 0
    stalled_flagged: int = 0
    follow_ups_done: int = 0
    errors: int = 0
    last_error: str | None = None
    started_at: float = field(default_factory=time.time)


class CareflowScheduler:
    def __init__(self, runtime: Runtime, dispatcher: OutboxDispatcher | None, *, poll_seconds: float = 1.0,
                 timers: bool = True, escalations: bool = True, escalation_channel: str = "email",
                 manager_group: str = "team_managers", stall_check_seconds: float = 300.0,
                 timer_threads: int | None = None) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.batch_size = 25  # timers fired per transaction when many fall due together
        self.held_retry_seconds = 0.02  # how soon to look again when another worker holds every due timer
        # Threads firing timers side by side. On PostgreSQL a timer costs a few round trips, and a
        # worker waiting on the database is a worker not firing: a second thread overlaps those waits
        # (SKIP LOCKED keeps them apart). SQLite has one writer, so one thread.
        default_threads = 2 if runtime.db.dialect == "postgresql" else 1
        self.timer_threads = max(1, int(timer_threads or default_threads))
        self._stats_lock = threading.Lock()
        self.poll_seconds = max(0.05, float(poll_seconds))
        self.timers_enabled = timers
        self.escalations_enabled = escalations
        self.escalation_channel = escalation_channel
        self.manager_group = manager_group
        self.stall_check_seconds = max(1.0, float(stall_check_seconds))
        self.stats = SchedulerStats()
        self.worker_id = health.worker_id()  # its heartbeat row, read by /readyz
        self.heartbeat_seconds = min(15.0, max(self.poll_seconds, 1.0))
        self._stop = threading.Event()
        self._scheduler: BackgroundScheduler | None = None

    # ---- one round of each job (also called directly by tests and `careflow fire-timers`) -------
    def run_timers(self) -> int:
        """Fire due timers until none is left (or we are stopping); returns how many fired.

        A timer falling due before the next poll is waited for here rather than left to that poll,
        so lag stays well under the poll interval when deadlines come thick and fast.
        """
        fired = self.run_start_timers()
        full = False  # the last batch was full: more are surely due, no need to look first
        held_since: float | None = None
        upcoming: datetime | None = None  # when the next timer falls due, as the last claim saw it
        while not self._stop.is_set():
            # A lock-free look first (one query says whether any is due and, if not, when the next is):
            # an idle poll takes no write lock. A batch's claim answers it too, saving the look.
            if not full:
                upcoming = upcoming or next_due(self.runtime)
                if upcoming is None:
                    break
                wait = (upcoming - datetime.now(timezone.utc)).total_seconds()
                if wait > 0:
                    held_since = None
                    if wait >= self.poll_seconds:
                        break  # the next poll takes it
                    self._stop.wait(wait)
                    continue
            try:
                ids, failures, upcoming = fire_batch(self.runtime, self.batch_size)
            except (DBAPIError, Conflict) as exc:
                # Busy, deadlocked or changed meanwhile: the rows are still waiting; the next poll takes them.
                self._note(exc)
                break
            for failure in failures:
                log.error("timer %s failed and becomes an incident: %s", failure.timer_id, failure.error)
                with self._stats_lock:
                    self.stats.timers_failed += 1
                self._guard(mark_failed, self.runtime, failure.timer_id, failure.error)
            claimed = len(ids) + len(failures)
            full = claimed >= self.batch_size
            if not claimed:
                # Every due row is held by another worker (or its instance by a request). Rather than
                # sleep until the next poll while timers keep falling due, look again shortly: the other
                # worker is busy with its batch, and the next ones to fall due are ours to take.
                held_since = held_since or time.monotonic()
                if time.monotonic() - held_since >= self.poll_seconds:
                    break
                self._stop.wait(min(self.held_retry_seconds, self.poll_seconds))
                continue
            held_since = None
            fired += len(ids)
            with self._stats_lock:
                self.stats.timers_fired += len(ids)
        return fired

    def run_start_timers(self) -> int:
        """Start an instance for each due timer start event (``workflows/start_timers.py``)."""
        started = 0
        while not self._stop.is_set() and any_start_due(self.runtime):
            try:
                ids = fire_start_timers(self.runtime, limit=self.batch_size)
            except (DBAPIError, Conflict) as exc:
                self._note(exc)
                break
            if not ids:
                break
            started += len(ids)
            self.stats.timers_fired += len(ids)
        return started

    def run_outbox(self) -> int:
        if self.dispatcher is None:
            return 0
        handled = 0
        # The lock-free look only before the first message: after a delivery, claiming the next one
        # answers the same question (None when nothing is due) without a further round trip per message.
        if not self.dispatcher.any_due():
            return 0
        while not self._stop.is_set():
            try:
                if self.dispatcher.deliver_next() is None:
                    break
            except DBAPIError as exc:
                self._note(exc)
                break
            handled += 1
            self.stats.messages_handled += 1
        return handled

    def run_follow_ups(self) -> int:
        """Go on with long work left in batches (a request killed mid-way, a step's follow-up)."""
        if not self._guard(follow_ups.any_due, self.runtime):
            return 0
        ran = self._guard(self.runtime.run_due_follow_ups, stop=self._stop.is_set) or []
        done = sum(p.done for p in ran)
        for failed in (p for p in ran if p.error):
            log.warning("follow-up %s %s stopped: %s", failed.kind, failed.subject, failed.error)
        self.stats.follow_ups_done += done
        return done

    def run_escalations(self) -> int:
        done = self._guard(escalate_overdue_tasks, self.runtime, channel=self.escalation_channel,
                           default_manager_group=self.manager_group) or 0
        self.stats.escalations += done
        return done

    def run_stall_check(self) -> int:
        """Turn every case that nothing can move on into an incident (DESIGN.md decision 8)."""
        flagged = self._guard(self.runtime.flag_stalled_cases) or []
        if flagged:
            log.warning("%d stalled case(s) now have an incident: %s", len(flagged), ", ".join(flagged[:10]))
        self.stats.stalled_flagged += len(flagged)
        return len(flagged)

    def run_heartbeat(self) -> None:
        """Say this scheduler is alive (``/readyz`` wants a recent heartbeat)."""
        self._guard(health.beat, self.runtime.db, self.worker_id)

    def run_once(self) -> dict[str, int]:
        self.run_heartbeat()
        return {"fired": self.run_timers() if self.timers_enabled else 0,
                "escalated": self.run_escalations() if self.escalations_enabled else 0,
                "messages": self.run_outbox(),
                "followUps": self.run_follow_ups(),
                "stalled": self.run_stall_check()}

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (DBAPIError, Conflict) as exc:
            self._note(exc)
            return None

    def _note(self, exc: BaseException) -> None:
        with self._stats_lock:
            self.stats.errors += 1
        self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
        log.info("scheduler will try again on the next poll: %s", self.stats.last_error.splitlines()[0])

    def _safely(self, job: Any) -> None:
        try:
            job()
        except Exception:  # noqa: BLE001  a job must never kill the clock
            self.stats.errors += 1
            log.exception("scheduler job %s failed", getattr(job, "__name__", job))

    # ---- the clock --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background jobs; each runs at once (catching up what fell due meanwhile)."""
        if self._scheduler is not None:
            return
        self._stop.clear()
        scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = datetime.now(timezone.utc)
        scheduler.add_job(self._safely, "interval", args=[self.run_heartbeat], seconds=self.heartbeat_seconds,
                          next_run_time=now, id="careflow-heartbeat", name="scheduler heartbeat")
        if self.timers_enabled:
            for n in range(self.timer_threads):
                scheduler.add_job(self._safely, "interval", args=[self.run_timers], seconds=self.poll_seconds,
                                  next_run_time=now, id="careflow-timers" + (f"-{n + 1}" if n else ""),
                                  name="fire due timers")
        if self.escalations_enabled:
            scheduler.add_job(self._safely, "interval", args=[self.run_escalations],
                              seconds=max(self.poll_seconds, 30.0), next_run_time=now, id="careflow-escalations",
                              name="escalate overdue tasks")
        scheduler.add_job(self._safely, "interval", args=[self.run_stall_check], seconds=self.stall_check_seconds,
                          next_run_time=now, id="careflow-stall-check", name="flag stalled cases")
        scheduler.add_job(self._safely, "interval", args=[self.run_follow_ups], seconds=self.poll_seconds,
                          next_run_time=now, id="careflow-follow-ups", name="go on with long work in batches")
        if self.dispatcher is not None:
            scheduler.add_job(self._safely, "interval", args=[self.run_outbox], seconds=self.poll_seconds,
                              next_run_time=now, id="careflow-outbox", name="deliver outbox messages")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started: polling every %.2fs", self.poll_seconds)

    def shutdown(self, wait: bool = True) -> None:
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None
