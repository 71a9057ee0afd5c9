"""Nothing a process owner sends makes the modeller answer 500."""
from __future__ import annotations

import pytest

JUNK = [None, 1, "x", [], {}, {"xml": 5}, {"xml": "<a/>", "comment": ["c"]}, {"toVersion": "a"},
        {"toVersion": 1, "instanceIds": "x", "reason": "r"}, {"tests": "x"}, {"tests": [{"name": "n", "start": "x"}]},
        {"schema": "x"}, {"schema": {"type": "object", "properties": {"a": {"type": 5}}}, "comment": "c"},
        {"xml": "<definitions xmlns='https://www.omg.org/spec/DMN/20191111/MODEL/'/>", "decisionId": "x"},
        {"xml": "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "comment": "c"}]
POSTS = ["/model/processes/demo_referral/check", "/model/processes/demo_referral/versions",
         "/model/processes/demo_referral/versions/1/deploy", "/model/processes/demo_referral/tests/run",
         "/model/processes/demo_referral/migrations/dry-run", "/model/processes/demo_referral/migrations",
         "/model/migrations/99/revert", "/model/decisions/demo_referral_priority.dmn/versions",
         "/model/decisions/demo_referral_priority.dmn/versions/9/deploy", "/model/decisions/try",
         "/model/forms/referral_details/versions", "/model/forms/referral_details/versions/9/deploy",
         "/model/processes/nope/versions", "/model/forms/..%2Fx/versions"]


@pytest.mark.parametrize("path", POSTS)
def test_junk_never_gets_a_500(owner, path):
    for payload in JUNK:
        answer = owner.post(path, json=payload)
        assert answer.status_code < 500, (path, payload, answer.status_code, answer.json)
    assert owner.put("/model/processes/demo_referral/tests", json={"tests": [{"name": "n", "start": "x"}]}
                     ).status_code == 422


def test_a_scenario_that_makes_the_diagram_fail_is_a_failed_scenario(owner):
    suite = {"tests": [{"name": "odd", "steps": [{"complete": "record_referral", "data": {"personName": 5}}]},
                       {"name": "no such task", "steps": [{"complete": "nope"}]},
                       {"name": "message", "steps": [{"message": "nobody_listens", "payload": {}}]}]}
    owner.put("/model/processes/demo_referral/tests", json=suite)
    result = owner.post("/model/processes/demo_referral/tests/run", json={}).json
    assert [r["passed"] for r in result["results"]] == [False, False, False], result
    failures = [r["failures"][0] for r in result["results"]]
    assert "There is a problem with the form" in failures[0]
    assert "the task 'nope' is not open" in failures[1]
    assert "nobody_listens" in failures[2]
