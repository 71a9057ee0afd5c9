"""Reading DMN TCK test-case XML and comparing results (shared by the tests and the report)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from workflows.decisions.errors import FeelError
from workflows.decisions.values import parse_date, parse_date_time, parse_duration, parse_time, type_name


def _find_shared() -> Path:
    """In CI the repo is cloned with shared/ beside it (<root>/main -> <root>/shared); a worktree
    may sit deeper (<root>/wt/NAME), so look in each ancestor."""
    here = Path(__file__).resolve()
    for folder in here.parents[2:]:
        if (folder / "shared" / "conformance").is_dir():
            return folder / "shared" / "conformance"
    return here.parents[2].parent / "shared" / "conformance"


SHARED = _find_shared()
TCK = SHARED / "dmn-tck"
SUITES = ("compliance-level-2", "compliance-level-3-tables")
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass
class TckCase:
    suite: str
    model: str  # folder name, e.g. 0004-simpletable-U
    dmn: Path
    case_id: str
    result_name: str
    inputs: dict[str, Any]
    expected: Any
    error_expected: bool
    is_table: bool  # the decision under test is a decision table

    @property
    def test_id(self) -> str:
        return f"{self.suite}/{self.model}/{self.case_id}/{self.result_name}"


def _local(el: Any) -> str:
    return etree.QName(el).localname


def kids(el: Any, name: str) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def parse_value(node: Any) -> Any:
    """A <value>, <component>s or <list> holder (inputNode, expected, item, component)."""
    value = kids(node, "value")
    if value:
        return _typed(value[0])
    lists = kids(node, "list")
    if lists:
        return [parse_value(item) for item in kids(lists[0], "item")]
    comps = kids(node, "component")
    if comps:
        return {c.get("name"): parse_value(c) for c in comps}
    return None


@dataclass(frozen=True)
class Unreadable:
    """A TCK value careflow's parsers refuse (the case then fails, visibly)."""

    kind: str
    text: str


def _typed(el: Any) -> Any:
    try:
        return _typed_value(el)
    except FeelError:
        return Unreadable((el.get(XSI_TYPE) or "").split(":")[-1], el.text or "")


def _typed_value(el: Any) -> Any:
    if el.get(XSI_NIL) == "true":
        return None
    if kids(el, "component") or kids(el, "list"):
        return parse_value(el)
    text = el.text or ""
    kind = (el.get(XSI_TYPE) or "xsd:string").split(":")[-1]
    if kind in ("decimal", "double", "integer", "int", "long", "float"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return parse_date(text)
    if kind == "dateTime":
        return parse_date_time(text)
    if kind == "time":
        return parse_time(text)
    if kind == "duration":
        return parse_duration(text)
    return text


def _table_decisions(dmn: Path) -> set[str]:
    root = etree.parse(str(dmn), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    out = set()
    for el in root.getroot():
        if isinstance(el.tag, str) and _local(el) == "decision":
            if any(isinstance(c.tag, str) and _local(c) == "decisionTable" for c in el):
                out.add(el.get("name"))
    return out


def cases() -> Iterator[TckCase]:
    for suite in SUITES:
        for folder in sorted((TCK / suite).iterdir()):
            if not folder.is_dir():
                continue
            dmn = next(folder.glob("*.dmn"))
            tables = _table_decisions(dmn)
            for test_file in sorted(folder.glob("*-test-*.xml")):
                root = etree.parse(str(test_file)).getroot()
                for tc in kids(root, "testCase"):
                    inputs = {n.get("name"): parse_value(n) for n in kids(tc, "inputNode")}
                    for rn in kids(tc, "resultNode"):
                        expected_el = kids(rn, "expected")
                        expected = parse_value(expected_el[0]) if expected_el else None
                        yield TckCase(suite, folder.name, dmn, tc.get("id") or "?", rn.get("name"), inputs,
                                      expected, rn.get("errorResult") == "true", rn.get("name") in tables)


def same(actual: Any, expected: Any) -> bool:
    """TCK comparison: numbers with a small tolerance, everything else exactly."""
    if expected is None:
        return actual is None
    if isinstance(expected, Decimal):
        if isinstance(actual, bool) or not isinstance(actual, (int, float, Decimal)):
            return False
        a = Decimal(str(actual)) if isinstance(actual, float) else Decimal(actual)
        return abs(a - expected) <= max(Decimal("1e-9"), abs(expected) * Decimal("1e-8"))
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and all(
            same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, (dt.date, dt.time, dt.timedelta)):  # a date is not a date and time
        return type_name(actual) == type_name(expected) and actual == expected
    return type(actual) is type(expected) and actual == expected
