"""The runtime calls this procedure makes, in one module: the runtime's public API (``workflows``)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from workflows import Runtime, StepContext
from workflows.models import Instance


def transaction(runtime: Runtime) -> Any:
    """A session context manager: one database transaction, stepped workflows cached after commit."""
    return runtime.transaction()


def load(runtime: Runtime, session: Session, instance_id: str, *, lock: bool = False) -> tuple[Instance, Any]:
    return runtime.load(session, instance_id, lock=lock)


def step(runtime: Runtime, session: Session, row: Instance, wf: Any, ctx: StepContext,
         act: Callable[[], None] | None = None) -> Instance:
    """One step; the runtime then calls this procedure's ``on_step`` (the guards) in the same transaction."""
    return runtime.step(session, row, wf, ctx, act)


def case_data(wf: Any) -> dict[str, Any]:
    return Runtime.case_data(wf)
