"""Sandboxed evaluation of the expressions and scripts found in diagrams (DESIGN.md, decision 4).

Nothing in a diagram runs arbitrary Python. Texts are parsed, checked against an AST
whitelist (no imports, no names or attributes starting with '_', no class definitions,
global/nonlocal, with, try/raise, async or yield, no ``str.format``), rewritten so that
loops, comprehensions and functions check a deadline and size-changing operators
(``+ * ** << %``, ``str.join``/``replace``/``ljust`` ...) check their result size first,
and only then compiled (cached by text). They run against whitelisted builtins.

    engine = make_script_engine(functions={...}, time_limit=1.0)
    BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
    evaluate_expression("a + 1", {"a": 1})          # -> 2
    check_expression(text, mode="eval" | "exec")    # raises ExpressionError
"""

from workflows.sandbox import (
    ExpressionError,
    SandboxedEnvironment,
    SandboxedScriptEngine,
    check_expression,
    compile_sandboxed,
    evaluate_expression,
    make_script_engine,
)
from workflows.sandbox.runtime import (
    MAX_COLLECTION_LENGTH,
    MAX_INT_BITS,
    MAX_STRING_LENGTH,
    SAFE_BUILTINS,
    now,
    parse_date,
    parse_datetime,
    parse_duration,
    today,
)

__all__ = [
    "ExpressionError", "SandboxedEnvironment", "SandboxedScriptEngine", "check_expression",
    "compile_sandboxed", "evaluate_expression", "make_script_engine", "SAFE_BUILTINS",
    "MAX_COLLECTION_LENGTH", "MAX_INT_BITS", "MAX_STRING_LENGTH", "now", "today",
    "parse_date", "parse_datetime", "parse_duration",
]
