"""A multi-instance activity cannot be made to create unbounded work: above the limit its step is an
incident naming the number; a literal cardinality above it is refused when the diagram is validated."""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from tests.conftest import make_app
from workflows.models import Incident

HERE = Path(__file__).resolve().parent / "fixtures"


def test_cardinality_above_the_limit_is_an_incident_and_below_it_runs(tmp_path):
    bpmn = tmp_path / "bpmn"
    (bpmn / "forms").mkdir(parents=True)
    shutil.copy(HERE / "many_reviews.bpmn", bpmn)
    app = make_app(tmp_path, BPMN_DIR=str(bpmn), FORMS_DIR=str(bpmn / "forms"), MAX_MULTI_INSTANCES=50)
    runtime = app.extensions["careflow"].runtime
    fine = runtime.start("many_reviews", {"howMany": 50}, actor="test")
    assert fine.status == "completed"
    too_many = runtime.start("many_reviews", {"howMany": 1_000_000}, actor="test")
    assert too_many.status == "incident"
    with app.extensions["careflow"].db.reading() as s:
        incident = s.scalars(select(Incident).where(Incident.instance_id == too_many.id)).one()
    assert "1000000 instances; the limit is 50" in incident.message
    assert incident.element_id == "review_each"
    app.extensions["careflow"].db.dispose()


def test_a_literal_cardinality_above_the_limit_is_refused_at_validate(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    xml = (HERE / "many_reviews.bpmn").read_text().replace("howMany", "100000")
    response = owner.post("/definitions/validate", json={"bpmn": {"many.bpmn": xml}})
    assert response.status_code == 422, response.json
    assert "above the limit" in response.json["message"] and "review_each" in response.json["message"]
