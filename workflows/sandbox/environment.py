"""SpiffWorkflow integration: a sandboxed script environment and script engine."""

from __future__ import annotations

import ast
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .compiler import TICK, compile_sandboxed, sandbox_tree
from .errors import ExpressionError
from .runtime import FORBIDDEN_BUILTINS, GUARDS, SAFE_BUILTINS, end_budget, make_tick, start_budget

DEFAULT_TIME_LIMIT = 1.0


class SandboxedEnvironment(TaskDataEnvironment):
    """A drop-in replacement for SpiffWorkflow's ``TaskDataEnvironment``.

    Same data semantics (task data are the names; a script's assignments update the task
    data; callables and predefined names are removed afterwards; task data may not shadow
    a predefined function), but every text is checked, instrumented and compiled by
    :func:`compile_sandboxed` and runs against a whitelist of builtins.

    ``functions`` are extra trusted callables (careflow's own helpers) made available by
    name; they take part in SpiffWorkflow's overwrite check like its ``globals`` do.
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None,
                 time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        functions = dict(functions or {})
        for name in functions:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"invalid function name for expressions: {name!r}")
        if time_limit <= 0:
            raise ValueError("time_limit must be positive")
        super().__init__(functions)
        self.time_limit = float(time_limit)
        self._fixed: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **GUARDS}

    def _scope(self, compiled: Any) -> dict[str, Any]:
        scope = dict(self._fixed)
        if compiled.needs_tick:
            scope[TICK] = make_tick(self.time_limit)
        return scope

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        compiled = compile_sandboxed(expression, "eval")
        self._prepare_context(context)
        scope = dict(self.globals) if self.globals else {}
        if external_context:
            scope.update(external_context)
        scope.update(context)
        scope.update(self._scope(compiled))
        previous = start_budget()
        try:
            return eval(compiled.code, scope)
        finally:
            end_budget(previous)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        compiled = compile_sandboxed(script, "exec")
        self._prepare_context(context)
        context.update(self.globals)
        context.update(external_context)
        context.update(self._scope(compiled))
        previous = start_budget()
        try:
            exec(compiled.code, context)
        finally:
            end_budget(previous)
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context: dict, external_context: dict | None = None) -> None:
        for name in (*GUARDS, TICK):
            context.pop(name, None)
        super()._remove_globals_and_functions_from_context(context, external_context)


def describe(err: BaseException) -> str:
    """A plain one-line description of an error raised by sandboxed code."""
    if isinstance(err, ExpressionError):
        return str(err)
    if isinstance(err, NameError) and getattr(err, "name", None) in FORBIDDEN_BUILTINS:
        return f"'{err.name}' is not available in careflow expressions"
    message = str(err)
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _line_from_traceback(err: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == "<string>":
            line = frame.lineno
    return line


class SandboxedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine whose every evaluation runs in the sandbox.

    Errors keep SpiffWorkflow's behaviour: they become ``WorkflowTaskException`` with the
    line number and line text, the task goes to ERROR and can be reset.
    """

    def __init__(self, environment: TaskDataEnvironment | None = None, *,
                 functions: Mapping[str, Callable[..., Any]] | None = None,
                 time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        super().__init__(environment or SandboxedEnvironment(functions, time_limit))

    def validate(self, expression: str) -> None:
        # DMNEngine relies on SyntaxError here to decide whether a cell needs '=='.
        sandbox_tree(ast.parse(expression), expression)

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as se:
            se.add_note(f"Error evaluating expression '{expression}'")
            raise se
        except Exception as err:
            line_number, error_line = self.get_error_line_number_and_content(expression, err)
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {describe(err)}", task=task,
                exception=err, line_number=line_number or None, error_line=error_line or None,
            ) from err

    def call_service(self, task, **kwargs):
        """Delegates to the environment; careflow's engine overrides this."""
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise self.create_task_exec_exception(task, "", err) from err

    def create_task_exec_exception(self, task, script, err):
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        if isinstance(err, SpiffWorkflowException):
            err.line_number = line_number
            err.error_line = error_line
            err.add_note(f"Python script error on line {line_number}: '{error_line}'")
            return err
        return WorkflowTaskException(describe(err), task=task, exception=err,
                                     line_number=line_number, error_line=error_line)

    def get_error_line_number_and_content(self, script, err):
        line_number = getattr(err, "line_number", None) if isinstance(err, ExpressionError) else None
        if not line_number:
            line_number = _line_from_traceback(err) if not isinstance(err, SyntaxError) else err.lineno
        line_number = line_number or 0
        lines = (script or "").splitlines()
        error_line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
        return line_number, error_line


def make_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None,
                       time_limit: float = DEFAULT_TIME_LIMIT) -> SandboxedScriptEngine:
    """The script engine to pass as ``BpmnWorkflow(..., script_engine=...)``.

    Attach it again after every deserialization (SpiffWorkflow does not serialize it).
    """
    return SandboxedScriptEngine(functions=functions, time_limit=time_limit)


_DEFAULT_ENVIRONMENT = SandboxedEnvironment()


def evaluate_expression(expression: str, context: Mapping[str, Any] | None = None, *,
                        functions: Mapping[str, Callable[..., Any]] | None = None,
                        time_limit: float = DEFAULT_TIME_LIMIT) -> Any:
    """Evaluate one expression outside a workflow (timer texts, conditions, previews).

    Every failure - refused by the sandbox, syntax, or an error while evaluating - is
    raised as :class:`ExpressionError` with the line number when known.
    """
    if functions is None and time_limit == DEFAULT_TIME_LIMIT:
        environment = _DEFAULT_ENVIRONMENT
    else:
        environment = SandboxedEnvironment(functions, time_limit)
    try:
        return environment.evaluate(expression, dict(context or {}))
    except ExpressionError as err:
        if err.line_number is None:
            err.line_number = _line_from_traceback(err)
        if err.expression is None:
            err.expression = expression
        raise
    except Exception as err:
        raise ExpressionError(describe(err), expression, _line_from_traceback(err)) from err
