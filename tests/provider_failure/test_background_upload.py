"""A long list of affected people is checked and accepted at once (202), and its person cases open in
the background, batch by batch, as the scheduler runs follow-ups; the quality lead watches how far it has
got through the API, the incident's dashboard and its chronology."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from sqlalchemy import func, select

from tests.web.support import PASSWORD, csrf_token, sign_in
from workflows.follow_ups import pending
from workflows.identity import add_user
from workflows.models import AuditEvent, FollowUp, Instance
from workflows.procedures.provider_failure import uploads
from workflows.procedures.provider_failure.models import PeopleUpload

from .conftest import PF
from .test_people_and_cycles import closing_incident
from .test_upload_batches import people


def run_follow_ups(pf: PF) -> None:
    """What a worker's scheduler does: every follow-up due, batch by batch."""
    pf.runtime.run_due_follow_ups()


def opened(pf: PF, incident: str) -> int:
    return pf.counts(incident)["total"]


def test_a_long_list_is_accepted_at_once_and_opened_in_the_background(pf: PF, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    monkeypatch.setattr(pf.runtime, "follow_up_batch", 40)
    incident = closing_incident(pf, "PRV-LONG")
    answer = pf.add_people(incident, people(130))
    assert answer.status_code == 202, answer.json
    body = answer.json
    assert body["status"] == "opening" and body["total"] == 130 and body["remaining"] == 130
    assert body["created"] == 0 and answer.headers["Location"] == body["progressUrl"]
    assert opened(pf, incident) == 0  # nobody yet: the request only checked and kept the list

    progress = pf.api.get(body["progressUrl"][len("/api/v1"):])
    assert progress.status_code == 200 and progress.json["status"] == "opening"

    run_follow_ups(pf)
    done = pf.api.get(body["progressUrl"][len("/api/v1"):]).json
    assert done["status"] == "finished" and done["created"] == 130 and done["remaining"] == 0
    assert done["finishedAt"] and done["requestedBy"] == "quinn.lead"
    assert opened(pf, incident) == 130
    assert set(pf.children(incident)) == {p["personRef"] for p in people(130)}
    with pf.services.db.reading() as s:
        references = s.scalars(select(Instance.case_reference).where(
            Instance.process_id == "provider_failure_person")).all()
        assert len(set(references)) == 130  # numbered once each across batches
        assert not pending(s, uploads.OPEN_PERSON_CASES, str(body["uploadId"]))
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == incident)))
    assert actions.count(uploads.ACCEPTED) == 1 and actions.count(uploads.FINISHED) == 1


def test_a_long_list_with_one_bad_line_keeps_nothing(pf: PF, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    incident = closing_incident(pf, "PRV-BAD")
    listed = people(120)
    listed[77]["role"] = "CHILD"
    answer = pf.add_people(incident, listed)
    assert answer.status_code == 422 and answer.json["errors"][0]["line"] == 78
    with pf.services.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(PeopleUpload)) == 0
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_the_same_list_sent_twice_opens_each_person_once(pf: PF, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    monkeypatch.setattr(pf.runtime, "follow_up_batch", 30)
    incident = closing_incident(pf, "PRV-TWICE")
    first = pf.add_people(incident, people(90)).json
    second = pf.add_people(incident, people(100)).json  # a double click, then a longer list
    run_follow_ups(pf)
    url = lambda b: b["progressUrl"][len("/api/v1"):]  # noqa: E731
    a, b = pf.api.get(url(first)).json, pf.api.get(url(second)).json
    assert a["status"] == b["status"] == "finished"
    assert a["created"] + b["created"] == 100 and a["alreadyOpen"] + b["alreadyOpen"] == 90
    assert opened(pf, incident) == 100


def test_an_incident_that_stops_taking_people_stops_the_list_and_says_so(pf: PF, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    incident = closing_incident(pf, "PRV-STOP")
    body = pf.add_people(incident, people(80)).json
    with pf.services.db.transaction() as s:  # the incident moved on before any batch ran
        row = s.get(Instance, incident)
        row.summary = {**(row.summary or {}), "incidentStatus": "CLOSED"}
    run_follow_ups(pf)
    stopped = pf.api.get(body["progressUrl"][len("/api/v1"):]).json
    assert stopped["status"] == "stopped" and stopped["created"] == 0 and stopped["remaining"] == 80
    assert "not opening person cases" in stopped["stoppedBecause"]
    with pf.services.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 0  # not tried again and again


def test_progress_follows_need_to_know_and_unknown_ids_are_404(pf: PF, users: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    incident = closing_incident(pf, "PRV-NTK")
    other = closing_incident(pf, "PRV-OTHER")
    body = pf.add_people(incident, people(60)).json
    path = body["progressUrl"][len("/api/v1"):]
    outsider = users.make("uma.unrelated", "caseworker", ("childrens_services",))
    assert outsider.get(path).status_code in (403, 404)
    assert pf.api.get(f"/instances/{incident}/affected-people/uploads/999999").status_code == 404
    assert pf.api.get(f"/instances/{other}/affected-people/uploads/{body['uploadId']}").status_code == 404
    assert pf.api.get(f"/instances/{incident}/affected-people/uploads/99999999999999999999").status_code == 404


def test_the_dashboard_and_chronology_show_a_list_being_opened(pf: PF, monkeypatch: Any) -> None:
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 50)
    incident = closing_incident(pf, "PRV-PAGE")
    with pf.services.db.reading() as s:
        case = s.get(Instance, incident).case_reference
    header = "personRef,personName,role,fundingCategory,serviceType\n"
    csv = header + "".join(f"R{i:04d},Resident {i} Example,ADULT,LCC_ARRANGED,HOMECARE\n" for i in range(70))
    add_user(pf.services.db, "quinn.lead", "quality_lead", ["customer_access_service", "qiss", "sqip"],
             password=PASSWORD, exist_ok=True)
    browser = pf.app.test_client()
    sign_in(browser, "quinn.lead")
    token = csrf_token(browser.get(f"/incidents/{case}/people").text)
    sent = browser.post(f"/incidents/{case}/people", data={"csrf_token": token,
                                                          "file": (BytesIO(csv.encode()), "people.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert sent.status_code == 200 and "All 70 people on the list were checked and accepted" in sent.text
    assert "Opening person cases from a list of 70 people" in sent.text and "0 done, 70 to go" in sent.text

    run_follow_ups(pf)
    after = browser.get(f"/incidents/{case}").text
    assert "Opening person cases from a list" not in after and ">70</span> people affected" in after
    history = browser.get(f"/cases/{incident}/chronology")
    assert history.status_code == 200
    assert "List of 70 people accepted" in history.text
    assert "List of people done: 70 person cases opened" in history.text
