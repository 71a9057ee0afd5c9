"""`careflow decide FILE.dmn DECISION_ID --inputs JSON`: evaluate and print the result as JSON."""
from __future__ import annotations

import json
import sys

from .errors import DecisionError
from .evaluator import evaluate


def decide_command(dmn_path: str, decision_id: str, inputs_json: str) -> int:
    """Print the decision result as JSON to stdout (0), or `error: ...` to stderr (1)."""
    try:
        inputs = json.loads(inputs_json) if inputs_json and inputs_json.strip() else {}
    except json.JSONDecodeError as exc:
        print(f"error: --inputs is not valid JSON: {exc.msg} at position {exc.pos}", file=sys.stderr)
        return 1
    if not isinstance(inputs, dict):
        print("error: --inputs must be a JSON object of input name -> value", file=sys.stderr)
        return 1
    try:
        result = evaluate(dmn_path, decision_id, inputs)
    except DecisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return 0
