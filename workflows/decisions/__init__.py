"""careflow's DMN 1.5 decision evaluator with its own FEEL interpreter (no eval/exec of user text).

It passes the whole DMN TCK level 3 (tests/conformance): decision tables, boxed expressions,
knowledge models, decision services, imports, and FEEL with its types and built-ins.

    result = evaluate("dmn/urgency.dmn", "UrgencyOfNeeds", {"riskToLife": True, ...})
    model = load_decisions(path_or_bytes, filename="urgency.dmn"); model.evaluate(id, inputs)
    load_decisions(..., strict=False): a decision that does not compile fails alone, when evaluated
"""
from __future__ import annotations

from .errors import DecisionError, EvaluationTimedOut, set_time_budget
from .evaluator import DecisionModel, DecisionResult, MatchedRule, evaluate, load_decisions

__all__ = ["DecisionError", "DecisionModel", "DecisionResult", "EvaluationTimedOut", "MatchedRule", "evaluate",
           "load_decisions", "set_time_budget"]
