"""What a client can send that must never become a 500 (DESIGN.md decision 11).

* JSON: NaN and Infinity are refused (JSON has no such numbers; Python would take them silently),
  and so is nesting deeper than ``MAX_JSON_DEPTH``: a clear 400 either way.
* Ids in paths: whole numbers beyond 64 bits match no route (404), instead of overflowing the database.
* A busy database (SQLite "database is locked", a PostgreSQL serialization failure or deadlock)
  answers 503 with ``Retry-After``: trying again will work, and nothing was half-done.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_JSON_DEPTH = 64
RETRY_AFTER_SECONDS = 2
BUSY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class JsonRefused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number; send a number or null")


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests, stopping as soon as it passes ``limit`` (no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, parse_constant=_refuse_constant, **kwargs)
        except RecursionError:
            raise JsonRefused(f"The JSON nests more than {MAX_JSON_DEPTH} levels deep") from None
        if _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise JsonRefused(f"The JSON nests more than {MAX_JSON_DEPTH} levels deep")
        return value


class Id64Converter(IntegerConverter):
    """``<int:...>`` limited to what the database can hold (a larger id can name nothing)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002  werkzeug's name
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database was busy (another writer), so the same request may succeed later."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError) and "database is locked" in str(exc):
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None),
                                                                               "pgcode", None)
        return code in BUSY_SQLSTATES
    return False


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = Id64Converter
