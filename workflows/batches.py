"""Long work in batches that each commit (DESIGN.md decision 11: no request holds the write lock for long).

One helper runs a piece of work batch by batch, each batch in its own transaction, until nothing is
left, and keeps count as it goes. Between batches on SQLite it pauses, so a request waiting for the
write lock gets it: SQLite's busy handler (Python's ``sqlite3`` uses the default one) retries a waiting
writer with sleeps that grow to 100 ms, so a batch that takes the lock again at once, well within those
100 ms, lets nobody in and a waiting request sits through every batch of a long upload. A pause longer
than the longest sleep means every waiting writer tries again inside it. PostgreSQL locks rows, not the
database, and queues waiters: no pause there.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .runtime import Runtime

log = logging.getLogger("careflow.batches")

# Longer than SQLite's longest busy-handler sleep (100 ms), with room for a late wake-up on a loaded
# machine. Measured on a 1,500-person upload in batches of 100 (test_upload_batches.py): with no pause a
# task completed meanwhile went in 1 to 13 batches after the one it waited for, or after the last; with
# 0.11, 0.15 or 0.25 s, straight after it, in 18 runs of 18. A 5,000-person upload pays 10 pauses (1.5 s).
SQLITE_PAUSE = 0.15


@dataclass
class Batch:
    """What one batch did (``done`` items) and how many are still to do after it committed."""

    done: int
    remaining: int


@dataclass
class Progress:
    """How far a run of batches got: items done, items left, and each committed batch's seconds."""

    done: int = 0
    remaining: int = 0
    batch_seconds: list[float] = field(default_factory=list)
    stopped: bool = False  # ``stop`` said so between batches; the rest is still to do
    stuck: bool = False  # a batch did none of what was left: not a loop, a problem to look at

    @property
    def batches(self) -> int:
        return len(self.batch_seconds)


P = TypeVar("P", bound=Progress)


def commit_in_batches(runtime: Runtime, one_batch: Callable[[Session], Batch], progress: P, *,
                      stop: Callable[[], bool] | None = None,
                      report: Callable[[P], None] | None = None) -> P:
    """Call ``one_batch`` in a transaction of its own (``runtime.transaction()``) until it says nothing
    is left, it does nothing, or ``stop`` says so; ``progress`` is brought up to date after each
    committed batch (and handed to ``report``), so a batch that raises leaves the count of those before.
    The exception itself goes to the caller, its batch rolled back."""
    sqlite = runtime.db.dialect == "sqlite"
    while True:
        started = time.perf_counter()
        with runtime.transaction() as session:
            batch = one_batch(session)
        progress.batch_seconds.append(time.perf_counter() - started)
        progress.done += batch.done
        progress.remaining = batch.remaining
        log.debug("batch %d: %d done, %d to do (%.2f s)", progress.batches, progress.done, progress.remaining,
                  progress.batch_seconds[-1])
        if report is not None:
            report(progress)
        if batch.remaining == 0:
            return progress
        if batch.done == 0:
            progress.stuck = True
            return progress
        if stop is not None and stop():
            progress.stopped = True
            return progress
        if sqlite:
            time.sleep(SQLITE_PAUSE)  # a waiting writer's busy handler tries again within it
