"""Managing Provider Failure (Care Act 2014 ss.48-52, s.19): an incident per failing provider and a
case per affected person (DESIGN.md decision 2).

* ``person_cases``: PF-10, opening the person cases of an incident from the provider's list;
* ``uploads``: a long list accepted at once, its person cases opened in the background;
* ``people``: checking that list (CSV or JSON), line by line;
* ``checks``: answers checked against the case (a closure date against the notice);
* ``closure``: telling the incident when its last person case closes, with the totals;
* ``notice_period``: a closure date that moves takes the incident's timers and open person cases along;
* ``PLACED_OUT``: B.12, a person this council placed in another area whose provider failed there;
* ``read_models``: the incidents and their person cases for the dashboard, from rows only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.procedure import Procedure

from . import models  # noqa: F401  (its table)
from .checks import submission_problems
from .closure import ALL_CLOSED, close_parent_when_last
from .notice_period import (
    MOVE_PERSON_CASES,
    NOTICE,
    after_notice,
    move_person_cases_batch,
    on_incident_step,
    on_notice,
)
from .person_cases import DISPUTE, INCIDENT, PERSON, PLACED_OUT
from .uploads import OPEN_PERSON_CASES, open_person_cases_batch

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workflows.batches import Batch
    from workflows.models import Instance
    from workflows.runtime import Runtime

__all__ = ["DISPUTE", "INCIDENT", "PERSON", "PLACED_OUT", "ProviderFailure", "procedure"]


class ProviderFailure(Procedure):
    name = "provider_failure"
    process_ids = frozenset({INCIDENT, PERSON, DISPUTE, PLACED_OUT})
    system_messages = frozenset({ALL_CLOSED})
    follow_ups = frozenset({MOVE_PERSON_CASES, OPEN_PERSON_CASES})

    def on_step(self, runtime: Runtime, session: Session, row: Instance,
                data: dict[str, Any]) -> dict[str, Any] | None:
        return on_incident_step(runtime, session, row, data) if row.process_id == INCIDENT else None

    def on_message(self, runtime: Runtime, session: Session, name: str, payload: dict[str, Any],
                   waiting: list[Instance], *, actor: str | None) -> dict[str, Any] | None:
        return on_notice(runtime, session, payload, waiting, actor=actor) if name == NOTICE else None

    def after_message(self, runtime: Runtime, name: str, answer: dict[str, Any]) -> dict[str, Any] | None:
        return after_notice(runtime, answer) if name == NOTICE else None

    def follow_up(self, runtime: Runtime, session: Session, kind: str, subject: str, limit: int) -> Batch:
        if kind == OPEN_PERSON_CASES:
            return open_person_cases_batch(runtime, session, subject, limit)
        return move_person_cases_batch(runtime, session, subject, limit)

    def on_completed(self, runtime: Runtime, session: Session, row: Instance, data: dict[str, Any]) -> None:
        if row.process_id == PERSON:
            close_parent_when_last(runtime, session, row)

    def check_submission(self, row: Instance, task_name: str, form_key: str | None, data: dict[str, Any],
                         case: dict[str, Any]) -> list[dict[str, str]]:
        return submission_problems(form_key, data, case)


procedure = ProviderFailure()
