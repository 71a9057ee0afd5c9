"""The expression sandbox: everything text in a diagram runs through here.

Public names are re-exported by :mod:`workflows.expressions`.
"""

from .compiler import check_expression, compile_sandboxed
from .environment import (
    SandboxedEnvironment,
    SandboxedScriptEngine,
    evaluate_expression,
    make_script_engine,
)
from .errors import ExpressionError

__all__ = [
    "ExpressionError", "SandboxedEnvironment", "SandboxedScriptEngine", "check_expression",
    "compile_sandboxed", "evaluate_expression", "make_script_engine",
]
