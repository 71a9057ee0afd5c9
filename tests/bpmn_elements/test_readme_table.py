"""README's table of BPMN elements stays true: every row's diagram exists, holds the element, is driven by a
test, and validates (a row that says "runs") or is refused naming the element and line ("refused")."""
from __future__ import annotations

import re

from tests.bpmn_elements.conftest import FIXTURES
from tests.conftest import ROOT

TESTS = "".join(p.read_text(encoding="utf-8") for p in FIXTURES.parent.glob("test_*.py")
                if p.name != "test_readme_table.py")


def table_rows() -> list[dict[str, object]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split("<!-- bpmn-elements:start -->", 1)[1].split("<!-- bpmn-elements:end -->", 1)[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        element, token, status, diagrams = cells
        rows.append({"element": element, "token": token.strip("`"), "status": status,
                     "diagrams": re.findall(r"`([^`]+\.bpmn)`", diagrams)})
    return rows


def test_the_table_covers_the_palette_and_each_row_says_runs_or_refused():
    rows = table_rows()
    assert len(rows) >= 40
    for row in rows:
        if not row["diagrams"]:
            assert "versions branch" in str(row["status"]), row  # the one row another branch makes true
            continue
        assert str(row["status"]).startswith(("runs", "refused at validate (")), row


def test_every_row_names_diagrams_that_hold_the_element_and_that_a_test_drives():
    for row in table_rows():
        for name in row["diagrams"]:
            assert (FIXTURES / name).is_file(), name
            assert name in TESTS, f"{name} is not driven by any test"
        if row["diagrams"]:
            texts = [(FIXTURES / n).read_text(encoding="utf-8") for n in row["diagrams"]]
            pattern = rf"<{re.escape(str(row['token']))}[\s/>]"
            assert any(re.search(pattern, t) for t in texts), f"{row['element']}: no {row['token']} in its diagrams"


def test_rows_that_run_validate_and_rows_refused_are_refused_naming_element_and_line(drive):
    drive.deploy("call_callee.bpmn", "band.dmn")
    for row in table_rows():
        for name in row["diagrams"]:
            dmn = drive.files("band.dmn") if name == "service_and_rule.bpmn" else {}
            answer = drive.owner.post("/definitions/validate", json={"bpmn": drive.files(name), "dmn": dmn})
            if str(row["status"]).startswith("runs"):
                assert answer.status_code == 200, (row["element"], answer.json)
            else:
                assert answer.status_code == 422, row["element"]
                assert answer.json["element"] and answer.json["line"] and answer.json["file"] == name
