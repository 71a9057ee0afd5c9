"""A caseworker's day in a real browser: sign in, claim, fix a form, complete, see what comes next,
open the case and its diagram. Every page type is checked with axe-core and photographed."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, sign_in

pytestmark = pytest.mark.browser


def _start(live_server: dict[str, Any], name: str, **kw: Any) -> Any:
    return live_server["services"].runtime.start("web_two_steps", {"personName": name}, actor="morgan.manager",
                                                 **kw)


def test_sign_in_page_and_wrong_password(page: Any) -> None:
    page.goto("/")
    assert "/sign-in" in page.url
    check_accessibility(page, "sign-in")
    page.get_by_label("User name").fill("casey.worker")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert "The user name or password is not right" in summary.inner_text()
    check_accessibility(page, "sign-in-error")


def test_claim_fix_complete_and_see_the_next_task(page: Any, live_server: dict[str, Any]) -> None:
    instance = _start(live_server, "Jordan Sample")
    _start(live_server, "Robin Decoy")
    sign_in(page, "casey.worker")
    check_accessibility(page, "inbox")

    # Find the task by the person's name.
    page.get_by_label("Person name").fill("Jordan")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("tbody .govuk-table__row")
    expect(rows).to_have_count(1)  # waits for the filtered page: the URL changes before its rows are drawn
    assert "Jordan Sample" in rows.first.inner_text()

    # Claim it: the task page opens, assigned to me.
    rows.first.get_by_role("button", name=re.compile("^Claim")).click()
    page.wait_for_url(re.compile(r"/tasks/"))
    assert "You have claimed" in page.locator(".govuk-notification-banner").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Check the person's details"

    # Submit with mistakes: a cleared name and 31 February.
    page.get_by_label("Person's full name").fill("")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("1990")
    page.get_by_label("Hours of care a week").fill("lots")
    page.get_by_role("button", name="Complete task").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    text = summary.inner_text()
    for message in ("Enter the person's full name", "Date of birth must be a real date",
                    "Hours of care a week must be a whole number", "Select how we should contact them",
                    "Select yes if the person has an unpaid carer"):
        assert message in text
    assert page.title().startswith("Error: ")
    # What was typed is still there, and each message sits next to its question.
    assert page.get_by_label("Day").input_value() == "31"
    assert page.get_by_label("Hours of care a week").input_value() == "lots"
    assert "Date of birth must be a real date" in page.locator("#dateOfBirth-error").inner_text()
    check_accessibility(page, "task-errors")

    # The summary links to the question.
    summary.get_by_role("link", name="Date of birth must be a real date").click()
    assert page.evaluate("document.activeElement.id") == "dateOfBirth-day"

    # Correct it, add a contact, complete.
    page.get_by_label("Person's full name").fill("Jordan Sample")
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("1941")
    page.get_by_label("Hours of care a week").fill("14")
    page.get_by_label("Phone").check()
    page.get_by_label("Mobility").check()
    page.get_by_label("District").select_option(label="Coastal")
    page.locator("input[name=hasCarer][value=yes]").check()
    page.get_by_role("button", name="Add a contact").click()
    page.get_by_label("Name", exact=True).fill("Alex Neighbour")
    page.get_by_label("Phone number").fill("01632 960001")
    # Enter in a field saves a draft (never a stray "Remove" or an early "Complete"); all is kept.
    page.get_by_label("Phone number").press("Enter")
    page.locator(".govuk-notification-banner").wait_for()
    assert "saved as a draft" in page.locator(".govuk-notification-banner").inner_text()
    assert page.get_by_label("Person's full name").input_value() == "Jordan Sample"
    assert page.get_by_label("Name", exact=True).input_value() == "Alex Neighbour"
    check_accessibility(page, "task-form")
    page.get_by_role("button", name="Complete task").click()

    # Back in the inbox: the case's next task is there and offered straight away.
    page.wait_for_url(re.compile(r"/$"))
    assert "is complete for Jordan Sample" in page.locator(".govuk-notification-banner").first.inner_text()
    page.get_by_role("link", name="Agree the support plan").first.click()
    page.wait_for_url(re.compile(r"/tasks/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Agree the support plan"
    data = live_server["services"].runtime.instance_data(instance.id)
    assert data["dateOfBirth"] == "1941-11-03" and data["weeklyHours"] == 14
    assert data["contacts"] == [{"name": "Alex Neighbour", "phone": "01632 960001"}]

    # The case: history, and the diagram with the current task marked.
    page.get_by_role("link", name=instance.case_reference).click()
    page.wait_for_url(re.compile(r"/cases/"))
    page.locator("#diagram[data-rendered=true]").wait_for()
    assert page.locator("#diagram svg").count() >= 1
    current = page.locator('.djs-element.current[data-element-id="agree_plan"]')
    assert current.count() == 1
    assert page.locator('.djs-element.completed[data-element-id="check_details"]').count() == 1
    assert "Task completed: Check the person's details" in page.locator(".careflow-timeline").inner_text()
    check_accessibility(page, "case")


def test_save_draft_and_upload_a_resident_list(page: Any, live_server: dict[str, Any], tmp_path: Any) -> None:
    instance = _start(live_server, "Casey Upload")
    services = live_server["services"]
    with services.db.reading() as session:
        from workflows import queries

        first = queries.list_tasks(session, _principal(services, "sam.support"),
                                   queries.TaskFilter(instance_id=instance.id))[0][0]
    services.runtime.complete_task(first["id"], {"personName": "Casey Upload", "dateOfBirth": "1950-01-02",
                                                 "contactMethod": "LETTER", "hasCarer": False},
                                   _principal(services, "sam.support"))
    sign_in(page, "sam.support")
    page.get_by_label("Person name").fill("Casey Upload")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Agree the support plan").click()
    csv = tmp_path / "residents.csv"
    csv.write_text("Name,Room,Funded by council\nAlex Example,12,yes\nSam Sample,14,no\n", encoding="utf-8")
    page.get_by_label("Residents affected").set_input_files(str(csv))
    page.get_by_role("button", name="Complete task").click()
    # planAgreed is missing: the error shows, and the uploaded rows are kept.
    assert "Select yes if the person has agreed the plan" in page.locator(".govuk-error-summary").inner_text()
    assert "2 rows" in page.locator(".govuk-inset-text").inner_text()
    page.locator("input[name=planAgreed][value=yes]").check()
    page.get_by_role("button", name="Save as draft").click()
    assert "saved as a draft" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("input[name=planAgreed][value=yes]").is_checked()
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_url(re.compile(r"/$"))
    data = services.runtime.instance_data(instance.id)
    assert data["residents"] == [{"personName": "Alex Example", "room": 12, "fundedByCouncil": True},
                                 {"personName": "Sam Sample", "room": 14, "fundedByCouncil": False}]


def _principal(services: Any, username: str) -> Any:
    from workflows.identity import principal_for

    with services.db.reading() as session:
        return principal_for(session, username)


def test_provider_failure_dashboard_with_and_without_people(page: Any, live_server: dict[str, Any]) -> None:
    from workflows.models import Instance

    services = live_server["services"]
    empty = _start(live_server, "Harbour View Care Home", case_reference="PF-EMPTY-1")
    incident = _start(live_server, "Seaview Lodge", case_reference="PF-SEAVIEW-1")
    summaries = [
        {"status": "AWAITING_ASSESSMENT", "urgency": "HIGH", "primaryAction": "COUNCIL_ARRANGES_NEW_CARE"},
        {"status": "ARRANGEMENTS_CONFIRMED", "urgency": "MEDIUM", "primaryAction": "MONITOR_PROVIDER_LED_MOVE",
         "arrangementsConfirmed": True},
        {"status": "ENDED", "urgency": "LOW", "endReason": "MOVED_TO_NEW_HOME"},
    ]
    for i, summary in enumerate(summaries):
        person = services.runtime.start("web_two_steps", {"personName": f"Resident {i + 1}"}, actor="quinn.lead",
                                        parent_case_reference="PF-SEAVIEW-1")
        with services.db.transaction() as session:
            session.get(Instance, person.id).summary = summary
    sign_in(page, "quinn.lead")
    page.get_by_role("link", name="Provider failures").click()
    check_accessibility(page, "incidents")
    page.goto(f"/incidents/{empty.case_reference}")
    assert "No people are linked to this incident yet" in page.content()
    check_accessibility(page, "dashboard-empty")
    page.goto(f"/incidents/{incident.case_reference}")
    assert page.locator(".careflow-chart polyline").count() == 2
    tables = page.locator("table").all_inner_texts()
    assert any("Awaiting assessment" in t for t in tables)
    assert any("Moved to new home" in t for t in tables)
    without = page.locator("table[aria-labelledby=without-heading]").inner_text()
    assert "Resident 1" in without and "Resident 2" not in without and "Resident 3" not in without
    check_accessibility(page, "dashboard")
    assert empty.case_reference == "PF-EMPTY-1"


def test_error_pages(page: Any, live_server: dict[str, Any]) -> None:
    other = live_server["services"].runtime.start("demo_referral", {}, actor="morgan.manager")
    sign_in(page, "rowan.other")
    response = page.goto("/tasks/00000000-0000-0000-0000-000000000000")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    check_accessibility(page, "error-404")
    response = page.goto(f"/cases/{other.id}")
    assert response.status == 403
    assert "Traceback" not in page.content()
    check_accessibility(page, "error-403")


def test_about_page_links_to_the_api(page: Any) -> None:
    sign_in(page, "casey.worker")
    page.get_by_role("link", name="About careflow").click()
    assert page.get_by_role("link", name="OpenAPI document", exact=True).get_attribute("href") == "/api/v1/openapi.json"
    check_accessibility(page, "about")
