"""careflow's DMN 1.3 decision evaluator with its own FEEL subset (no eval/exec of user text).

    result = evaluate("dmn/urgency.dmn", "UrgencyOfNeeds", {"riskToLife": True, ...})
    model = load_decisions(path_or_bytes, filename="urgency.dmn"); model.evaluate(id, inputs)
"""
from __future__ import annotations

from .errors import DecisionError
from .evaluator import DecisionModel, DecisionResult, MatchedRule, evaluate, load_decisions

__all__ = ["DecisionError", "DecisionModel", "DecisionResult", "MatchedRule", "evaluate", "load_decisions"]
