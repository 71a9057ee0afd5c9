"""FEEL types: `instance of`, and the conformance and conversion DMN applies at typed boundaries.

A decision's result, a knowledge model's parameters and an input datum are checked against their
declared type: a singleton list is unwrapped (or a single value wrapped) where the type asks, and
a value that still does not conform becomes null, which the decision reports.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .values import Range, YearsMonths

BASE_TYPES = ("number", "string", "boolean", "date", "time", "date and time", "days and time duration",
              "years and months duration", "context", "list", "function", "range", "Any", "Null")

# DMN typeRefs may use XML Schema spellings (and old FEEL ones)
_ALIASES = {"dateTime": "date and time", "dayTimeDuration": "days and time duration",
            "yearMonthDuration": "years and months duration", "decimal": "number", "integer": "number",
            "double": "number", "int": "number", "long": "number", "duration": "days and time duration",
            "any": "Any", "Null": "Null", "null": "Null"}


def base_name(value: Any) -> str:
    """The FEEL type name of a value."""
    if value is None:
        return "Null"
    cls = value.__class__
    if cls is Decimal:
        return "number"
    if cls is str:
        return "string"
    if cls is bool:
        return "boolean"
    if cls is dt.datetime:
        return "date and time"
    if cls is dt.date:
        return "date"
    if cls is dt.time:
        return "time"
    if cls is dt.timedelta:
        return "days and time duration"
    if cls is YearsMonths:
        return "years and months duration"
    if cls is list:
        return "list"
    if cls is dict:
        return "context"
    if cls is Range:
        return "range"
    if isinstance(value, dt.datetime):  # far years
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return "function" if callable(value) else "Any"


class FeelType:
    """The base class; `Any` when used as is."""

    name = "Any"

    def instance(self, value: Any) -> bool:
        """`value instance of T`: null is an instance of Null only."""
        return value is not None

    def conforms(self, value: Any) -> bool:
        """Whether a value may stand where this type is declared (null always may)."""
        return value is None or self.instance(value)

    @property
    def is_list(self) -> bool:
        return False

    def __repr__(self) -> str:
        return self.name


@dataclass(repr=False)
class BaseType(FeelType):
    name: str = "Any"

    def instance(self, value: Any) -> bool:
        if self.name == "Any":
            return value is not None
        if self.name == "Null":
            return value is None
        return base_name(value) == self.name

    @property
    def is_list(self) -> bool:
        return self.name == "list"


@dataclass(repr=False)
class ListType(FeelType):
    item: FeelType = field(default_factory=FeelType)

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"list<{self.item.name}>"

    def instance(self, value: Any) -> bool:
        return isinstance(value, list) and all(self.item.conforms(v) for v in value)

    @property
    def is_list(self) -> bool:
        return True


@dataclass(repr=False)
class ContextType(FeelType):
    fields: dict[str, FeelType] = field(default_factory=dict)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "context<" + ", ".join(f"{k}: {t.name}" for k, t in self.fields.items()) + ">"

    def instance(self, value: Any) -> bool:
        return isinstance(value, dict) and all(k in value and t.conforms(value[k])
                                               for k, t in self.fields.items())


@dataclass(repr=False)
class RangeType(FeelType):
    item: FeelType = field(default_factory=FeelType)

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"range<{self.item.name}>"

    def instance(self, value: Any) -> bool:
        return isinstance(value, Range) and all(e is None or self.item.instance(e) for e in (value.low, value.high))


@dataclass(repr=False)
class FunctionType(FeelType):
    params: list[FeelType] = field(default_factory=list)
    result: FeelType = field(default_factory=FeelType)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "function<" + ", ".join(p.name for p in self.params) + f"> -> {self.result.name}"

    def instance(self, value: Any) -> bool:
        if not callable(value):
            return False
        declared = getattr(value, "param_types", None)
        if declared is None:  # a built-in: its arity must allow the call
            arity = getattr(value, "arity", None)
            return arity is None or arity[0] <= len(self.params) <= arity[1]
        if len(declared) != len(self.params):
            return False
        # parameters are contravariant, the result covariant
        result = getattr(value, "result_type", None)
        return all(_subtype(mine, theirs) for mine, theirs in zip(self.params, declared)) and \
            (result is None or _subtype(result, self.result))


def _subtype(a: FeelType, b: FeelType) -> bool:
    """Whether every value of type a is one of type b (enough for function types)."""
    if b.name == "Any" or a.name == b.name:
        return True
    if isinstance(a, ListType) and isinstance(b, ListType):
        return _subtype(a.item, b.item)
    if isinstance(a, ContextType) and isinstance(b, ContextType):
        return all(k in a.fields and _subtype(a.fields[k], t) for k, t in b.fields.items())
    return False


@dataclass(repr=False)
class ItemType(FeelType):
    """A DMN itemDefinition: a base type or components, maybe a collection, maybe constrained."""

    name: str = "item"
    base: FeelType | None = None
    components: dict[str, FeelType] | None = None
    collection: bool = False
    allowed: Callable[[Any], Any] | None = None
    function: FunctionType | None = None

    def instance(self, value: Any) -> bool:
        if value is None:
            return False
        if self.collection:
            return isinstance(value, list) and all(self._one(v) for v in value)
        return self._one(value)

    def _one(self, value: Any) -> bool:
        if value is None:
            return True
        if self.function is not None:
            return self.function.instance(value)
        if self.components is not None:
            if not isinstance(value, dict):
                return False
            return all(k in value and t.conforms(value[k]) for k, t in self.components.items())
        return self.base is None or self.base.instance(value)

    def conforms(self, value: Any) -> bool:
        if value is None:
            return True
        if not self.instance(value):
            return False
        if self.allowed is None:
            return True
        return all(self.allowed(v) is True for v in value) if self.collection else self.allowed(value) is True

    @property
    def is_list(self) -> bool:
        return self.collection or (self.base is not None and self.base.is_list)


ANY = BaseType("Any")


def base_type(name: str) -> FeelType | None:
    """A built-in type by name (XML Schema and prefixed spellings accepted), else None."""
    short = name.split(":")[-1].strip() if ":" in name and not name.startswith("context") else name.strip()
    short = _ALIASES.get(short, short)
    return BaseType(short) if short in BASE_TYPES else None


def coerce(value: Any, declared: FeelType | None) -> tuple[Any, bool]:
    """(value converted for a typed boundary, conforms). A non-conforming value becomes null."""
    if declared is None or value is None or declared.name == "Any":
        return value, True
    if value.__class__ is list and len(value) == 1 and not declared.is_list:
        value = value[0]  # a singleton list stands for its element
    if declared.conforms(value):
        return value, True
    return None, False
