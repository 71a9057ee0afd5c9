"""The web pages through Flask's test client: sign-in, CSRF, access, forms, error pages."""
from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from .support import csrf_token, sign_in


def _start(services: Any, name: str = "Jordan Sample", **kw: Any) -> Any:
    return services.runtime.start("web_two_steps", {"personName": name}, actor="morgan.manager", **kw)


def _open_task(services: Any, instance_id: str) -> str:
    from workflows import queries
    from workflows.models import TaskRow

    with services.db.reading() as session:
        return session.scalars(queries.select(TaskRow.id).where(
            TaskRow.instance_id == instance_id, TaskRow.state == "open")).one()


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# ---- signing in ---------------------------------------------------------------------------------
def test_pages_need_a_signed_in_user(web_app: Any) -> None:
    client = web_app.test_client()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")


def test_sign_in_sets_a_hardened_session_cookie_and_sign_out_ends_it(web_app: Any) -> None:
    web_app.config["SESSION_COOKIE_SECURE"] = True
    client = web_app.test_client()
    response = sign_in(client, "casey.worker")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("careflow_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/").status_code == 200
    page = client.get("/")
    response = client.post("/sign-out", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_cookies_are_secure_by_default_outside_debug_and_testing(tmp_path: Any) -> None:
    from .support import make_web_app

    app = make_web_app(tmp_path, TESTING=False)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    finally:
        app.extensions["careflow"].db.dispose()


def test_a_wrong_password_is_refused_with_the_same_message_as_an_unknown_user(web_app: Any) -> None:
    client = web_app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    wrong = client.post("/sign-in", data={"csrf_token": token, "username": "casey.worker", "password": "nope"})
    unknown = client.post("/sign-in", data={"csrf_token": token, "username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "The user name or password is not right" in _text(wrong.text)
    assert "The user name or password is not right" in _text(unknown.text)
    empty = client.post("/sign-in", data={"csrf_token": token})
    assert "Enter your user name" in _text(empty.text) and "Enter your password" in _text(empty.text)


def test_sign_in_only_redirects_to_this_site(web_app: Any) -> None:
    client = web_app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    response = client.post("/sign-in?next=//evil.example/x", data={
        "csrf_token": token, "username": "casey.worker", "password": "careflow-demo"})
    assert response.headers["Location"] == "/"


# ---- CSRF ---------------------------------------------------------------------------------------
def test_a_form_post_without_the_csrf_token_is_refused(web_services: Any, browser_client: Any) -> None:
    task_id = _open_task(web_services, _start(web_services).id)
    response = browser_client.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 400
    assert "Your form could not be sent" in _text(response.text)
    with web_services.db.reading() as session:
        from workflows.models import TaskRow

        assert session.get(TaskRow, task_id).assignee is None


def test_sign_in_itself_needs_the_csrf_token(web_app: Any) -> None:
    response = web_app.test_client().post("/sign-in", data={"username": "casey.worker", "password": "careflow-demo"})
    assert response.status_code == 400


def test_the_api_needs_no_csrf_token(web_app: Any, users: Any = None) -> None:
    from workflows.identity import issue_token

    token = issue_token(web_app.extensions["careflow"].db, "casey.worker")
    client = web_app.test_client()
    response = client.post("/api/v1/processes/web_two_steps/instances", json={"data": {"personName": "Api Person"}},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


# ---- the inbox ----------------------------------------------------------------------------------
def test_inbox_lists_claimable_work_with_counts_and_filters(web_services: Any, browser_client: Any) -> None:
    _start(web_services, "Jordan Sample")
    _start(web_services, "Robin Decoy")
    text = _text(browser_client.get("/").text)
    assert "Jordan Sample" in text and "Robin Decoy" in text
    assert "2 unassigned in your teams" in text and "0 assigned to you" in text
    filtered = _text(browser_client.get("/?person=jordan").text)
    assert "Jordan Sample" in filtered and "Robin Decoy" not in filtered
    assert "All your work: 1 task" in filtered
    assert "There are no tasks to show with these filters" in _text(browser_client.get("/?process=nothing").text)
    assert browser_client.get("/?page=abc&due=week&view=odd").status_code == 200


def test_inbox_pages(web_services: Any, browser_client: Any) -> None:
    for i in range(27):
        _start(web_services, f"Person {i:02d}")
    first = browser_client.get("/").text
    assert first.count('class="govuk-table__row"') == 26  # header + 25
    assert 'aria-label="Pagination"' in first
    second = browser_client.get("/?page=2").text
    assert second.count('class="govuk-table__row"') == 3


def test_claim_release_and_a_manager_reassigns(web_services: Any, browser_client: Any, client_as: Any) -> None:
    from workflows.models import TaskRow

    task_id = _open_task(web_services, _start(web_services).id)
    token = csrf_token(browser_client.get("/").text)
    response = browser_client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    assert response.headers["Location"] == f"/tasks/{task_id}"
    assert "1 assigned to you" in _text(browser_client.get("/").text)
    # Someone else cannot claim it now.
    sam = client_as("sam.support")
    conflict = sam.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf_token(sam.get("/").text)})
    assert conflict.status_code == 409 and "already claimed by casey.worker" in _text(conflict.text)
    # A caseworker cannot reassign; a manager can, to someone in the task's team.
    refused = sam.post(f"/tasks/{task_id}/reassign", data={"csrf_token": csrf_token(sam.get("/").text),
                                                          "username": "sam.support"})
    assert refused.status_code == 403
    manager = client_as("morgan.manager")
    page = manager.get(f"/tasks/{task_id}")
    assert "Give this task to" in page.text and "Rowan Other" not in page.text
    manager.post(f"/tasks/{task_id}/reassign", data={"csrf_token": csrf_token(page.text), "username": "sam.support"})
    with web_services.db.reading() as session:
        assert session.get(TaskRow, task_id).assignee == "sam.support"
    browser_client.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": token})  # not casey's any more
    released = sam.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": csrf_token(sam.get("/").text)})
    assert released.status_code == 302
    with web_services.db.reading() as session:
        assert session.get(TaskRow, task_id).assignee is None


# ---- the task form ------------------------------------------------------------------------------
def test_form_errors_render_in_the_summary_and_beside_each_field(web_services: Any, browser_client: Any) -> None:
    task_id = _open_task(web_services, _start(web_services).id)
    page = browser_client.get(f"/tasks/{task_id}")
    assert 'value="Jordan Sample"' in page.text  # what the case already knows fills the form
    response = browser_client.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_token(page.text), "action": "complete", "personName": "",
        "dateOfBirth-day": "30", "dateOfBirth-month": "2", "dateOfBirth-year": "2001", "weeklyHours": "200",
        "contacts-count": "1", "contacts-0-phone": "01632 960002"})
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Check the person&#39;s details - careflow</title>" in html
    summary = _text(html.split('class="govuk-error-summary"')[1].split("</ul>")[0])
    for message in ("Enter the person's full name", "Date of birth must be a real date",
                    "Hours of care a week must be 168 or less", "Select how we should contact them",
                    "Select yes if the person has an unpaid carer", "Enter name"):
        assert message in summary
    assert 'href="#dateOfBirth-day"' in html and 'href="#contacts-0-name"' in html
    assert 'id="weeklyHours-error"' in html and 'value="200"' in html and 'value="01632 960002"' in html


def test_complete_moves_the_case_on_and_offers_the_next_task(web_services: Any, browser_client: Any) -> None:
    instance = _start(web_services)
    task_id = _open_task(web_services, instance.id)
    page = browser_client.get(f"/tasks/{task_id}")
    response = browser_client.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_token(page.text), "action": "complete", "personName": "Jordan Sample",
        "dateOfBirth-day": "3", "dateOfBirth-month": "11", "dateOfBirth-year": "1941", "contactMethod": "PHONE",
        "hasCarer": "no", "needs": ["MOBILITY", "NUTRITION"]})
    assert response.status_code == 302
    inbox = browser_client.get("/").text
    next_id = _open_task(web_services, instance.id)
    assert f'href="/tasks/{next_id}"' in inbox and "The next task is ready" in _text(inbox)
    done = browser_client.get(f"/tasks/{task_id}")
    assert "This task was completed by Casey Worker" in _text(done.text)
    again = browser_client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(page.text),
                                                           "action": "complete"})
    assert again.status_code == 409 and "already completed" in _text(again.text)


def test_save_draft_keeps_answers_without_checking_them(web_services: Any, browser_client: Any) -> None:
    task_id = _open_task(web_services, _start(web_services).id)
    page = browser_client.get(f"/tasks/{task_id}")
    response = browser_client.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_token(page.text), "action": "save", "personName": "", "weeklyHours": "lots"})
    assert response.status_code == 302
    again = browser_client.get(f"/tasks/{task_id}").text
    assert 'value="lots"' in again and "saved as a draft" in again


# ---- access and error pages ---------------------------------------------------------------------
def test_missing_things_are_404_pages_and_other_teams_work_is_403(web_services: Any, client_as: Any) -> None:
    task_id = _open_task(web_services, _start(web_services).id)
    instance = _start(web_services, "Robin Decoy")
    other = client_as("rowan.other")
    for path in ("/tasks/nope", "/cases/nope", "/incidents/NOPE", "/no-such-page"):
        response = other.get(path) if not path.startswith("/incidents") else client_as("quinn.lead").get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text and "govuk-template" in response.text
    forbidden = other.get(f"/tasks/{task_id}")
    assert forbidden.status_code == 403 and "You do not have permission" in _text(forbidden.text)
    assert other.get(f"/cases/{instance.id}").status_code == 403
    assert other.get(f"/cases/{instance.id}/diagram.bpmn").status_code == 403
    assert other.get("/incidents").status_code == 403


def test_an_unexpected_error_is_a_designed_500_page_without_a_traceback(web_app: Any, browser_client: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from workflows import queries

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(queries, "task_counts", broken)
    response = browser_client.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "database on fire" not in response.text and "Traceback" not in response.text


def test_the_api_still_answers_json_errors(web_app: Any) -> None:
    response = web_app.test_client().get("/api/v1/tasks")
    assert response.status_code == 401 and response.is_json


# ---- case page and dashboard --------------------------------------------------------------------
def test_case_page_shows_history_decisions_and_the_diagram_source(web_services: Any, client_as: Any) -> None:
    instance = web_services.runtime.start("demo_referral", {}, actor="casey.worker")
    task_id = _open_task(web_services, instance.id)
    client = client_as("casey.worker")
    page = client.get(f"/tasks/{task_id}")
    client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(page.text), "action": "complete",
                                           "personName": "Alex Example", "referralSource": "GP",
                                           "riskToLife": "yes", "livesAlone": "no"})
    case = client.get(f"/cases/{instance.id}")
    text = _text(case.text)
    assert "Alex Example" in text and "Task completed: Record the referral" in text and "by Casey Worker" in text
    assert "Rule that matched" in text and "Risk to life" in text
    assert "&#34;record_referral&#34;" in case.text or "record_referral" in case.text  # completed marker
    xml = client.get(f"/cases/{instance.id}/diagram.bpmn")
    assert xml.mimetype == "application/xml" and b'id="record_referral"' in xml.data


def test_dashboard_renders_with_no_people(web_services: Any, client_as: Any) -> None:
    incident = _start(web_services, "Harbour View", case_reference="PF-TEST-EMPTY")
    response = client_as("quinn.lead").get(f"/incidents/{incident.case_reference}")
    assert response.status_code == 200
    text = _text(response.text)
    assert "0 people affected" in text and "No people are linked to this incident yet" in text


def test_dashboard_counts_people_from_their_summaries(web_services: Any, client_as: Any) -> None:
    from workflows.models import Instance

    incident = _start(web_services, "Seaview", case_reference="PF-TEST-2")
    with web_services.db.transaction() as session:
        session.get(Instance, incident.id).summary = {"closureDate": "2099-01-31", "incidentStatus": "ACTIVE_CLOSURE"}
    for summary in ({"personCaseStatus": "OPEN", "urgency": "CRITICAL", "primaryAction": "COUNCIL_ARRANGES"},
                    {"personCaseStatus": "OPEN", "urgency": "CRITICAL", "madeOwnArrangements": True},
                    {"personCaseStatus": "CLOSED", "endReason": "E1", "urgency": "LOW"}):
        person = _start(web_services, "Person", parent_case_reference="PF-TEST-2")
        with web_services.db.transaction() as session:
            session.get(Instance, person.id).summary = summary
    text = _text(client_as("quinn.lead").get("/incidents/PF-TEST-2").text)
    assert "3 people affected" in text and "1 still without arrangements" in text
    assert "left to closure on 31 January 2099" in text
    assert "Critical 2" in text and "E1 1" in text and "Case still open 2" in text
    listing = _text(client_as("morgan.manager").get("/incidents").text)
    assert "PF-TEST-2" in listing


# ---- OIDC (wired only when configured) ----------------------------------------------------------
def test_oidc_is_offered_only_when_configured(web_app: Any, tmp_path: Any) -> None:
    from .support import make_web_app

    client = web_app.test_client()
    assert "council account" not in client.get("/sign-in").text
    assert client.get("/sign-in/oidc").status_code == 404
    configured = make_web_app(tmp_path / "oidc", OIDC_DISCOVERY_URL="https://idp.example/.well-known/openid-configuration",
                              OIDC_CLIENT_ID="careflow", OIDC_CLIENT_SECRET="not-a-real-secret")
    try:
        page = configured.test_client().get("/sign-in").text
        assert 'href="/sign-in/oidc"' in page and "Sign in with your council account" in page
        assert "council" in configured.extensions["careflow_oidc"]._registry
    finally:
        configured.extensions["careflow"].db.dispose()


def test_progress_chart_goes_weekly_over_a_long_incident() -> None:
    from datetime import UTC, date, datetime, timedelta

    from app.web.dashboard import progress_chart

    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    people = [{"createdAt": start + timedelta(days=i), "completedAt": start + timedelta(days=i + 30)}
              for i in range(0, 200, 10)]
    chart = progress_chart(people, date(2026, 9, 1))
    assert chart is not None and len(chart.rows) < 60
    assert chart.rows[0][1:] == (0, 0) and chart.rows[-1][1:] == (20, 20)
    assert progress_chart([], date(2026, 9, 1)) is None
