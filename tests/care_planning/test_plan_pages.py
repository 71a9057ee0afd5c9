"""The plan pages through Flask's test client: edit the plan in the inbox (line items added, changed and
removed with the totals shown, details saved as a draft), see it read-only from the case, and download
the copy as a tagged PDF."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import PASSWORD, csrf_token, make_web_app, sign_in

FACTS = {"personRef": "P-W1", "personName": "Mx W (invented)", "assessmentFinalised": True, "indicativeWeekly": 300,
         "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
         "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
         "orDetermined": "THIS_COUNCIL", "allocatedWorker": "wren.worker"}


@pytest.fixture
def planning(tmp_path: Path) -> Any:
    from workflows.identity import add_user

    app = make_web_app(tmp_path)
    services = app.extensions["careflow"]
    add_user(services.db, "wren.worker", "caseworker", ["allocated_worker"], display_name="Wren Worker",
             password=PASSWORD, exist_ok=True)
    case = services.runtime.correlate_message("assessment_finalised", {}, FACTS, actor="wren.worker")["started"][0]
    yield app, case
    services.db.dispose()


def _post(client: Any, page_url: str, url: str, data: dict[str, Any]) -> Any:
    token = csrf_token(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **data})


def test_edit_line_items_and_see_the_plan(planning: Any) -> None:
    app, case = planning
    client = app.test_client()
    sign_in(client, "wren.worker")
    edit = f"/cases/{case}/plan/edit"
    page = client.get(edit)
    assert page.status_code == 200 and "No line items yet" in page.text
    for description, cost in (("Home care", "150"), ("Day centre", "60.50"), ("Lunch club", "20")):
        r = _post(client, edit, f"/cases/{case}/plan/lines", {"description": description,
                                                              "budgetOption": "COUNCIL_MANAGED",
                                                              "weeklyCost": cost, "frequency": "weekly"})
        assert r.status_code == 302
    page = client.get(edit).text
    assert "£230.50 a week" in page and "less than the indicative budget" in page
    bad = _post(client, edit, f"/cases/{case}/plan/lines", {"description": "Taxi", "budgetOption": "",
                                                            "weeklyCost": "ten"})
    assert bad.status_code == 422 and "There is a problem" in bad.text
    line_ids = re.findall(r'/plan/lines/(\d+)"', page)
    assert len(line_ids) == 3
    changed = _post(client, edit, f"/cases/{case}/plan/lines/{line_ids[0]}",
                    {"action": "change", "description": "Home care", "budgetOption": "COUNCIL_MANAGED",
                     "weeklyCost": "170"})
    assert changed.status_code == 302 and "£250.50 a week" in client.get(edit).text
    _post(client, edit, f"/cases/{case}/plan/lines/{line_ids[2]}", {"action": "remove"})
    assert "£230.50 a week" in client.get(edit).text and "Lunch club" not in client.get(edit).text
    saved = _post(client, edit, f"/cases/{case}/plan/details", {"strengths": "Enjoys gardening with neighbours",
                                                                "personContributionWeekly": "25"})
    assert saved.status_code == 302
    view = client.get(f"/cases/{case}/plan").text
    assert "Enjoys gardening" in client.get(edit).text
    assert "Day centre" in view and "£205.50 a week" in view  # the council pays the rest
    assert "See the care and support plan" in client.get(f"/cases/{case}").text
    pdf = client.get(f"/cases/{case}/plan/copy.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.headers["X-Content-SHA256"]
    assert "care-plan-" in client.get(f"/cases/{case}/plan").text  # the stored copies are listed
    assert ".pdf</a>" in client.get(f"/cases/{case}").text  # on the case page too


def test_other_teams_cannot_change_the_plan(planning: Any) -> None:
    app, case = planning
    client = app.test_client()
    sign_in(client, "rowan.other")
    assert client.get(f"/cases/{case}/plan").status_code == 403
    client = app.test_client()
    sign_in(client, "casey.worker")
    assert client.get(f"/cases/{case}/plan/edit").status_code == 403


def test_store_a_signed_fin107_from_the_plan_page(planning: Any) -> None:
    import io

    app, case = planning
    client = app.test_client()
    sign_in(client, "wren.worker")
    view = f"/cases/{case}/plan"

    def send(kind: str, content: bytes, name: str) -> Any:
        token = csrf_token(client.get(view).text)
        return client.post(f"/cases/{case}/plan/documents", content_type="multipart/form-data",
                           data={"csrf_token": token, "kind": kind, "signed": "yes",
                                 "file": (io.BytesIO(content), name)})

    wrong = send("FIN107", b"GIF89a not allowed", "fin107.gif")
    assert wrong.status_code == 422 and "Upload a PDF, PNG or JPEG file" in wrong.text
    assert send("", b"%PDF-1.4 x", "fin107.pdf").status_code == 422
    stored = send("FIN107", b"%PDF-1.4 signed (invented)", "fin107.pdf")
    assert stored.status_code == 302
    assert "fin107-fin107.pdf" in client.get(view).text


def test_needs_outcomes_risks_and_options_from_the_pages(planning: Any) -> None:
    app, case = planning
    client = app.test_client()
    sign_in(client, "wren.worker")
    edit = f"/cases/{case}/plan/edit"
    assert _post(client, edit, f"/cases/{case}/plan/sections/needs",
                 {"description": "Preparing meals", "eligible": "yes", "howMet": "Home care"}).status_code == 302
    assert _post(client, edit, f"/cases/{case}/plan/sections/options",
                 {"description": "Live-in care", "weeklyCost": "900", "chosen": "no",
                  "rationale": "Costs more than meets the needs"}).status_code == 302
    assert _post(client, edit, f"/cases/{case}/plan/sections/risks",
                 {"risk": "Falls at night", "contingency": "Pendant alarm",
                  "contactName": "Neighbour (invented)", "contactPhone": "01632 960002"}).status_code == 302
    bad = _post(client, edit, f"/cases/{case}/plan/sections/options", {"description": "x", "weeklyCost": "lots"})
    assert bad.status_code == 422
    assert _post(client, edit, f"/cases/{case}/plan/sections/pets", {}).status_code == 400
    page = client.get(edit).text
    assert "Preparing meals" in page and "Live-in care (£900.00 a week)" in page and "Falls at night" in page
    # An unanswered yes/no stays unknown: no radio is chosen for the worker.
    assert 'type="radio" value="yes" checked' not in page
    assert _post(client, edit, f"/cases/{case}/plan/sections/needs", {"remove": "0"}).status_code == 302
    assert "Preparing meals" not in client.get(edit).text


def test_two_people_editing_the_plan_page_the_second_is_told_and_keeps_their_text(planning: Any) -> None:
    from workflows.identity import add_user

    app, case = planning
    add_user(app.extensions["careflow"].db, "mo.manager", "manager", ["adult_social_care"], display_name="Mo",
             password=PASSWORD, exist_ok=True)
    worker, manager = app.test_client(), app.test_client()
    sign_in(worker, "wren.worker")
    sign_in(manager, "mo.manager")
    edit = f"/cases/{case}/plan/edit"
    worker_page, manager_page = worker.get(edit).text, manager.get(edit).text

    def form(page: str, **fields: str) -> dict[str, str]:
        seen = re.search(r'name="planUpdatedAt" value="([^"]+)"', page)
        assert seen
        return {"csrf_token": csrf_token(page), "planUpdatedAt": seen.group(1), **fields}

    assert manager.post(f"/cases/{case}/plan/details",
                        data=form(manager_page, strengths="Walks to the shop daily")).status_code == 302
    late = worker.post(f"/cases/{case}/plan/details", data=form(worker_page, strengths="Enjoys cooking"))
    assert late.status_code == 409
    assert "Someone else changed this plan" in late.text and "Enjoys cooking" in late.text  # their text kept
    assert "Walks to the shop daily" in manager.get(edit).text  # the first change stands
    # A removal by position on a stale page would remove the wrong row: refused as well.
    manager.post(f"/cases/{case}/plan/sections/needs", data=form(manager.get(edit).text, description="Washing"))
    worker_page = worker.get(edit).text
    manager.post(f"/cases/{case}/plan/sections/needs", data=form(manager.get(edit).text, description="Meals"))
    manager.post(f"/cases/{case}/plan/sections/needs", data=form(manager.get(edit).text, remove="0"))
    assert worker.post(f"/cases/{case}/plan/sections/needs", data=form(worker_page, remove="0")).status_code == 409
    assert "Meals" in worker.get(edit).text


def test_changing_a_line_items_cost_keeps_its_carers_respite_and_brokerage(planning: Any) -> None:
    app, case = planning
    client = app.test_client()
    sign_in(client, "wren.worker")
    edit = f"/cases/{case}/plan/edit"
    added = _post(client, edit, f"/cases/{case}/plan/lines", {
        "description": "Short breaks for her carer", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": "60",
        "carerRespite": "yes", "brokered": "yes"})
    assert added.status_code == 302
    page = client.get(edit).text
    line_id = re.findall(r'/plan/lines/(\d+)"', page)[0]
    stamp = re.search(r'name="planUpdatedAt" value="([^"]+)"', page)
    # What the page's "Change" form sends: the cost, with the other shown fields hidden.
    changed = client.post(f"/cases/{case}/plan/lines/{line_id}", data={
        "csrf_token": csrf_token(page), "planUpdatedAt": stamp.group(1) if stamp else "", "action": "change",
        "description": "Short breaks for her carer", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": "75",
        "frequency": "", "provider": ""})
    assert changed.status_code == 302
    with app.extensions["careflow"].db.reading() as session:
        from workflows.procedures.care_planning.models import LineItem

        line = session.get(LineItem, int(line_id))
        assert (line.weekly_cost_pence, line.carer_respite, line.brokered) == (7500, True, True)


def test_the_worker_sees_why_the_plan_came_back(planning: Any) -> None:
    """A rejected plan shows the approver's reasons on the edit page; a plan failing validation, its rules."""
    from workflows.identity import add_user
    from workflows.procedures.care_planning import plans, use_cases

    app, case = planning
    services = app.extensions["careflow"]
    add_user(services.db, "tia.manager", "manager", ["team_managers"], display_name="Tia", password=PASSWORD,
             exist_ok=True)
    client = app.test_client()
    sign_in(client, "wren.worker")
    edit = f"/cases/{case}/plan/edit"
    for name, data in (("csp_explain", {"dutyExplained": True, "chargingDiscussed": True}),
                       ("csp_participants", {"substantialDifficultyAny": False, "hasAppropriateCandidate": True,
                                             "lacksCapacityToPlan": False}),
                       ("csp_share_budget", {"indicativeBudgetShared": True, "toldItIsAnEstimate": True,
                                             "factsheets": ["CARE_AT_HOME"]}),
                       ("csp_budget_option", {"budgetOption": "COUNCIL_MANAGED", "planningMode": "WORKER_LED"}),
                       ("csp_combine", {"carerIdentified": False})):
        _complete(app, case, name, data, "wren.worker")
    page = client.get(edit).text
    assert 'id="failed-rules"' not in page and 'id="came-back"' not in page
    submitted = client.post(f"/cases/{case}/plan/submit", data={"csrf_token": csrf_token(page)})
    assert submitted.status_code == 422
    back = client.get(edit).text  # still shown when the worker comes back to the page
    assert 'id="failed-rules"' in back and "V01" in back
    from tests.care_planning.conftest import complete_plan

    with services.db.transaction() as session:
        from workflows.models import Instance

        plan = plans.plan_for_case(session, session.get(Instance, case).case_reference)
        plans.update_plan(plan, complete_plan())
        plans.add_line(plan, {"description": "Home care", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 200,
                              "frequency": "daily"})
        plan_id = plan.id
    worker = _principal(app, "wren.worker")
    assert use_cases.submit_plan(services.runtime, plan_id, worker, {"planFormat": "CAREFLOW"})["valid"] is True
    _complete(app, case, "csp_agreement", {"agreed": True}, "wren.worker")
    _complete(app, case, "csp_approve_manager", {"approvalDecision": "REJECTED",
                                                 "rejectionReasons": "Cost the day centre at the framework rate"},
              "tia.manager")
    page = client.get(edit).text
    assert 'id="came-back"' in page and "Cost the day centre at the framework rate" in page
    assert 'id="failed-rules"' not in page


def _principal(app: Any, username: str) -> Any:
    from sqlalchemy import select

    from workflows.identity import Principal
    from workflows.models import User

    with app.extensions["careflow"].db.reading() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return Principal(user.username, user.display_name, user.role, tuple(g.name for g in user.groups))


def _complete(app: Any, case: str, name: str, data: dict[str, Any], username: str) -> None:
    from sqlalchemy import select

    from workflows.models import TaskRow
    from workflows.procedures.care_planning import use_cases

    services = app.extensions["careflow"]
    with services.db.reading() as session:
        task_id = session.scalars(select(TaskRow.id).where(TaskRow.instance_id == case, TaskRow.name == name,
                                                           TaskRow.state == "open")).one()
    use_cases.complete_task(services.runtime, task_id, data, _principal(app, username))
