"""The one error type the expression sandbox raises."""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression or script was refused or failed inside the sandbox.

    ``reason`` is a plain-language message for a process owner, ``line_number`` and
    ``column`` locate the offending text (1-based; ``None`` when unknown) and
    ``expression`` is the text that was being evaluated.
    """

    def __init__(
        self,
        reason: str,
        expression: str | None = None,
        line_number: int | None = None,
        column: int | None = None,
    ) -> None:
        self.reason = reason
        self.expression = expression
        self.line_number = line_number
        self.column = column
        super().__init__(self._message())

    def _message(self) -> str:
        if self.line_number is None:
            return self.reason
        where = f"line {self.line_number}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{self.reason} ({where})"

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self):  # keep it picklable with its attributes
        return (self.__class__, (self.reason, self.expression, self.line_number, self.column))
