"""Money as whole pence inside careflow, pounds (two decimals) at the edges."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from workflows.errors import ValidationFailed

MAX_WEEKLY_PENCE = 10_000_000  # GBP 100,000 a week: past this a figure is a typing slip


def to_pence(value: Any, field: str, *, required: bool = True) -> int | None:
    """A non-negative amount in pounds (number or text such as "395.50") as pence; 422 otherwise."""
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"Enter {field}", [{"field": field, "message": f"Enter {field} in pounds"}])
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be an amount", [{"field": field, "message": "Enter an amount in pounds"}])
    try:
        amount = Decimal(str(value).strip().lstrip("£").replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed(f"{field} must be an amount such as 395.50",
                               [{"field": field, "message": "Enter an amount in pounds, like 395.50"}]) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(f"{field} must be zero or more", [{"field": field, "message": "Enter zero or more"}])
    if amount * 100 > MAX_WEEKLY_PENCE:  # before rounding: 1e400 pence cannot be rounded at all
        raise ValidationFailed(f"{field} is too large", [{"field": field, "message": "Enter at most 100000 pounds"}])
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def pounds(pence: int | None) -> float | None:
    return None if pence is None else round(pence / 100, 2)


def show(pence: int | None) -> str:
    return "not set" if pence is None else f"£{pence / 100:,.2f}"
