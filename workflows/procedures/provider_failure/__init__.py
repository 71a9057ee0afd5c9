"""Managing Provider Failure (Care Act 2014 ss.48-52, s.19): an incident per failing provider and a
case per affected person (DESIGN.md decision 2).

* ``person_cases``: PF-10, opening the person cases of an incident from the provider's list;
* ``people``: checking that list (CSV or JSON), line by line;
* ``closure``: telling the incident when its last person case closes, with the totals;
* ``read_models``: the incidents and their person cases for the dashboard, from rows only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.procedure import Procedure

from .closure import ALL_CLOSED, close_parent_when_last
from .person_cases import DISPUTE, INCIDENT, PERSON

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workflows.models import Instance
    from workflows.runtime import Runtime

__all__ = ["DISPUTE", "INCIDENT", "PERSON", "ProviderFailure", "procedure"]


class ProviderFailure(Procedure):
    name = "provider_failure"
    process_ids = frozenset({INCIDENT, PERSON, DISPUTE})
    system_messages = frozenset({ALL_CLOSED})

    def on_completed(self, runtime: Runtime, session: Session, row: Instance, data: dict[str, Any]) -> None:
        if row.process_id == PERSON:
            close_parent_when_last(runtime, session, row)


procedure = ProviderFailure()
