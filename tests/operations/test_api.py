"""The operators' API: the same roles as the pages (admins and quality leads; 403 for others), clear
4xx answers, and one audit row for every operator action."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflows.models import AuditEvent, TimerRow, utcnow
from workflows.operations import OPERATOR_ACTIONS

from .support import fix_divisor, open_incident, start_sharing


def _operator_rows(svc):
    with svc.db.reading() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.in_(list(OPERATOR_ACTIONS)))
                                    .order_by(AuditEvent.id)))


def test_reading_endpoints_are_for_admins_and_quality_leads(as_user, svc):
    case = start_sharing(svc, "Role Example", divisor=0)
    incident = open_incident(svc, case.id)
    paths = ["/operations/incidents", f"/operations/incidents/{incident.id}", "/operations/stalled",
             "/operations/audit", "/decision-log", "/operations/heatmap/ops_sharing",
             f"/instances/{case.id}/move-targets"]
    for username in ("ada.admin", "quinn.lead"):
        api = as_user(username)
        for path in paths:
            assert api.get(path).status_code == 200, (username, path)
    for username in ("casey.worker", "morgan.manager"):
        api = as_user(username)
        for path in paths:
            assert api.get(path).status_code == 403, (username, path)
    changes = [f"/instances/{case.id}/suspend", f"/instances/{case.id}/resume", f"/instances/{case.id}/cancel",
               f"/instances/{case.id}/move", f"/operations/incidents/{incident.id}/retry",
               f"/operations/incidents/{incident.id}/resolve", "/operations/incidents/retry"]
    for path in changes:
        assert as_user("casey.worker").post(path, json={"reason": "x"}).status_code == 403, path


def test_every_operator_action_writes_one_audit_row_naming_who_and_why(as_user, svc):
    api = as_user("ada.admin")
    waiting = start_sharing(svc, "Audit One")
    failing = start_sharing(svc, "Audit Two", divisor=0)
    batch = start_sharing(svc, "Audit Three", divisor=0)
    steps = [
        ("instance_suspended", lambda: api.post(f"/instances/{waiting.id}/suspend", json={"reason": "r1"})),
        ("instance_resumed", lambda: api.post(f"/instances/{waiting.id}/resume", json={"reason": "r2"})),
        ("instance_moved", lambda: api.post(f"/instances/{waiting.id}/move", json={
            "elementId": "record_amount", "data": {"note": "n"}, "reason": "r3"})),
        ("incident_retried", lambda: api.post(f"/operations/incidents/{open_incident(svc, failing.id).id}/retry",
                                              json={"data": {"amount": 10, "divisor": 2}})),
        ("incident_resolved", lambda: api.post(
            f"/operations/incidents/{open_incident(svc, batch.id).id}/resolve", json={"reason": "r4"})),
        ("instance_cancelled", lambda: api.post(f"/instances/{waiting.id}/cancel", json={"reason": "r5"})),
    ]
    for kind, call in steps:
        before = _operator_rows(svc)
        response = call()
        assert response.status_code == 200, (kind, response.json)
        after = _operator_rows(svc)
        new = after[len(before):]
        assert [r.action for r in new] == [kind], kind
        assert new[0].actor == "ada.admin"
    # A batch retry: one row per incident retried.
    cases = [start_sharing(svc, f"Batch {i}", divisor=0) for i in range(3)]
    ids = [open_incident(svc, c.id).id for c in cases]
    for c in cases:
        fix_divisor(svc, c.id, 5)
    before = _operator_rows(svc)
    results = api.post("/operations/incidents/retry", json={"incidentIds": ids}).json["results"]
    assert [r["ok"] for r in results] == [True, True, True]
    assert [r.action for r in _operator_rows(svc)[len(before):]] == ["incident_retried"] * 3
    reasons = [r.data.get("reason") for r in _operator_rows(svc) if r.action != "incident_retried"]
    assert reasons == ["r1", "r2", "r3", "r4", "r5"]
    listed = api.get("/operations/audit?person=ada.admin&kind=instance_moved").json["actions"]
    assert len(listed) == 1 and listed[0]["reason"] == "r3" and listed[0]["caseReference"] == waiting.case_reference


def test_api_mistakes_are_clear_4xx(as_user, svc):
    api = as_user("quinn.lead")
    case = start_sharing(svc, "Mistake Example")
    assert api.post(f"/instances/{case.id}/suspend", json={}).status_code == 422
    assert api.post(f"/instances/{case.id}/suspend", json={"reason": 5}).status_code == 422
    assert api.post(f"/instances/{case.id}/move", json={"reason": "r"}).status_code == 422
    assert api.post(f"/instances/{case.id}/move", json={"elementId": "nope", "reason": "r"}).status_code == 422
    assert api.post(f"/instances/{case.id}/move", json={"elementId": "record_amount", "data": [1],
                                                        "reason": "r"}).status_code == 422
    assert api.post(f"/instances/{case.id}/resume", json={"reason": "r"}).status_code == 409
    assert api.post("/instances/nope/suspend", json={"reason": "r"}).status_code == 404
    assert api.post("/operations/incidents/retry", json={"incidentIds": "1"}).status_code == 422
    assert api.post("/operations/incidents/retry", json={"incidentIds": [True]}).status_code == 422
    assert api.post("/operations/incidents/retry", json={"incidentIds": list(range(500))}).status_code == 422
    assert api.post("/operations/incidents/999/resolve", json={"reason": "r"}).status_code == 404
    assert api.get("/operations/audit?from=soon").status_code == 422
    assert api.get("/operations/audit?kind=anything").status_code == 422
    assert api.get("/decision-log?to=later").status_code == 422
    assert api.get("/operations/heatmap/ops_sharing?days=2").status_code == 422
    assert api.get("/operations/heatmap/unknown").status_code == 404
    response = api.client.post(f"/api/v1/instances/{case.id}/suspend", data="{bad", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {api.token}"})
    assert response.status_code == 400


def test_suspend_by_api_holds_a_due_timer_until_resume(as_user, svc):
    api = as_user("ada.admin")
    case = start_sharing(svc, "Timer Example")
    api.post(f"/instances/{case.id}/suspend", json={"reason": "hold"})
    with svc.db.transaction() as session:
        timer = session.scalars(select(TimerRow).where(TimerRow.instance_id == case.id)).one()
        timer.due_at = utcnow() - timedelta(minutes=1)
    assert svc.runtime.fire_due_timers() == 0
    resumed = api.post(f"/instances/{case.id}/resume", json={"reason": "go"}).json
    assert resumed["status"] == "running" and [t["name"] for t in resumed["openTasks"]] == ["review_share"]


def test_a_failed_message_is_sent_again_by_a_quality_lead_with_one_audit_row(as_user, svc, signed_in):
    from workflows.models import OutboxMessage

    case = start_sharing(svc, "Message Example")
    with svc.db.transaction() as session:
        message = OutboxMessage(instance_id=case.id, idempotency_key="test:1", channel="email",
                                recipient="family@example.org", template="referral_acknowledged", state="incident",
                                attempts=8, last_error="SMTP refused: mailbox unavailable")
        session.add(message)
        session.flush()
        message_id = message.id
    page = signed_in("quinn.lead").get("/operations/incidents")
    assert "could not be delivered after 8 attempts" in page.text and "mailbox unavailable" in page.text
    assert as_user("casey.worker").post(f"/operations/messages/{message_id}/retry").status_code == 403
    before = _operator_rows(svc)
    sent = as_user("quinn.lead").post(f"/operations/messages/{message_id}/retry")
    assert sent.status_code == 200 and sent.json["state"] == "pending" and sent.json["attempts"] == 0
    new = _operator_rows(svc)[len(before):]
    assert [(r.action, r.actor) for r in new] == [("message_retried", "quinn.lead")]
    assert as_user("quinn.lead").post(f"/operations/messages/{message_id}/retry").status_code == 409  # already waiting
    assert as_user("quinn.lead").post("/operations/messages/4242/retry").status_code == 404
