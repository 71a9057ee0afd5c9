"""FEEL subset: literals, arithmetic, temporal values, names with spaces, unary tests."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from workflows.decisions.errors import FeelError
from workflows.decisions.feel import compile_expression, names_table
from workflows.decisions.unary import compile_unary_tests
from workflows.decisions.values import YearsMonths

NAMES = names_table(["Full Name", "Years of Service", "Another Date and Time", "costedWeekly"])


def ev(text: str, **ctx: object) -> object:
    return compile_expression(text, NAMES)(dict(ctx))


def ut(text: str, value: object, **ctx: object) -> object:
    test = compile_unary_tests(text, NAMES)
    return True if test is None else test(value, dict(ctx))


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", Decimal(7)),
    ("10 + 20 / -5 - 3", Decimal(3)),
    ("-10--5", Decimal(-5)),
    ("5+2**5+3", Decimal(40)),
    ("10**-5", Decimal("0.00001")),
    (".872", Decimal("0.872")),
    ("(10+20)/0", None),
    ("10 + null", None),
    ('"a" + "b"', "ab"),
    ('"a" + 1', None),
    ("true and null", None),
    ("false and null", False),
    ("true or null", True),
    ("not(true)", False),
    ("if 3 > 2 then \"yes\" else \"no\"", "yes"),
    ("if null then 1 else 2", Decimal(2)),
    ("[1, 2, 3][item >= 2]", [Decimal(2), Decimal(3)]),
    ("[1, 2, 3][2]", Decimal(2)),
    ("[1, 2, 3][-1]", Decimal(3)),
    ("{a: 1, b: a + 1}.b", Decimal(2)),
    ("[{x: 1}, {x: 2}].x", [Decimal(1), Decimal(2)]),
    ("sum([1, 2, 3])", Decimal(6)),
    ("count([1, 2])", Decimal(2)),
    ("min(3, 1, 2)", Decimal(1)),
    ("max([3, 1, 2])", Decimal(3)),
    ("abs(-2.5)", Decimal("2.5")),
    ("floor(2.7)", Decimal(2)),
    ("ceiling(2.1)", Decimal(3)),
    ("decimal(2.345, 2)", Decimal("2.34")),
    ('string length("care")', Decimal(4)),
    ('upper case("ab")', "AB"),
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", 3, 2)', "ob"),
    ('contains("foobar", "oba")', True),
    ('starts with("foobar", "foo")', True),
    ('ends with("foobar", "bar")', True),
    ('number("12.5")', Decimal("12.5")),
    ("string(12)", "12"),
    ("list contains([1, 2], 2)", True),
    ("flatten([[1], 2, [[3]]])", [Decimal(1), Decimal(2), Decimal(3)]),
    ("5 between 1 and 10", True),
    ("5 in [1..5]", True),
    ("5 in [1..5)", False),
    ("5 in (1, 5, 7)", True),
    ("for i in [1, 2] return i * 10", [Decimal(10), Decimal(20)]),
    ("some i in [1, 2] satisfies i > 1", True),
    ("every i in [1, 2] satisfies i > 1", False),
    ('date("2026-01-31") + duration("P1D")', dt.date(2026, 2, 1)),
    ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)),
    ('date("2026-03-01") - date("2026-02-01")', dt.timedelta(days=28)),
    ('date and time("2026-01-01T10:00:00") + duration("PT4H")', dt.datetime(2026, 1, 1, 14)),
    ('time("10:00:00") < time("11:00:00")', True),
    ('duration("P2D") > duration("PT24H")', True),
    ('years and months duration(date("2020-01-15"), date("2021-03-14"))', YearsMonths(13)),
    ('duration("P1Y2M")', YearsMonths(14)),
    ('date("2026-05-04").month', Decimal(5)),
    ("1 = \"1\"", None),
    ("null = null", True),
    ("is defined(nothing)", False),
])
def test_expressions(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_names_with_spaces_and_paths() -> None:
    assert ev('"Hello " + Full Name', **{"Full Name": "Ann"}) == "Hello Ann"
    assert ev("Years of Service >= 30", **{"Years of Service": Decimal(31)}) is True
    assert ev("Another Date and Time", **{"Another Date and Time": Decimal(1)}) == Decimal(1)
    assert ev("person.address.postcode", person={"address": {"postcode": "LS1"}}) == "LS1"
    assert ev("person.missing", person={}) is None


def test_user_function() -> None:
    assert ev("{f: function(a, b) a * b, r: f(3, 4)}.r") == Decimal(12)


@pytest.mark.parametrize("text, value, expected", [
    ("-", "anything", True),
    ('"A"', "A", True),
    ('"A","B"', "B", True),
    ('"A", "B"', "C", False),
    ('not("A", "B")', "C", True),
    ('not("A")', "A", False),
    ("< 18", Decimal(17), True),
    (">= 18", Decimal(17), False),
    ("[1..5]", Decimal(5), True),
    ("(1..5]", Decimal(1), False),
    ("]1..5[", Decimal(3), True),
    ("]1..5[", Decimal(5), False),
    ("[15..30)", Decimal(30), False),
    ("<18, >=60", Decimal(61), True),
    ("true", True, True),
    ("false", True, False),
    ("null", None, True),
    ("null", Decimal(1), False),
    ("< 5", None, None),
    ('>= date("2016-10-01")', dt.date(2016, 10, 1), True),
    ('< duration("P1D")', dt.timedelta(hours=5), True),
    ("? > 5 and ? < 9", Decimal(7), True),
    ("[1, 2, 3]", Decimal(2), True),
])
def test_unary_tests(text: str, value: object, expected: object) -> None:
    assert ut(text, value) == expected


def test_unary_test_against_variables() -> None:
    assert ut(">= costedWeekly", Decimal(500), costedWeekly=Decimal(400)) is True
    assert ut("[low..high]", Decimal(5), low=Decimal(1), high=Decimal(9)) is True
    assert ut("costedWeekly * 2", Decimal(800), costedWeekly=Decimal(400)) is True


def test_incompatible_ordering_in_a_cell_is_an_error() -> None:
    with pytest.raises(FeelError, match="cannot compare string 'x' with number"):
        ut("<= 2", "x")


@pytest.mark.parametrize("text", ["1 +", '"open', "a ==", "(1..", "if 1 then 2", "{a 1}", "1 $ 2"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FeelError, match="syntax error|unexpected character|expected"):
        compile_expression(text, NAMES)


def test_unknown_name_is_an_error() -> None:
    with pytest.raises(FeelError, match="unknown name 'nope'"):
        ev("nope + 1")


def test_no_python_escape() -> None:
    # FEEL names are looked up in the context dict only; Python attributes are unreachable
    with pytest.raises(FeelError):
        ev("__import__(\"os\")")
    assert ev('"".__class__') is None  # FEEL has no such property: null (reported), never Python's
