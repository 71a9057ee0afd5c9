"""Every expression place in a diagram is parsed when it is validated, not only conditions: a
multi-instance cardinality or completion condition and a service task's parameters."""
from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
MANY = (FIXTURES.parent / "long_cases" / "fixtures" / "many_reviews.bpmn").read_text()


@pytest.mark.parametrize("name, xml, element", [
    ("cardinality", MANY.replace("howMany", "__import__('os').getcwd()"), "review_each"),
    ("completion", MANY.replace("</bpmn:loopCardinality>", "</bpmn:loopCardinality><bpmn:completionCondition>"
                                "().__class__</bpmn:completionCondition>"), "review_each"),
    ("service parameter", DEMO.replace("value=\"'urgent_referral'\"", "value=\"().__class__.__bases__\""),
     "alert_duty_team"),
])
def test_a_bad_expression_anywhere_is_refused_with_its_element(users, name, xml, element):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    response = owner.post("/definitions/validate", json={"bpmn": {"checked.bpmn": xml}})
    assert response.status_code == 422, (name, response.json)
    assert response.json["element"] == element and response.json["line"]
