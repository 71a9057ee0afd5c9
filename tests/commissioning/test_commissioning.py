"""Provider register (CQC directory import, vacancies), matching, and commissioning requests."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.wiring import build_scheduler
from handlers.commissioning_tables import CommissioningRequest
from handlers.providers import ProviderRegister, RegisterError, classify, read_cqc_directory
from tests.conftest import Api
from tests.timers.helpers import FIXTURES, fixture_app
from tests.timers.servers import SmtpSink
from workflows.identity import add_user, issue_token
from workflows.models import AuditEvent, Instance, OutboxMessage

CSV = (FIXTURES / "cqc_directory_sample.csv").read_text()


@pytest.fixture
def svc(tmp_path, database_url):
    app = fixture_app(tmp_path, "commission_alternatives.bpmn", database_url=database_url)
    services = app.extensions["careflow"]
    services.app = app
    yield services
    services.db.dispose()


@pytest.fixture
def register(svc):
    reg = ProviderRegister(svc.db)
    reg.import_cqc(CSV, framework_ids={"1-000000004"})
    reg.set_vacancies("1-000000001", {"residential": 2, "nursing": 1})
    reg.set_vacancies("1-000000002", {"residential": 4})
    reg.set_vacancies("1-000000003", {"nursing": 3})
    reg.set_vacancies("1-000000004", {"homecare_hours": 40})
    reg.set_vacancies("1-000000005", {"homecare_hours": 80})  # not on the framework
    reg.set_vacancies("1-000000006", {"residential": 9, "nursing": 9})  # the failing provider
    return reg


def api(svc, username, role):
    add_user(svc.db, username, role, [], exist_ok=True)
    return Api(svc.app.test_client(), issue_token(svc.db, username), username)


def test_cqc_directory_layout_is_read_and_classified():
    rows = read_cqc_directory(CSV)
    assert len(rows) == 7 and rows[0]["Name"] == "Larkspur House"
    assert classify("Nursing homes|Residential homes") == ("nursing_home", True)
    assert classify("Residential homes") == ("care_home", False)
    assert classify("Homecare agencies") == ("homecare", False)
    assert classify("Dentist") == (None, False)
    with pytest.raises(RegisterError, match="not a CQC"):
        read_cqc_directory("a,b,c\n1,2,3\n")


def test_import_adds_then_updates_and_skips_other_services(svc):
    reg = ProviderRegister(svc.db)
    assert reg.import_cqc(CSV).as_dict() == {"added": 6, "updated": 0, "skipped": 1}
    assert reg.import_cqc(CSV).as_dict() == {"added": 0, "updated": 6, "skipped": 1}
    homes = reg.list(service_type="nursing_home")
    assert {p["name"] for p in homes} == {"Larkspur House", "Thistle Lodge", "Failing Oaks"}
    assert next(p for p in homes if p["name"] == "Larkspur House")["specialisms"] == [
        "Dementia", "Caring for adults over 65 yrs"]


def test_matching_by_type_nursing_area_vacancy_and_framework(register):
    residential = register.match("care_home", area="Exampleshire", exclude=["1-000000006"])
    assert [p["name"] for p in residential] == ["Bramble Court", "Larkspur House"]  # most room first
    nursing = register.match("care_home", nursing=True, area="Exampleshire", exclude=["1-000000006"])
    assert [p["name"] for p in nursing] == ["Larkspur House"]
    assert [p["name"] for p in register.match("nursing_home")] == ["Failing Oaks", "Thistle Lodge", "Larkspur House"]
    homecare = register.match("homecare", area="Exampleshire", hours_needed=10)
    assert [p["name"] for p in homecare] == ["Heron Homecare"]  # Kestrel is not on the framework
    assert register.match("homecare", area="Exampleshire", hours_needed=41) == []
    register.set_details("1-000000001", rating="Outstanding")
    assert register.match("care_home", area="Exampleshire")[0]["name"] == "Larkspur House"
    with pytest.raises(RegisterError):
        register.match("hospital")
    with pytest.raises(RegisterError):
        register.set_vacancies("1-000000001", {"residential": -1})


def test_process_matches_commissions_and_the_request_moves_through_its_states(svc, register):
    register.set_details("1-000000002", email="admissions@bramble.example.org")
    smtp = SmtpSink().start()
    try:
        row = svc.runtime.start("commission_alternatives", {
            "serviceType": "care_home", "nursing": False, "area": "Exampleshire", "failingLocationId": "1-000000006",
            "personName": "Alex Example", "personReference": "P-1", "startDate": "2026-12-01"})
        with svc.db.reading() as s:
            assert s.get(Instance, row.id).status == "completed"
        data = svc.runtime.instance_data(row.id)
        assert data["chosen"] == "1-000000002" and data["matched"]["alternativesFound"] == 2
        scheduler = build_scheduler(svc, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port}, escalations=False)
        scheduler.run_outbox()
        scheduler.run_outbox()  # delivering a second time changes nothing
        with svc.db.reading() as s:
            [request] = s.scalars(select(CommissioningRequest)).all()
            assert (request.state, request.person_name, request.instance_id) == ("raised", "Alex Example", row.id)
            assert {m.state for m in s.scalars(select(OutboxMessage))} == {"sent"}
        [letter] = smtp.messages
        assert letter["To"] == "admissions@bramble.example.org" and "Alex Example" in letter["Subject"]
    finally:
        smtp.stop()
    lead = api(svc, "quinn.lead", "quality_lead")
    listed = lead.get("/commissioning?state=raised").get_json()["requests"]
    assert [r["id"] for r in listed] == [request.id]
    assert lead.post(f"/commissioning/{request.id}/state", json={"state": "placed"}).status_code == 409
    assert lead.post(f"/commissioning/{request.id}/state", json={"state": "lost"}).status_code == 422
    assert lead.post(f"/commissioning/{request.id}/state", json={"state": "acknowledged"}).status_code == 200
    done = lead.post(f"/commissioning/{request.id}/state", json={"state": "placed", "note": "Room 4"}).get_json()
    assert done["state"] == "placed" and [h["state"] for h in done["history"]] == ["raised", "acknowledged", "placed"]
    assert lead.post("/commissioning/9999/state", json={"state": "placed"}).status_code == 404
    assert api(svc, "casey", "caseworker").post(f"/commissioning/{request.id}/state",
                                                json={"state": "declined"}).status_code == 403
    with svc.db.reading() as s:
        actions = [a.action for a in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id))]
        assert {"commissioning_raised", "commissioning_acknowledged", "commissioning_placed"} <= set(actions)


def test_no_alternative_is_an_incident_not_a_crash(svc, register):
    row = svc.runtime.start("commission_alternatives", {
        "serviceType": "homecare", "nursing": False, "area": "Nowhere", "failingLocationId": "x",
        "personName": "Sam", "personReference": "P-2", "startDate": "2026-12-01"})
    with svc.db.reading() as s:
        assert s.get(Instance, row.id).status == "incident"


def test_provider_api(svc, register):
    lead = api(svc, "quinn.lead", "quality_lead")
    worker = api(svc, "casey", "caseworker")
    assert worker.post("/providers/import").status_code == 403
    answer = lead.client.post("/api/v1/providers/import", data=CSV, headers={
        "Authorization": f"Bearer {lead.token}", "Content-Type": "text/csv"})
    assert answer.status_code == 200 and answer.get_json() == {"added": 0, "updated": 6, "skipped": 1}
    bad = lead.client.post("/api/v1/providers/import", data="nope", headers={"Authorization": f"Bearer {lead.token}"})
    assert bad.status_code == 422
    assert lead.put("/providers/1-000000003/vacancies", json={"nursing": 0}).get_json()["vacancies"] == {"nursing": 0}
    assert lead.put("/providers/1-000000003/vacancies", json={"nursing": "many"}).status_code == 422
    assert lead.put("/providers/nope/vacancies", json={"nursing": 1}).status_code == 404
    found = worker.get("/providers/match?serviceType=nursing_home&exclude=1-000000006").get_json()["alternatives"]
    assert [p["name"] for p in found] == ["Larkspur House"]
    assert worker.get("/providers/match?serviceType=spaceship").status_code == 422
    assert len(worker.get("/providers?serviceType=homecare").get_json()["providers"]) == 2
