"""Errors raised by the DMN evaluator and its FEEL interpreter."""
from __future__ import annotations

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
    """Take `count` iterations from the evaluation's budget; FeelError once it is spent."""
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
