"""The operators' pages through the test client: who may see them, forms with CSRF and reasons,
clear 4xx answers for every mistake a user can make."""
from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from tests.web.support import csrf_token

from .support import audit_rows, instance, open_incident, start_sharing

PAGES = ["/operations/incidents", "/operations/stalled", "/operations/audit", "/decisions",
         "/operations/heatmap", "/operations/heatmap/ops_sharing"]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("path", PAGES)
def test_operators_see_the_pages_and_others_get_403(signed_in, path):
    for username in ("ada.admin", "quinn.lead"):
        assert signed_in(username).get(path).status_code == 200, username
    for username in ("casey.worker", "morgan.manager"):
        assert signed_in(username).get(path).status_code == 403, username


def test_case_repair_page_is_for_operators_only(signed_in, svc):
    case = start_sharing(svc, "Pat Example")
    assert signed_in("casey.worker").get(f"/operations/cases/{case.id}").status_code == 403
    page = signed_in("ada.admin").get(f"/operations/cases/{case.id}")
    assert page.status_code == 200 and "Suspend the case" in page.text and "Move the case" in page.text
    assert signed_in("ada.admin").get("/operations/cases/nope").status_code == 404


def test_suspend_needs_a_reason_and_csrf(signed_in, svc):
    case = start_sharing(svc, "Val Example")
    client = signed_in("ada.admin")
    page = client.get(f"/operations/cases/{case.id}")
    assert client.post(f"/operations/cases/{case.id}/suspend", data={"reason": "x"}).status_code == 400
    empty = client.post(f"/operations/cases/{case.id}/suspend", data={"csrf_token": csrf_token(page.text)})
    assert empty.status_code == 422 and "Enter the reason for this change" in _text(empty.text)
    done = client.post(f"/operations/cases/{case.id}/suspend", data={"csrf_token": csrf_token(page.text),
                                                                   "reason": "Waiting for the family"})
    assert done.status_code == 302 and instance(svc, case.id).status == "suspended"
    again = client.post(f"/operations/cases/{case.id}/suspend", data={"csrf_token": csrf_token(page.text),
                                                                    "reason": "Twice"}, follow_redirects=True)
    assert "Only a running case can be suspended" in _text(again.text)
    assert client.post(f"/operations/cases/{case.id}/explode", data={"csrf_token": csrf_token(page.text),
                                                                   "reason": "x"}).status_code == 404


def test_move_form_errors_are_422(signed_in, svc):
    case = start_sharing(svc, "Mo Example")
    client = signed_in("ada.admin")
    token = csrf_token(client.get(f"/operations/cases/{case.id}").text)
    bad_json = client.post(f"/operations/cases/{case.id}/move", data={
        "csrf_token": token, "elementId": "record_amount", "data": "{not json", "reason": "r"})
    assert bad_json.status_code == 422 and "not valid JSON" in _text(bad_json.text)
    bad_step = client.post(f"/operations/cases/{case.id}/move", data={
        "csrf_token": token, "elementId": "referral_closed", "data": "", "reason": "r"})
    assert bad_step.status_code == 422 and "Choose one of the steps listed" in _text(bad_step.text)
    ok = client.post(f"/operations/cases/{case.id}/move", data={
        "csrf_token": token, "elementId": "record_amount", "data": '{"note": "again"}', "reason": "Wrong amount"})
    assert ok.status_code == 302
    assert audit_rows(svc, case.id, "instance_moved")[0].actor == "ada.admin"


def test_incident_page_edits_data_against_the_form_and_retries(signed_in, svc):
    case = start_sharing(svc, "Noor Example", divisor=0)
    incident = open_incident(svc, case.id)
    client = signed_in("quinn.lead")
    listing = client.get("/operations/incidents")
    assert "A calculation divided by zero" in _text(listing.text) and "Technical detail" in listing.text
    page = client.get(f"/operations/incidents/{incident.id}")
    assert '"divisor": 0' in unescape(page.text)
    token = csrf_token(page.text)
    wrong = client.post(f"/operations/incidents/{incident.id}", data={"csrf_token": token,
                                                                     "data": '{"amount": 300, "divisor": 0}'})
    assert wrong.status_code == 422 and "At least one person must share the amount" in _text(wrong.text)
    right = client.post(f"/operations/incidents/{incident.id}", data={"csrf_token": token,
                                                                     "data": '{"amount": 300, "divisor": 2}'})
    assert right.status_code == 302 and instance(svc, case.id).status == "running"
    assert client.get(f"/operations/incidents/{incident.id}").status_code == 200
    assert client.get("/operations/incidents/99999").status_code == 404


def test_resolve_needs_a_reason(signed_in, svc):
    case = start_sharing(svc, "Ira Example", divisor=0)
    incident = open_incident(svc, case.id)
    client = signed_in("ada.admin")
    token = csrf_token(client.get(f"/operations/incidents/{incident.id}").text)
    empty = client.post(f"/operations/incidents/{incident.id}/resolve", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422
    done = client.post(f"/operations/incidents/{incident.id}/resolve", data={"csrf_token": token,
                                                                            "reason": "Handled by phone"})
    assert done.status_code == 302


def test_batch_retry_without_a_selection_is_a_422(signed_in, svc):
    start_sharing(svc, "Uma Example", divisor=0)
    client = signed_in("ada.admin")
    token = csrf_token(client.get("/operations/incidents").text)
    assert client.post("/operations/incidents/retry", data={"csrf_token": token}).status_code == 422
    assert client.post("/operations/incidents/retry", data={"csrf_token": token,
                                                            "incident": "abc"}).status_code == 422


def test_audit_log_filters_and_exports_csv(signed_in, svc, ops):
    first = start_sharing(svc, "Ada Case")
    second = start_sharing(svc, "Bo Case")
    ops.suspend(first.id, "ada.admin", "=SUM(A1) looks like a formula")
    ops.suspend(second.id, "quinn.lead", "Second reason")
    client = signed_in("ada.admin")
    everything = _text(client.get("/operations/audit").text)
    assert "Second reason" in everything and "looks like a formula" in everything
    by_person = _text(client.get("/operations/audit?person=quinn.lead").text)
    assert "Second reason" in by_person and "looks like a formula" not in by_person
    by_case = _text(client.get(f"/operations/audit?case={first.case_reference}").text)
    assert "looks like a formula" in by_case and "Second reason" not in by_case
    assert "No actions match" in _text(client.get("/operations/audit?kind=instance_cancelled").text)
    assert "No actions match" in _text(client.get("/operations/audit?from=2001-01-01&to=2001-01-02").text)
    assert client.get("/operations/audit?from=yesterday").status_code == 422
    assert client.get("/operations/audit?kind=nonsense").status_code == 422
    exported = client.get("/operations/audit?format=csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.text)))
    # The two suspensions, beside the versions the system deployed from disk at start.
    people = [r for r in rows[1:] if not r[2].startswith("Process deployed")]
    assert rows[0][:3] == ["when (UTC)", "who", "action"] and len(people) == 2
    assert any(r[6].startswith("'=SUM") for r in rows[1:])  # never a live formula in a spreadsheet


def test_heatmap_unknown_process_and_bad_period(signed_in):
    client = signed_in("ada.admin")
    assert client.get("/operations/heatmap/no_such_process").status_code == 404
    assert client.get("/operations/heatmap/ops_sharing?days=3").status_code == 422
    assert client.get("/operations/heatmap/ops_sharing?from=2026-02-01&to=2026-01-01").status_code == 422
    assert client.get("/operations/heatmap/ops_sharing/diagram.bpmn").status_code == 200


def test_a_retry_that_fails_again_says_so_and_opens_the_new_problem(signed_in, svc):
    case = start_sharing(svc, "Ola Example", divisor=0)
    incident = open_incident(svc, case.id)
    client = signed_in("ada.admin")
    token = csrf_token(client.get(f"/operations/incidents/{incident.id}").text)
    again = client.post(f"/operations/incidents/{incident.id}", data={"csrf_token": token, "data": ""})
    assert again.status_code == 302
    newer = open_incident(svc, case.id)
    assert newer.id != incident.id and again.headers["Location"].endswith(f"/operations/incidents/{newer.id}")
    page = _text(client.get(again.headers["Location"]).text)
    assert "There is a problem" in page and "The step failed again" in page and "still stopped" in page
    assert "Success" not in page
