"""Errors raised by the DMN evaluator and its FEEL interpreter."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token


class FeelError(Exception):
    """A FEEL syntax or evaluation problem; the model layer adds decision/rule/column context."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class DecisionError(Exception):
    """A problem a process owner can cause: bad model, bad cell, bad input, hit-policy violation.

    str() is the full human message; the attributes let callers (API, logs) point at the cell.
    """

    def __init__(
        self,
        message: str,
        *,
        decision_id: str | None = None,
        decision_name: str | None = None,
        rule_index: int | None = None,
        column: str | None = None,
        column_kind: str = "column",
        filename: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.decision_id = decision_id
        self.decision_name = decision_name
        self.rule_index = rule_index
        self.column = column
        self.column_kind = column_kind
        self.filename = filename
        self.line = line
        super().__init__(self._full())

    def for_decision(self, decision_id: str, decision_name: str) -> DecisionError:
        """Attach the decision's id (messages show its name, which process owners read)."""
        self.decision_id = decision_id
        self.decision_name = decision_name
        self.args = (self._full(),)
        return self

    def __str__(self) -> str:
        return self._full()

    def _full(self) -> str:
        where: list[str] = []
        if self.filename:
            where.append(f"{self.filename}" + (f" line {self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.decision_name or self.decision_id:
            where.append(f"Decision '{self.decision_name or self.decision_id}'")
        if self.rule_index is not None:
            where.append(f"rule {self.rule_index}")
        if self.column:
            where.append(f"{self.column_kind} '{self.column}'")
        return (", ".join(where) + ": " + self.message) if where else self.message


# FEEL turns most run-time errors into null (a date that does not exist, a string plus a number);
# the decision that saw one still reports it, so the explanation says why a value is null.
_problems: ContextVar[list[str] | None] = ContextVar("feel_problems", default=None)


def note(message: str) -> None:
    """Record a FEEL error that evaluated to null, for the decision being evaluated."""
    found = _problems.get()
    if found is not None and len(found) < 20:
        found.append(message)


# Loops nested inside loops multiply: one evaluation gets one budget of iterations in all.
MAX_ITERATIONS = 1_000_000
_steps: ContextVar[list[int] | None] = ContextVar("feel_steps", default=None)


def spend_iterations(count: int) -> None:
    """Take `count` iterations from the evaluation's budget; FeelError once it is spent (and
    EvaluationTimedOut once the evaluation's time is up)."""
    check_time()
    budget = _steps.get()
    if budget is not None:
        budget[0] -= count
        if budget[0] < 0:
            raise FeelError(f"the expression iterates more than {MAX_ITERATIONS:,} times")


def start_problems() -> tuple[list[str], tuple[Token[list[str] | None], Token[list[int] | None]]]:
    """Collect the problems noted from now on (until `stop_problems(token)`), and count the
    iterations against a fresh budget."""
    found: list[str] = []
    return found, (_problems.set(found), _steps.set([MAX_ITERATIONS]))


def stop_problems(token: tuple[Token[list[str] | None], Token[list[int] | None]]) -> None:
    _problems.reset(token[0])
    _steps.reset(token[1])


# Time: one deadline for a whole evaluation (every decision it requires, imported models and decision
# services included), whatever the expressions are made of: loops, recursion, big tables. A case's step
# holds its instance (and on SQLite the write lock) while a decision runs.
DEFAULT_TIME_BUDGET_SECONDS = 5.0
_time_budget = [DEFAULT_TIME_BUDGET_SECONDS]
_deadline: ContextVar[list[float] | None] = ContextVar("feel_deadline", default=None)


class EvaluationTimedOut(DecisionError):
    """The evaluation ran past its time budget (a DecisionError: the step becomes an incident).

    Not a FeelError, so that FEEL's "an error evaluates to null" rules never swallow it.
    """


def set_time_budget(seconds: float | None) -> None:
    """How long one whole decision evaluation may take (None: the default) for this process."""
    budget = DEFAULT_TIME_BUDGET_SECONDS if seconds is None else float(seconds)
    if not budget > 0:
        raise ValueError("the decision time budget must be a positive number of seconds")
    _time_budget[0] = budget


def time_budget() -> float:
    return _time_budget[0]


def check_time() -> None:
    """EvaluationTimedOut once the current evaluation's deadline has passed (cheap: call it often)."""
    state = _deadline.get()
    if state is not None and time.monotonic() > state[0]:
        state[1] = 1.0
        raise EvaluationTimedOut(f"the evaluation took longer than its time budget of {_time_budget[0]:g} s")


@contextmanager
def evaluation_deadline() -> Iterator[None]:
    """Run one whole evaluation against the time budget; an evaluation inside it (an imported model,
    a decision service called as a function) shares the outer deadline instead of starting its own."""
    if _deadline.get() is not None:
        yield
        return
    state = [time.monotonic() + _time_budget[0], 0.0]
    token = _deadline.set(state)
    try:
        yield
    finally:
        _deadline.reset(token)
    if state[1]:  # timed out, but something on the way turned the error into a value: still a timeout
        raise EvaluationTimedOut(f"the evaluation took longer than its time budget of {_time_budget[0]:g} s")
