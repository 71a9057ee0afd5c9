"""Evaluating a decision table on request (the API's "try this decision"), logged like any other."""
from __future__ import annotations

from typing import Any

from .data import normalise, to_json_safe
from .db import Database
from .engine import rule_ids
from .errors import CareflowError
from .library import ProcessLibrary
from .models import DecisionLog
from .spiff_bridge import decision_inputs


class DecisionFailed(CareflowError):
    status = 422
    code = "decision_error"


def evaluate_logged(db: Database, library: ProcessLibrary, decision_id: str, inputs: Any,
                    actor: str | None = None) -> dict[str, Any]:
    """Evaluate the newest version of ``decision_id`` with ``inputs``; the result and its
    explanation (inputs, matched rules, outputs) are logged and returned."""
    from .decisions import DecisionError

    clean = normalise(inputs, source="inputs")
    with db.transaction() as session:
        row = library.decision_file_for(session, decision_id)
        model = library.decision_model(row.content_hash)
        try:
            result = model.evaluate(decision_id, decision_inputs(clean, library.current_council_config()))
        except DecisionError as exc:
            raise DecisionFailed(str(exc), decision=decision_id, file=row.filename) from None
        record = to_json_safe(result.to_dict())
        session.add(DecisionLog(instance_id=None, decision_id=decision_id,
                                decision_name=record.get("decisionName"), hit_policy=record.get("hitPolicy"),
                                inputs=record.get("inputs") or {}, matched_rules=record.get("matchedRules") or [],
                                outputs=record.get("value"), table_hash=row.content_hash, table_file=row.filename,
                                rule_ids=rule_ids(record.get("matchedRules") or [])))
        return {"decisionId": decision_id, "file": row.filename, "value": record.get("value"),
                "matchedRules": record.get("matchedRules") or [], "inputs": record.get("inputs") or {},
                "hitPolicy": record.get("hitPolicy"), "evaluatedBy": actor}
