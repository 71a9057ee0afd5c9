"""The BPMN MIWG reference diagrams: each validates, or is refused with its file, element and a reason a
process owner can act on (never a 500, a traceback, SpiffWorkflow's raw XML or NotImplementedError); the
executable ones that validate deploy and start."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT

CANDIDATES = [ROOT.parent / "shared" / "conformance" / "bpmn-miwg",
              ROOT.parent.parent / "shared" / "conformance" / "bpmn-miwg"]
MIWG = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
NAMES = sorted(p.name for p in MIWG.glob("*.bpmn")) if MIWG.is_dir() else []


@pytest.mark.skipif(not MIWG.is_dir(), reason="shared/conformance/bpmn-miwg is not beside the repository")
@pytest.mark.parametrize("name", NAMES)
def test_a_reference_diagram_validates_or_is_refused_clearly(drive, name):
    files = {name: (MIWG / name).read_text(encoding="utf-8")}
    answer = drive.owner.post("/definitions/validate", json={"bpmn": files})
    assert answer.status_code in (200, 422), answer.json
    if answer.status_code == 422:
        message = answer.json["message"]
        assert answer.json["file"] == name and answer.json.get("element")
        for raw in ("Traceback", "NotImplementedError", "<Element ", "b'<"):
            assert raw not in message, message
        return
    deployed = drive.owner.post("/definitions/deploy", json={"bpmn": files})
    assert deployed.status_code == 201, deployed.json
    for process in answer.json["processes"]:
        started = drive.worker.post(f"/processes/{process['processId']}/instances", json={"data": {}})
        assert started.status_code == 201, started.json
        assert started.json["status"] in ("running", "completed", "incident")
