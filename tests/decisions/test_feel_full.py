"""Full FEEL (DMN 1.5): the constructs process owners write in the browser's DMN editor.

Each test names the construct it checks; the whole DMN TCK level 3 runs in tests/conformance.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from workflows.decisions.errors import start_problems, stop_problems
from workflows.decisions.feel import compile_expression, names_table
from workflows.decisions.values import Range, YearsMonths

NAMES = names_table(["Care Plan"])


def ev(text: str, **ctx: object) -> object:
    return compile_expression(text, NAMES)(dict(ctx))


def problems_of(text: str) -> tuple[object, list[str]]:
    problems, token = start_problems()
    try:
        return ev(text), problems
    finally:
        stop_problems(token)


@pytest.mark.parametrize("text, expected", [
    ("1.23e4", Decimal("12300")),
    ("-3 ** 2", Decimal(9)),  # negation binds tighter than **
    ("2 ** 3 ** 2", Decimal(64)),  # ** is left-associative
    ("10 in (=10)", True),
    ("12 in (<5, >10)", True),
    ("7 in (<5, >10)", False),
    ("1 in [[2..4], [1..3]]", True),
    ("(< 10) = (< 10)", True),
    ("(< 10) = (null..10)", False),
    ("[1..10].start included", True),
    ("(1..10].end", Decimal(10)),
    ("range(\"[1..10)\") = [1..10)", True),
    ("insert before([1, 3], 2, 2)", [Decimal(1), Decimal(2), Decimal(3)]),
    ("list replace([1, 2, 3], 2, 9)", [Decimal(1), Decimal(9), Decimal(3)]),
    ("string join([\"a\", \"b\"], \", \")", "a, b"),
    ("day of year(date(\"2024-03-01\"))", Decimal(61)),
    ("round half up(2.5, 0)", Decimal(3)),
    ("round half down(2.5, 0)", Decimal(2)),
    ("context put({a: 1}, \"b\", 2)", {"a": Decimal(1), "b": Decimal(2)}),
    ("substring(string: \"careflow\", start position: 5)", "flow"),
    ("matches(\"abc\", \"^a.c$\")", True),
    ("replace(\"abc\", \"b\", \"$0$0\")", "abbc"),
    ("split(\"a1b22c\", \"\\d+\")", ["a", "b", "c"]),
    ("sort([3, 1, 2], function(x, y) x > y)", [Decimal(3), Decimal(2), Decimal(1)]),
    ("median([1, 2, 3, 4])", Decimal("2.5")),
    ("mode([1, 2, 2, 3])", [Decimal(2)]),
    ("stddev([2, 4, 7, 5])", Decimal("2.081665999466132735282297706979931")),
    ("is(@\"10:30:00+01:00\", @\"10:30:00@Europe/Paris\")", False),
    ("for i in 0..3 return if i = 0 then 1 else i * partial[-1]",
     [Decimal(1), Decimal(1), Decimal(2), Decimal(6)]),
    ("{a b: 1, c: a b + 1}.c", Decimal(2)),
    ("before(1, [2..5])", True),
    ("overlaps([1..5], [3..8])", True),
    ("years and months duration(date(\"2020-01-31\"), date(\"2021-03-01\"))", YearsMonths(13)),
])
def test_full_feel_expressions(text: str, expected: object) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("[1, 2] instance of list<number>", True),
    ("[1, \"a\"] instance of list<number>", False),
    ("{a: 1, b: \"x\"} instance of context<a: number>", True),
    ("(function(x: number) x) instance of function<number> -> Any", True),
    ("(function(x: string) x) instance of function<number> -> Any", False),
    ("@\"P1Y\" instance of years and months duration", True),
    ("null instance of number", False),
    ("(< 10) instance of range<number>", True),
])
def test_instance_of_every_type(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_named_time_zones_and_far_years() -> None:
    paris = ev('@"2018-12-08T10:30:00@Europe/Paris"')
    assert isinstance(paris, dt.datetime) and paris.tzinfo == ZoneInfo("Europe/Paris")
    assert ev('string(@"2018-12-08T10:30:00@Europe/Paris" + @"PT1H")') == "2018-12-08T11:30:00@Europe/Paris"
    assert ev('string(@"-2021-01-01T10:10:10+11:00" + @"P1M")') == "-2021-02-01T10:10:10+11:00"
    assert ev('string(date("999999999-12-31"))') == "999999999-12-31"
    assert ev('time("24:00:00")') == dt.time(0, 0)


def test_errors_are_null_and_reported() -> None:
    value, problems = problems_of('@"not a date"')  # a bad @ literal is null at run time, not a load error
    assert value is None and problems
    value, problems = problems_of('date("2021-02-30")')
    assert value is None and problems
    value, problems = problems_of('"a" + 1')
    assert value is None and problems == ["string + number is not defined"]
    value, problems = problems_of("get value({a: 1}, \"b\")")
    assert value is None and not problems  # a missing entry is an answer, not an error


def test_named_parameters_are_checked_against_the_real_names() -> None:
    value, problems = problems_of('substring(text: "abc", start: 2)')
    assert value is None and "has no parameters named" in problems[0]


def test_ranges_as_values() -> None:
    assert ev("[1..10]") == Range(Decimal(1), Decimal(10), True, True)
    assert ev("5 between 1 and 10") is True
    assert problems_of("null between 1 and 10") == (None, ["between with null"])
