"""The caseworker's and quality lead's day in a real browser (Debian's Chromium): notes and documents
in the chronology, a saved filter, answers kept across a claim, the inbox at 375 px, an incident
started and its resident list checked, a sent message in the outbox, an API token's life.

Every page is checked with axe-core running all its rules (best practices such as "region" too)
and photographed at desktop width and at 375 px."""
from __future__ import annotations

import io
import json
import re
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from .conftest import SCREENSHOTS, check_accessibility, sign_in

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PHONE = {"width": 375, "height": 812}


def check_page(page: Any, name: str) -> None:
    """No axe-core violations of any rule at any impact; screenshots at the page's width and at 375 px."""
    check_accessibility(page, f"day-{name}")
    size = page.viewport_size
    if size and size["width"] > PHONE["width"]:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"day-{name}-375.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.set_viewport_size(size)
        assert overflow <= 0, f"{name}: {overflow}px of sideways scrolling at 375 px"


def _start(live_server: dict[str, Any], name: str) -> Any:
    return live_server["services"].runtime.start("web_two_steps", {"personName": name}, actor="morgan.manager")


def _open_task(live_server: dict[str, Any], instance_id: str) -> Any:
    from sqlalchemy import select

    from workflows.models import TaskRow

    with live_server["services"].db.reading() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                     TaskRow.state == "open")).one()


def _admin(live_server: dict[str, Any]) -> None:
    from workflows.identity import add_user

    add_user(live_server["services"].db, "ada.admin", "admin", ["admins"], display_name="Ada Admin",
             password="careflow-demo", exist_ok=True)


def test_a_note_and_a_document_on_a_case_and_in_the_chronology(page: Any, live_server: dict[str, Any]) -> None:
    case = _start(live_server, "Noor Example")
    sign_in(page, "casey.worker")
    page.goto(f"/cases/{case.id}")
    check_page(page, "case")

    # A note without its text: the error is in the summary and beside the field.
    page.get_by_label("What the note is about").select_option(label="Contact with family or carer")
    page.get_by_role("button", name="Add note").click()
    assert "Enter the note" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "case-note-error")
    page.get_by_label("What the note is about").select_option(label="Contact with family or carer")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Note", exact=True).fill("Spoke to Noor's son about the move.")
    page.get_by_role("button", name="Add note").click()
    assert "Your note is added" in page.locator(".govuk-notification-banner").inner_text()

    page.get_by_label("Description (optional)").fill("Letter from the GP")
    page.set_input_files("#file", files=[{"name": "gp letter.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Upload document").click()
    assert "The document is added" in page.locator(".govuk-notification-banner").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Letter from the GP")).first.click()
    assert download.value.suggested_filename == "gp letter.pdf"
    check_page(page, "case-with-records")

    page.get_by_role("link", name="See the case's chronology").click()
    page.wait_for_url(re.compile(r"/chronology"))
    text = page.locator(".careflow-chronology").inner_text()
    assert "Contact with family or carer" in text and "Spoke to Noor's son" in text
    assert "Document added: Letter from the GP" in text and "Case started" in text
    check_page(page, "chronology")
    page.get_by_label("Steps").uncheck()
    page.get_by_label("Decisions").uncheck()
    page.get_by_label("Messages").uncheck()
    page.get_by_label("Timers").uncheck()
    page.get_by_role("button", name="Apply").click()
    text = page.locator(".careflow-chronology").inner_text()
    assert "Case started" not in text and "Spoke to Noor's son" in text
    page.emulate_media(media="print")
    assert page.locator(".govuk-header").is_hidden() and page.locator(".careflow-print-only").is_visible()
    page.emulate_media(media="screen")
    check_page(page, "chronology-filtered")

    # The diagram zooms, moves and fits with buttons.
    page.goto(f"/cases/{case.id}")
    page.locator("#diagram[data-rendered=true]").wait_for()
    before = page.evaluate("document.querySelector('#diagram .viewport').getAttribute('transform')")
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name=re.compile("Left")).click()
    after = page.evaluate("document.querySelector('#diagram .viewport').getAttribute('transform')")
    assert after != before
    page.get_by_role("button", name="Fit to the box").click()
    page.get_by_role("button", name="Full screen").click()
    page.locator("#diagram.careflow-diagram--full").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "day-diagram-full-screen.png"))
    page.get_by_role("button", name="Leave full screen").click()
    page.locator("#diagram:not(.careflow-diagram--full)").wait_for()


def test_a_saved_filter_and_the_inbox_at_375_px(page: Any, browser: Any, live_server: dict[str, Any]) -> None:
    _start(live_server, "Filter Person")
    _start(live_server, "Other Person")
    sign_in(page, "sam.support")
    page.get_by_label("Person name").fill("Filter")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_label("Save this view and its filters as").fill("Filter people")
    page.get_by_role("button", name="Save filter").click()
    assert "Your filter ‘Filter people’ is saved" in page.locator(".govuk-notification-banner").inner_text()
    page.goto("/")
    page.get_by_role("link", name="Filter people").click()
    rows = page.locator("tbody .govuk-table__row")
    assert rows.count() == 1 and "Filter Person" in rows.first.inner_text()
    assert page.get_by_role("columnheader", name="Urgency").count() == 1
    check_page(page, "inbox-saved-filter")

    phone = browser.new_context(base_url=live_server["url"], viewport=PHONE)
    small = phone.new_page()
    try:
        sign_in(small, "sam.support")
        width = small.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the inbox scrolls sideways at 375 px: {width}"
        tasks_at = small.locator("#task-list-heading").bounding_box()["y"]
        filters_at = small.locator("form.careflow-filters").first.bounding_box()["y"]
        assert tasks_at < filters_at, "the tasks come before the filters on a phone"
        small.screenshot(path=str(SCREENSHOTS / "day-inbox-phone.png"), full_page=True)
    finally:
        phone.close()


def test_answers_typed_before_claiming_are_kept(page: Any, live_server: dict[str, Any]) -> None:
    case = _start(live_server, "Kept Answers")
    task = _open_task(live_server, case.id)
    sign_in(page, "casey.worker")
    page.goto(f"/tasks/{task.id}")
    page.get_by_label("Person's full name").fill("Kept Answers Typed")
    page.get_by_label("Hours of care a week").fill("9")
    check_page(page, "task-unclaimed")
    page.get_by_role("button", name="Claim this task").click()
    assert "Your answers so far are kept" in page.locator(".govuk-notification-banner").inner_text()
    assert page.get_by_label("Person's full name").input_value() == "Kept Answers Typed"
    assert page.get_by_label("Hours of care a week").input_value() == "9"
    # Typing saves a draft in the background: a reload keeps it.
    page.get_by_label("Hours of care a week").fill("11")
    page.locator("#autosave-status").filter(has_text="Draft saved").wait_for(timeout=30_000)
    page.reload()
    assert page.get_by_label("Hours of care a week").input_value() == "11"
    page.get_by_label("Add a comment").fill("Asked the GP for the letter.")
    page.get_by_role("button", name="Add comment").click()
    assert "Asked the GP for the letter." in page.locator("#comments ~ ul").inner_text()
    check_page(page, "task-claimed")


def test_a_quality_lead_starts_an_incident_and_uploads_a_csv_with_two_bad_lines(
        page: Any, live_server: dict[str, Any]) -> None:
    from handlers.providers import ProviderRegister
    from tests.web.support import ROOT

    ProviderRegister(live_server["services"].db).import_cqc(
        (ROOT / "tests" / "fixtures" / "cqc_directory_sample.csv").read_text())
    sign_in(page, "quinn.lead")
    page.goto("/incidents")
    page.get_by_role("button", name="Start an incident").click()
    page.get_by_role("button", name="Start incident").click()
    assert "Select the provider from the register" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "incident-new-errors")
    page.get_by_label("Provider").select_option(value="1-000000001")
    page.get_by_label("What happened").select_option(label="Administrator appointed")
    group = page.get_by_role("group", name="Date the council was told")
    group.get_by_label("Day").fill("1")
    group.get_by_label("Month").fill("12")
    group.get_by_label("Year").fill("2026")
    page.get_by_label("Who told the council (optional)").fill("The administrator")
    page.get_by_role("button", name="Start incident").click()
    page.wait_for_url(re.compile(r"/incidents/CF-"))
    assert "The incident for Larkspur House is started" in page.locator(".govuk-notification-banner").inner_text()
    check_page(page, "incident-dashboard")

    page.get_by_role("link", name="Upload the people affected (CSV)").click()
    csv = ("personRef,personName,role,fundingCategory,serviceType\n"
           "L1,Avery Example,ADULT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL\n"
           "L2,Blake Example,RESIDENT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL\n"
           "L3,,ADULT,COUNCIL,CARE_HOME_NURSING\n")
    page.set_input_files("#file", files=[{"name": "residents.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Check and add people").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "2 of 3 lines have problems. Nobody was added" in summary
    problems = page.locator("#problems tbody tr")
    lines = {problems.nth(i).locator("td").first.inner_text() for i in range(problems.count())}
    assert lines == {"3", "4"} and problems.count() == 3  # line 4 has two problems
    table = page.locator("#problems").inner_text()
    assert "Role must be ADULT or CARER" in table and "Enter the person's name" in table
    assert "Funding must be one of" in table
    check_page(page, "incident-people-errors")

    # Once the incident is in active closure, a clean file opens a case per person.
    from sqlalchemy import select

    from tests.conftest import Users
    from tests.provider_failure.conftest import GROUPS, PF, day
    from workflows.models import Instance

    reference = page.url.split("/incidents/", 1)[1].split("/", 1)[0]
    with live_server["services"].db.reading() as session:
        incident_id = session.scalars(select(Instance.id).where(Instance.case_reference == reference)).one()
    pf = PF(live_server["app"], Users(live_server["app"]).make("qiss.worker", "quality_lead", GROUPS))
    pf.triage(incident_id)
    pf.open_closure(incident_id, day(21))
    clean = ("personRef,personName,role,fundingCategory,serviceType,placingAuthorityName\n"
             "L1,Avery Example,ADULT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL,Conwy County Borough Council\n"
             "L2,Blake Example,ADULT,SELF_FUNDED,CARE_HOME_NURSING,\n"
             "L3,Casey Example,CARER,NHS_CHC,CARE_HOME_NURSING,\n")
    page.set_input_files("#file", files=[{"name": "residents.csv", "mimeType": "text/csv", "buffer": clean.encode()}])
    page.get_by_role("button", name="Check and add people").click()
    page.wait_for_url(re.compile(r"/incidents/CF-[^/]+$"))
    assert "3 people added" in page.locator(".govuk-notification-banner").inner_text()
    people = page.locator("table[aria-labelledby=people-heading]").inner_text()
    assert "Avery Example" in people and "Casey Example" in people
    check_page(page, "incident-dashboard-with-people")


def test_a_sent_message_is_visible_in_the_outbox_page(page: Any, live_server: dict[str, Any], tmp_path: Any) -> None:
    import uuid

    from app.mailcatcher import start
    from handlers.delivery import build_channels
    from workflows.models import OutboxMessage
    from workflows.outbox import OutboxDispatcher

    services = live_server["services"]
    case = _start(live_server, "Message Person")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller, caught = start(port, tmp_path / "mail")
    try:
        with services.db.transaction() as session:
            for recipient in ("duty.team@example.org", "nobody"):
                session.add(OutboxMessage(instance_id=case.id, idempotency_key=str(uuid.uuid4()), channel="email",
                                          recipient=recipient, template="urgent_referral", payload={
                                              "personName": "Message Person", "caseReference": case.case_reference,
                                              "priority": "urgent"}))
        channels = build_channels({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)})
        OutboxDispatcher(services.db, channels).deliver_due()
    finally:
        controller.stop()
    # earlier tests on this server left provider-failure messages due too: this case's went to one address
    sent_to = [m["to"] for m in caught.received]
    assert sent_to.count(["duty.team@example.org"]) == 1 and ["nobody"] not in sent_to
    sign_in(page, "quinn.lead")
    page.get_by_role("link", name="Messages sent").click()
    table = page.locator("table").inner_text()
    assert "duty.team@example.org" in table and "Sent" in table and "Could not be sent" in table
    check_page(page, "outbox")
    page.goto("/incidents")
    assert "Messages that could not be sent" in page.locator("main").inner_text()
    check_page(page, "incidents-with-failed-message")
    _admin(live_server)
    page.context.clear_cookies()
    sign_in(page, "ada.admin")
    page.goto(f"/cases/{case.id}#messages")
    assert page.get_by_role("button", name=re.compile("^Send again")).count() == 1
    check_page(page, "case-failed-message-admin")


def test_a_token_is_created_used_with_the_api_and_revoked(page: Any, live_server: dict[str, Any]) -> None:
    def api(token: str) -> int:
        request = urllib.request.Request(live_server["url"] + "/api/v1/tasks",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                json.load(io.TextIOWrapper(response, encoding="utf-8"))
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    sign_in(page, "casey.worker")
    page.get_by_role("link", name="API tokens").click()
    check_page(page, "tokens")
    page.get_by_label("Name").fill("Referral portal")
    page.get_by_label("After 7 days").check()
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("cf_")
    check_page(page, "tokens-created")
    assert api(token) == 200
    page.goto("/tokens")
    page.get_by_role("button", name=re.compile("^Revoke Referral portal")).click()
    assert "is revoked" in page.locator(".govuk-notification-banner").inner_text()
    assert api(token) == 401
    check_page(page, "tokens-revoked")


def test_a_manager_reassigns_from_the_teams_list(page: Any, live_server: dict[str, Any]) -> None:
    case = _start(live_server, "Team Person")
    task = _open_task(live_server, case.id)
    sign_in(page, "morgan.manager")
    page.get_by_role("link", name="All tasks in your teams").click()
    check_page(page, "inbox-manager-teams")
    page.get_by_label(re.compile("^Give ‘Check the person's details’ for Team Person")).select_option(
        label="Sam Support")
    page.get_by_role("button", name="Reassign Check the person's details for Team Person").click()
    assert "now assigned to sam.support" in page.locator(".govuk-notification-banner").inner_text()
    assert _open_task(live_server, case.id).assignee == "sam.support" and task.id
    assert "view=teams" in page.url


def test_a_case_a_quality_lead_holds_stays_theirs_when_a_caseworker_claims_a_step(
        page: Any, browser: Any, live_server: dict[str, Any]) -> None:
    from workflows import casework

    case = _start(live_server, "Held Person")
    task = _open_task(live_server, case.id)
    sign_in(page, "quinn.lead")
    page.goto(f"/cases/{case.id}")
    page.get_by_role("button", name="Hold this case").click()
    assert "allocated to you" in page.locator(".govuk-notification-banner").inner_text()
    page.context.clear_cookies()
    sign_in(page, "casey.worker")
    row = page.locator("tr", has_text="Held Person")
    assert "Held by Quinn Lead" in row.inner_text()
    row.get_by_role("link", name="Check the person's details").click()
    assert "Quinn Lead holds this case. Claiming gives you this task only" in page.locator("#case-held").inner_text()
    check_page(page, "task-in-a-held-case")
    page.get_by_role("button", name="Claim this task").click()
    assert "Quinn Lead holds the case, so it stays with them" in page.locator(
        ".govuk-notification-banner").inner_text()
    assert _open_task(live_server, case.id).assignee == "casey.worker"
    with live_server["services"].db.reading() as session:
        assert casework.allocated_worker(session, case.case_reference) == "quinn.lead" and task.id
