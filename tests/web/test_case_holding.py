"""A case someone holds stays with them: a caseworker's claim of one of its steps (API or page) gives
them the step only, and the inbox, the task page and the claim itself say who holds the case."""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from .support import csrf_token

DETAILS = {"personName": "Avery Held", "dateOfBirth": "1944-05-06", "contactMethod": "PHONE", "hasCarer": False}


def _start(services: Any, name: str = "Avery Held") -> Any:
    return services.runtime.start("web_two_steps", {"personName": name}, actor="morgan.manager")


def _open_task(services: Any, instance_id: str) -> Any:
    from sqlalchemy import select

    from workflows.models import TaskRow

    with services.db.reading() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                     TaskRow.state == "open")).one()


def _holder(services: Any, case_reference: str) -> str | None:
    from workflows import casework

    with services.db.reading() as session:
        return casework.allocated_worker(session, case_reference)


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _post(client: Any, url: str, page_url: str = "/", **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client.get(page_url).text), **data})


def _hold(client: Any, case: Any) -> None:
    """Press "Hold this case" on the case page."""
    page = client.get(f"/cases/{case.id}").text
    assert "Hold this case" in page
    assert _post(client, f"/cases/{case.id}/allocation", f"/cases/{case.id}", action="take").status_code == 302


def _api(web_app: Any, services: Any, username: str) -> Any:
    from tests.conftest import Api
    from workflows.identity import issue_token

    return Api(web_app.test_client(), issue_token(services.db, username), username)


def test_a_claim_by_api_in_a_case_a_quality_lead_holds_takes_the_step_only(web_app, web_services, client_as):
    case = _start(web_services)
    _hold(client_as("quinn.lead"), case)
    assert _holder(web_services, case.case_reference) == "quinn.lead"
    step = _open_task(web_services, case.id)
    casey = _api(web_app, web_services, "casey.worker")
    assert casey.get(f"/tasks/{step.id}").json["caseHeldBy"] == "quinn.lead"
    claimed = casey.post(f"/tasks/{step.id}/claim")
    assert claimed.status_code == 200
    assert (claimed.json["assignee"], claimed.json["caseHeldBy"]) == ("casey.worker", "quinn.lead")
    assert _holder(web_services, case.case_reference) == "quinn.lead"
    # Completing the step does not move the case either; the next step (not the lead's team) is the team's.
    assert casey.post(f"/tasks/{step.id}/complete", json={"data": DETAILS}).status_code == 200
    assert _holder(web_services, case.case_reference) == "quinn.lead"
    assert _open_task(web_services, case.id).assignee is None


def test_a_claim_on_the_pages_says_who_holds_the_case_and_leaves_it_with_them(web_services, client_as):
    case = _start(web_services)
    _hold(client_as("quinn.lead"), case)
    step = _open_task(web_services, case.id)
    casey = client_as("casey.worker")
    inbox = _text(casey.get("/").text)
    assert f"{case.case_reference} Held by Quinn Lead" in inbox
    page = _text(casey.get(f"/tasks/{step.id}").text)
    assert "Case held by Quinn Lead" in page
    assert "Quinn Lead holds this case. Claiming gives you this task only: the case stays with them." in page
    claimed = _post(casey, f"/tasks/{step.id}/claim")
    assert claimed.status_code == 302
    assert ("You have claimed ‘Check the person's details’ for Avery Held. Quinn Lead holds the case, so it stays "
            "with them: you have this task only.") in _text(casey.get(claimed.location).text)
    assert _open_task(web_services, case.id).assignee == "casey.worker"
    assert _holder(web_services, case.case_reference) == "quinn.lead"
    assert "Quinn Lead" in _text(casey.get(f"/cases/{case.id}").text)


def test_claiming_from_the_task_form_says_who_holds_the_case(web_services, client_as):
    case = _start(web_services)
    _hold(client_as("quinn.lead"), case)
    step = _open_task(web_services, case.id)
    casey = client_as("casey.worker")
    done = _post(casey, f"/tasks/{step.id}", f"/tasks/{step.id}", action="claim", personName="Avery Held")
    assert done.status_code == 302
    assert "Quinn Lead holds the case, so it stays with them" in _text(casey.get(done.location).text)
    assert _holder(web_services, case.case_reference) == "quinn.lead"


def test_released_the_case_goes_to_the_next_caseworker_who_claims_a_step(web_services, client_as):
    case = _start(web_services)
    lead = client_as("quinn.lead")
    _hold(lead, case)
    assert _post(lead, f"/cases/{case.id}/allocation", f"/cases/{case.id}", action="release").status_code == 302
    step = _open_task(web_services, case.id)
    casey = client_as("casey.worker")
    page = _text(casey.get(f"/tasks/{step.id}").text)
    assert "Case held by Nobody: the case's steps go to the team" in page and "holds this case" not in page
    claimed = _post(casey, f"/tasks/{step.id}/claim")
    assert "holds the case" not in _text(casey.get(claimed.location).text)
    assert _holder(web_services, case.case_reference) == "casey.worker"
    assert "Case held by You" in _text(casey.get(f"/tasks/{step.id}").text)


def test_a_case_a_caseworker_holds_is_not_taken_by_a_colleagues_claim_either(web_app, web_services, client_as):
    case = _start(web_services)
    _hold(client_as("casey.worker"), case)
    step = _open_task(web_services, case.id)
    assert step.assignee is None  # opened before the hold
    sam = _api(web_app, web_services, "sam.support")
    assert sam.post(f"/tasks/{step.id}/claim").json["caseHeldBy"] == "casey.worker"
    assert _holder(web_services, case.case_reference) == "casey.worker"
    # A manager who reassigns the step does move the case (a manager's decision).
    assert _api(web_app, web_services, "morgan.manager").post(
        f"/tasks/{step.id}/reassign", json={"username": "sam.support"}).status_code == 200
    assert _holder(web_services, case.case_reference) == "sam.support"
