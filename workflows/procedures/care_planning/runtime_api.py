"""The runtime calls this procedure makes, in one module, so a change of the runtime's API is a few lines."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from workflows.models import Instance


def transaction(runtime: Any) -> Any:
    """A session context manager: one database transaction, stepped workflows cached after commit."""
    return runtime._transaction()


def load(runtime: Any, session: Session, instance_id: str, *, lock: bool = False) -> tuple[Instance, Any]:
    return runtime._load(session, instance_id, lock=lock)  # type: ignore[no-any-return]


def step(runtime: Any, session: Session, row: Instance, wf: Any, ctx: Any,
         act: Callable[[], None] | None = None) -> Instance:
    return runtime._step(session, row, wf, ctx, act)  # type: ignore[no-any-return]


def case_data(wf: Any) -> dict[str, Any]:
    from workflows.provider_failure_hooks import case_data as data_of

    return data_of(wf)
