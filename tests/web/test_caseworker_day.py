"""The caseworker's and quality lead's day through Flask's test client: notes, documents, the
chronology, task comments, continuity, saved filters, answers kept across a claim, API tokens,
the outbox page, words on the page, and starting a provider failure without the API."""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from .support import csrf_token

CHECK_DETAILS = {"action": "complete", "personName": "Jordan Sample", "dateOfBirth-day": "3",
                 "dateOfBirth-month": "11", "dateOfBirth-year": "1941", "contactMethod": "PHONE", "hasCarer": "no"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _start(services: Any, name: str = "Jordan Sample") -> Any:
    return services.runtime.start("web_two_steps", {"personName": name}, actor="morgan.manager")


def _open_task(services: Any, instance_id: str) -> Any:
    from sqlalchemy import select

    from workflows.models import TaskRow

    with services.db.reading() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                     TaskRow.state == "open")).one()


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _post(client: Any, url: str, page_url: str = "/", **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client.get(page_url).text), **data})


# ---- notes, documents, chronology ---------------------------------------------------------------
def test_a_note_with_its_category_and_date_of_contact_is_on_the_case_and_in_the_chronology(
        web_services: Any, browser_client: Any) -> None:
    case = _start(web_services)
    url = f"/cases/{case.id}"
    added = _post(browser_client, f"{url}/notes", url, category="family", text="Spoke to the daughter.",
                  **{"contact_date-day": "2", "contact_date-month": "12", "contact_date-year": "2026"})
    assert added.status_code == 302
    page = _text(browser_client.get(url).text)
    assert "Contact with family or carer" in page and "Spoke to the daughter." in page
    assert "Contact on 2 December 2026" in page and "Written by Casey Worker" in page
    chronology = _text(browser_client.get(f"{url}/chronology").text)
    assert "Contact with family or carer" in chronology and "Case started" in chronology
    only_notes = _text(browser_client.get(f"{url}/chronology?show=note").text)
    assert "Spoke to the daughter." in only_notes and "Case started" not in only_notes


def test_a_note_without_text_or_with_a_wrong_date_is_refused_with_the_reason(web_services: Any,
                                                                             browser_client: Any) -> None:
    case = _start(web_services)
    url = f"/cases/{case.id}"
    refused = _post(browser_client, f"{url}/notes", url, category="", text="  ",
                    **{"contact_date-day": "31", "contact_date-month": "2", "contact_date-year": "2026"})
    assert refused.status_code == 422
    assert "The date of contact must be a real date" in _text(refused.text)
    refused = _post(browser_client, f"{url}/notes", url, category="", text="  ")
    text = _text(refused.text)
    assert refused.status_code == 422 and "Select what the note is about" in text and "Enter the note" in text
    future = _post(browser_client, f"{url}/notes", url, category="visit", text="Visit",
                   **{"contact_date-day": "1", "contact_date-month": "1", "contact_date-year": "2199"})
    assert future.status_code == 422 and "today or in the past" in _text(future.text)
    no_token = browser_client.post(f"{url}/notes", data={"category": "visit", "text": "x"})
    assert no_token.status_code == 400


def test_documents_upload_download_and_refuse_what_is_not_allowed(web_services: Any, browser_client: Any) -> None:
    import io

    case = _start(web_services)
    url = f"/cases/{case.id}"
    token = csrf_token(browser_client.get(url).text)
    # The name and type the browser sends are not trusted: the bytes say PDF, so it is kept as one.
    added = browser_client.post(f"{url}/documents", data={
        "csrf_token": token, "title": "Letter from the GP",
        "file": (io.BytesIO(PDF), "../../etc/letter.exe", "application/x-msdownload")},
        content_type="multipart/form-data")
    assert added.status_code == 302
    page = browser_client.get(url).text
    found = re.search(r'href="(/cases/[^"]+/documents/(\d+))"', page)
    assert found and "Letter from the GP" in page and "Casey Worker" in page
    download = browser_client.get(found.group(1))
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert 'filename="letter.pdf"' in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    refused = browser_client.post(f"{url}/documents", data={
        "csrf_token": token, "file": (io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00"), "notes.pdf")},
        content_type="multipart/form-data")
    assert refused.status_code == 422 and "The file must be a PDF, Word" in _text(refused.text)
    big = browser_client.post(f"{url}/documents", data={
        "csrf_token": token, "file": (io.BytesIO(b"%PDF-" + b"0" * (10 * 1024 * 1024)), "big.pdf")},
        content_type="multipart/form-data")
    assert big.status_code == 422 and "smaller than 10 MB" in _text(big.text)
    empty = browser_client.post(f"{url}/documents", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "Select a file to upload" in _text(empty.text)
    # A document of another case is not found through this one.
    other = _start(web_services, "Robin Decoy")
    assert browser_client.get(f"/cases/{other.id}/documents/{found.group(2)}").status_code == 404
    chronology = _text(browser_client.get(f"{url}/chronology?show=document").text)
    assert "Document added: Letter from the GP" in chronology


def test_other_teams_cannot_see_or_add_to_a_case(web_services: Any, client_as: Any) -> None:
    case = _start(web_services)
    rowan = client_as("rowan.other")
    assert rowan.get(f"/cases/{case.id}/chronology").status_code == 403
    refused = rowan.post(f"/cases/{case.id}/notes", data={"csrf_token": csrf_token(rowan.get("/").text),
                                                         "category": "visit", "text": "x"})
    assert refused.status_code == 403
    assert rowan.get(f"/cases/{case.id}/documents/1").status_code == 403
    assert rowan.get("/cases/no-such-case/chronology").status_code == 404


def test_a_comment_on_a_task_is_kept_in_the_chronology(web_services: Any, browser_client: Any) -> None:
    case = _start(web_services)
    task = _open_task(web_services, case.id)
    response = _post(browser_client, f"/tasks/{task.id}/comments", f"/tasks/{task.id}",
                     comment="Waiting for the GP letter first.")
    assert response.status_code == 302
    assert "Waiting for the GP letter first." in browser_client.get(f"/tasks/{task.id}").text
    chronology = _text(browser_client.get(f"/cases/{case.id}/chronology").text)
    assert "Comment on ‘Check the person's details’" in chronology
    empty = _post(browser_client, f"/tasks/{task.id}/comments", f"/tasks/{task.id}", comment="")
    assert empty.status_code == 302
    assert "Enter your comment" in _text(browser_client.get(f"/tasks/{task.id}").text)


# ---- the inbox ----------------------------------------------------------------------------------
def test_the_inbox_shows_due_time_urgency_column_and_saved_filters(web_services: Any, browser_client: Any,
                                                                   client_as: Any) -> None:
    _start(web_services, "Jordan Sample")
    _start(web_services, "Robin Decoy")
    page = browser_client.get("/").text
    assert ">Urgency<" in page and re.search(r"\d{1,2}:\d{2}(am|pm)", _text(page))
    saved = _post(browser_client, "/saved-filters", filter_name="Jordan's work", person="Jordan", due="week")
    assert saved.status_code == 302 and "person=Jordan" in saved.headers["Location"]
    inbox = browser_client.get("/").text
    link = re.search(r'href="(/\?[^"]*person=Jordan[^"]*)">Jordan&#39;s work</a>', inbox)
    assert link, "the saved filter is listed by its name"
    filtered = _text(browser_client.get(unescape(link.group(1))).text)
    assert "Jordan Sample" in filtered and "Robin Decoy" not in filtered
    nameless = _post(browser_client, "/saved-filters", filter_name="  ", person="x")
    assert nameless.status_code == 302
    assert "Enter a name for the filter" in _text(browser_client.get("/").text)
    filter_id = re.search(r'/saved-filters/(\d+)/delete', inbox).group(1)
    sam = client_as("sam.support")
    assert _post(sam, f"/saved-filters/{filter_id}/delete").status_code == 404
    assert _post(browser_client, f"/saved-filters/{filter_id}/delete").status_code == 302
    assert "Jordan's work" not in unescape(browser_client.get("/").text)


def test_the_next_step_goes_to_the_worker_who_holds_the_case_until_they_release_it(
        web_services: Any, browser_client: Any) -> None:
    case = _start(web_services)
    first = _open_task(web_services, case.id)
    assert first.assignee is None
    _post(browser_client, f"/tasks/{first.id}/claim")
    assert "You: the case's next steps come to you" in _text(browser_client.get(f"/cases/{case.id}").text)
    _post(browser_client, f"/tasks/{first.id}", f"/tasks/{first.id}", **CHECK_DETAILS)
    assert _open_task(web_services, case.id).assignee == "casey.worker"

    # Released: the next case's steps go to the team again.
    second = _start(web_services, "Robin Decoy")
    task = _open_task(web_services, second.id)
    _post(browser_client, f"/tasks/{task.id}/claim")
    released = _post(browser_client, f"/cases/{second.id}/allocation", f"/cases/{second.id}", action="release")
    assert released.status_code == 302
    _post(browser_client, f"/tasks/{task.id}", f"/tasks/{task.id}", **CHECK_DETAILS)
    assert _open_task(web_services, second.id).assignee is None
    again = _post(browser_client, f"/cases/{second.id}/allocation", f"/cases/{second.id}", action="release")
    assert again.status_code == 409


def test_a_manager_sees_the_teams_tasks_and_reassigns_from_the_list(web_services: Any, browser_client: Any,
                                                                    client_as: Any) -> None:
    case = _start(web_services)
    task = _open_task(web_services, case.id)
    _post(browser_client, f"/tasks/{task.id}/claim")
    manager = client_as("morgan.manager")
    teams = manager.get("/?view=teams").text
    assert "All tasks in your teams" in teams and "Jordan Sample" in teams
    assert f'id="give-{task.id}"' in teams
    moved = _post(manager, f"/tasks/{task.id}/reassign", "/?view=teams", username="sam.support",
                  next="/?view=teams")
    assert moved.status_code == 302 and moved.headers["Location"] == "/?view=teams"
    assert _open_task(web_services, case.id).assignee == "sam.support"
    assert "view=teams" not in browser_client.get("/").text  # caseworkers do not get the managers' view


def test_answers_typed_before_claiming_are_kept_by_the_claim(web_services: Any, browser_client: Any) -> None:
    case = _start(web_services)
    task = _open_task(web_services, case.id)
    page = browser_client.get(f"/tasks/{task.id}").text
    assert "Claim this task" in page
    claimed = browser_client.post(f"/tasks/{task.id}", data={
        "csrf_token": csrf_token(page), "action": "claim", "personName": "Jordan Typed", "weeklyHours": "12"})
    assert claimed.status_code == 302
    again = browser_client.get(f"/tasks/{task.id}").text
    assert 'value="Jordan Typed"' in again and 'value="12"' in again
    assert _open_task(web_services, case.id).assignee == "casey.worker"
    autosaved = browser_client.post(f"/tasks/{task.id}", data={
        "csrf_token": csrf_token(again), "action": "autosave", "personName": "Jordan Later"},
        headers={"Accept": "application/json"})
    assert autosaved.status_code == 200 and autosaved.json == {"saved": True}
    assert 'value="Jordan Later"' in browser_client.get(f"/tasks/{task.id}").text


# ---- API tokens -----------------------------------------------------------------------------------
def test_tokens_are_created_listed_used_and_revoked(web_app: Any, web_services: Any, browser_client: Any,
                                                     client_as: Any) -> None:
    created = _post(browser_client, "/tokens", "/tokens", label="Referral portal", expiry="30")
    token = re.search(r'id="new-token">(cf_[^<]+)<', created.text).group(1)
    listed = _text(browser_client.get("/tokens").text)
    assert "Referral portal" in listed and "Active" in listed and token not in listed
    api = web_app.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r'/tokens/(\d+)/revoke', browser_client.get("/tokens").text).group(1)
    # Someone else's token is not theirs to revoke (nor to know of); an admin's it is.
    assert _post(client_as("sam.support"), f"/tokens/{token_id}/revoke", "/tokens").status_code == 404
    assert _post(browser_client, f"/tokens/{token_id}/revoke", "/tokens").status_code == 302
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "Revoked" in _text(browser_client.get("/tokens").text)
    refused = _post(browser_client, "/tokens", "/tokens", label="", expiry="9999")
    assert refused.status_code == 422
    assert "Enter a name for the token" in _text(refused.text) and "Select when the token stops" in _text(refused.text)


def test_an_expired_token_is_refused_and_an_admin_revokes_anyones(web_app: Any, web_services: Any,
                                                                  client_as: Any) -> None:
    from datetime import timedelta

    from workflows.identity import add_user, issue_token
    from workflows.models import utcnow

    old = issue_token(web_services.db, "casey.worker", "old", expires_at=utcnow() - timedelta(minutes=1))
    api = web_app.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    live = issue_token(web_services.db, "casey.worker", "live", expires_at=utcnow() + timedelta(days=1))
    add_user(web_services.db, "ada.admin", "admin", ["admins"], display_name="Ada Admin", password="careflow-demo")
    admin = client_as("ada.admin")
    page = admin.get("/tokens").text
    assert "Other people's tokens" in _text(page) and "Casey Worker" in page
    live_id = re.findall(r'/tokens/(\d+)/revoke', page)[0]
    assert _post(admin, f"/tokens/{live_id}/revoke", "/tokens").status_code == 302
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {live}"}).status_code == 401


# ---- messages -------------------------------------------------------------------------------------
def _message(services: Any, instance_id: str | None, state: str = "pending", **kw: Any) -> int:
    import uuid

    from workflows.models import OutboxMessage

    with services.db.transaction() as session:
        row = OutboxMessage(instance_id=instance_id, idempotency_key=str(uuid.uuid4()), channel="email",
                            recipient=kw.pop("recipient", "duty.team@example.org"),
                            template=kw.pop("template", "urgent_referral"),
                            payload=kw.pop("payload", {"personName": "Jordan Sample", "caseReference": "CF-1",
                                                       "priority": "urgent"}),
                            state=state, **kw)
        session.add(row)
        session.flush()
        return row.id


def test_the_outbox_page_and_a_failed_message_on_its_case_with_retry_for_admins(
        web_services: Any, client_as: Any, browser_client: Any) -> None:
    from workflows.identity import add_user
    from workflows.models import OutboxMessage

    case = _start(web_services)
    failed = _message(web_services, case.id, "incident", last_error="SMTP 550: mailbox unavailable", attempts=8)
    assert browser_client.get("/outbox").status_code == 403
    lead = client_as("quinn.lead")
    outbox = _text(lead.get("/outbox").text)
    assert "Urgent referral" in outbox and "Could not be sent" in outbox and "SMTP 550" in outbox
    assert "Send again" not in outbox
    assert "Messages that could not be sent: 1" in _text(lead.get("/incidents").text)
    case_page = _text(browser_client.get(f"/cases/{case.id}").text)
    assert "Could not be sent" in case_page and "SMTP 550: mailbox unavailable" in case_page
    assert "1 message could not be sent" in case_page
    assert _post(lead, f"/outbox/{failed}/retry", "/outbox").status_code == 403
    add_user(web_services.db, "ada.admin", "admin", ["admins"], display_name="Ada Admin", password="careflow-demo")
    admin = client_as("ada.admin")
    assert "Send again" in admin.get(f"/cases/{case.id}").text
    assert _post(admin, f"/outbox/{failed}/retry", "/outbox").status_code == 302
    with web_services.db.reading() as session:
        assert session.get(OutboxMessage, failed).state == "pending"
    assert _post(admin, "/outbox/999999/retry", "/outbox").status_code == 404
    assert admin.get("/outbox?state=sent&page=x").status_code == 200


def test_the_mail_catcher_receives_a_message_sent_over_smtp_and_the_outbox_shows_it_sent(
        web_services: Any, client_as: Any, tmp_path: Any) -> None:
    import socket

    from app.mailcatcher import start
    from handlers.delivery import build_channels
    from workflows.outbox import OutboxDispatcher

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller, caught = start(port, tmp_path / "mail")
    try:
        case = _start(web_services)
        _message(web_services, case.id)
        channels = build_channels({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                                   "SMTP_FROM": "careflow@example.org"})
        assert OutboxDispatcher(web_services.db, channels).deliver_due() == 1
    finally:
        controller.stop()
    assert len(caught.received) == 1 and caught.received[0]["to"] == ["duty.team@example.org"]
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
    outbox = _text(client_as("quinn.lead").get("/outbox?state=sent").text)
    assert "Urgent referral" in outbox and "Sent" in outbox


# ---- words on the page ----------------------------------------------------------------------------
def test_words_keep_acronyms_names_and_say_durations() -> None:
    from app.web import display_value
    from app.web.words import humanise, message_label, recipient_label

    assert humanise("CQC_LIKELY_FAILURE_NOTICE") == "CQC likely failure notice"
    assert humanise("Conwy County Borough Council") == "Conwy County Borough Council"
    assert humanise("gpPractice") == "GP practice" and humanise("nursingHomeOrFNC") == "Nursing home or FNC"
    assert humanise("LCC_ARRANGED") == "LCC arranged" and humanise("NHS_CHC") == "NHS continuing healthcare"
    assert humanise("imcaRequired") == "IMCA required" and humanise("QISS") == "QISS"
    assert display_value("P7D") == "7 days" and display_value("PT24H") == "24 hours"
    assert display_value("P5WD") == "5 working days" and display_value("PT4H") == "4 hours"
    assert humanise("FAMILY_OR_CARER") == "Family or carer" and humanise("riskToLife") == "Risk to life"
    assert humanise("OTHER_ENGLISH_LA_ARRANGED") == "Other English LA arranged" and humanise("WALES_LA") == "Wales LA"
    assert humanise("S48") == "s.48" and humanise("S19_POWER_URGENT_NEEDS") == "s.19(3) power to meet urgent needs"
    # A decision whose name is its id reads as words (the case page and the chronology use this).
    assert humanise("UrgencyOfNeeds") == "Urgency of needs"
    # Messages and who they went to, as the outbox page and the case show them.
    assert message_label("M4_NeighbourAuthorityAlert") == "M4: Neighbour authority alert"
    assert message_label("M1/M8") == "M1/M8" and message_label("urgent_referral") == "Urgent referral"
    assert recipient_label("CARER_OR_REPRESENTATIVE") == "Carer or representative"
    assert recipient_label("S117_HEALTH_TEAM") == "s.117 health team" and recipient_label("sqip") == "SQIP"
    assert recipient_label("duty.team@council.example.org") == "duty.team@council.example.org"
    assert recipient_label("Blackpool Council") == "Blackpool Council"


# ---- provider failure without the API -------------------------------------------------------------
RESIDENTS_WITH_TWO_BAD_LINES = (
    "personRef,personName,role,fundingCategory,serviceType,dateOfBirth\n"
    "R1,Avery Example,ADULT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL,1941-05-17\n"
    "R2,Blake Example,RESIDENT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL,1938-01-02\n"
    "R3,,ADULT,COUNCIL,CARE_HOME_NURSING,1950-03-04\n"
)


def _register(services: Any) -> None:
    from handlers.providers import ProviderRegister
    from tests.web.support import ROOT

    ProviderRegister(services.db).import_cqc((ROOT / "tests" / "fixtures" / "cqc_directory_sample.csv").read_text())


def test_a_quality_lead_starts_an_incident_from_a_form_and_sees_every_bad_line_of_the_csv(
        web_services: Any, client_as: Any, browser_client: Any) -> None:
    import io

    from sqlalchemy import func, select

    from workflows.models import Instance

    _register(web_services)
    assert browser_client.get("/incidents/new").status_code == 403
    lead = client_as("quinn.lead")
    form = lead.get("/incidents/new").text
    assert "Failing Oaks" in form and "CQC likely failure notice" in form and "Smile Dental" not in form
    refused = _post(lead, "/incidents/new", "/incidents/new", provider="nope", trigger="",
                    **{"notified-day": "31", "notified-month": "2", "notified-year": "2026"})
    text = _text(refused.text)
    assert refused.status_code == 422 and "Select the provider from the register" in text
    assert "Select what happened" in text and "must be a real date" in text
    started = _post(lead, "/incidents/new", "/incidents/new", provider="1-000000006",
                    trigger="ADMINISTRATOR_APPOINTED", source="The administrator",
                    **{"notified-day": "1", "notified-month": "12", "notified-year": "2026",
                       "closure-day": "31", "closure-month": "12", "closure-year": "2026"})
    assert started.status_code == 302 and started.headers["Location"].startswith("/incidents/")
    reference = started.headers["Location"].rsplit("/", 1)[1]
    dashboard = _text(lead.get(started.headers["Location"]).text)
    assert "Upload the people affected" in dashboard
    assert "Triage" in _text(lead.get("/incidents").text)  # the incident's own status, in words
    with web_services.db.reading() as session:
        incident = session.scalars(select(Instance).where(Instance.case_reference == reference)).one()
        assert incident.process_id == "provider_failure"
    data = web_services.runtime.instance_data(incident.id)
    assert data["providerName"] == "Failing Oaks" and data["eventType"] == "ADMINISTRATOR_APPOINTED"

    upload = f"/incidents/{reference}/people"
    bad = lead.post(upload, data={"csrf_token": csrf_token(lead.get(upload).text),
                                  "file": (io.BytesIO(RESIDENTS_WITH_TWO_BAD_LINES.encode()), "residents.csv")},
                    content_type="multipart/form-data")
    text = _text(bad.text)
    assert bad.status_code == 422 and "2 of 3 lines have problems. Nobody was added" in text
    assert "Role must be ADULT or CARER" in text and "Enter the person's name" in text
    assert "Funding must be one of" in text
    with web_services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Instance).where(
            Instance.parent_case_reference == reference)) == 0
    good = "personRef,personName,role,fundingCategory,serviceType\nR1,Avery Example,ADULT,LCC_ARRANGED,HOMECARE\n"
    early = lead.post(upload, data={"csrf_token": csrf_token(lead.get(upload).text),
                                    "file": (io.BytesIO(good.encode()), "residents.csv")},
                      content_type="multipart/form-data")
    assert early.status_code == 409 and "not opening person cases now" in _text(early.text)
    binary = lead.post(upload, data={"csrf_token": csrf_token(lead.get(upload).text),
                                     "file": (io.BytesIO(b"\xff\xfe\x00bad"), "residents.csv")},
                       content_type="multipart/form-data")
    assert binary.status_code == 422 and "CSV saved as UTF-8" in _text(binary.text)
    # A second notice about the same provider joins the open incident.
    again = _post(lead, "/incidents/new", "/incidents/new", provider="1-000000006", trigger="WINDING_UP_ORDER",
                  **{"notified-day": "2", "notified-month": "12", "notified-year": "2026"})
    assert again.headers["Location"] == started.headers["Location"]
    assert lead.get("/incidents/NO-SUCH/people").status_code == 404


def test_the_incident_dashboard_groups_by_what_matters_and_lists_people_with_their_step(
        web_services: Any, client_as: Any) -> None:
    from datetime import date, timedelta

    from workflows.models import Instance, TaskRow, utcnow

    incident = web_services.runtime.start("web_two_steps", {"personName": "Harbour View"}, actor="quinn.lead",
                                          case_reference="PF-HARBOUR-1")
    summaries = [{"urgency": "CRITICAL", "fundingCategory": "LCC_ARRANGED", "personRef": "H1",
                  "placingAuthorityName": "Conwy County Borough Council"},
                 {"fundingCategory": "SELF_FUNDED", "personRef": "H2"}]
    people = []
    for i, summary in enumerate(summaries):
        person = web_services.runtime.start("web_two_steps", {"personName": f"Harbour Resident {i + 1}"},
                                            actor="quinn.lead", parent_case_reference="PF-HARBOUR-1")
        people.append(person)
        with web_services.db.transaction() as session:
            session.get(Instance, person.id).summary = summary
    with web_services.db.transaction() as session:  # the first resident's step is overdue
        task = session.query(TaskRow).filter_by(instance_id=people[0].id, state="open").one()
        task.due_at, task.assignee = utcnow() - timedelta(hours=3), "casey.worker"
    with web_services.db.transaction() as session:
        session.get(Instance, incident.id).summary = {"closureDate": (date.today() - timedelta(days=2)).isoformat()}
    page = _text(client_as("quinn.lead").get("/incidents/PF-HARBOUR-1").text)
    assert "1 not yet assessed for urgency" in page and "1 with an overdue step" in page
    assert "has passed" in page  # the closure date
    assert "Critical" in page and "LCC arranged" in page and "Conwy County Borough Council" in page
    assert "H1" not in page and "H2" not in page  # never a breakdown per person
    people_table = page[page.index("People with open cases: 2"):]
    assert people_table.index("Harbour Resident 1") < people_table.index("Harbour Resident 2")
    assert "Check the person's details" in people_table and "Casey Worker" in people_table
    assert "Overdue" in people_table and "Not yet assessed" in people_table


def test_the_incident_dashboard_lists_the_most_urgent_first_then_the_earliest_due(web_services: Any,
                                                                                   client_as: Any) -> None:
    from datetime import timedelta

    from workflows.models import Instance, TaskRow, utcnow

    web_services.runtime.start("web_two_steps", {"personName": "Quay House"}, actor="quinn.lead",
                               case_reference="PF-QUAY-1")
    # routine and overdue, critical and due tomorrow, critical and overdue: the inbox's order
    residents = [("Quay Routine Overdue", "ROUTINE", -2), ("Quay Critical Tomorrow", "CRITICAL", 24),
                 ("Quay Critical Overdue", "CRITICAL", -1)]
    for name, urgency, hours in residents:
        person = web_services.runtime.start("web_two_steps", {"personName": name}, actor="quinn.lead",
                                            parent_case_reference="PF-QUAY-1")
        with web_services.db.transaction() as session:
            session.get(Instance, person.id).summary = {"urgency": urgency}
            task = session.query(TaskRow).filter_by(instance_id=person.id, state="open").one()
            task.due_at = utcnow() + timedelta(hours=hours)
    page = _text(client_as("quinn.lead").get("/incidents/PF-QUAY-1").text)
    listed = page[page.index("People with open cases: 3"):]
    order = sorted(name for name, _, _ in residents)
    order.sort(key=listed.index)
    assert order == ["Quay Critical Overdue", "Quay Critical Tomorrow", "Quay Routine Overdue"]


def test_a_claim_through_the_api_allocates_the_case_too_and_a_reassign_moves_it(
        web_app: Any, web_services: Any, client_as: Any) -> None:
    from workflows.casework import CaseAllocation
    from workflows.identity import issue_token

    case = _start(web_services)
    task = _open_task(web_services, case.id)
    api = web_app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(web_services.db, 'sam.support')}"}
    assert api.post(f"/api/v1/tasks/{task.id}/claim", headers=headers).status_code == 200
    with web_services.db.reading() as session:
        assert session.get(CaseAllocation, case.case_reference).username == "sam.support"
    manager = client_as("morgan.manager")
    _post(manager, f"/tasks/{task.id}/reassign", f"/tasks/{task.id}", username="casey.worker")
    with web_services.db.reading() as session:
        assert session.get(CaseAllocation, case.case_reference).username == "casey.worker"
    assert "Casey Worker" in _text(manager.get(f"/cases/{case.id}").text)


def test_the_chronology_has_the_decision_with_its_rule_and_the_message_sent(web_services: Any,
                                                                            client_as: Any) -> None:
    instance = web_services.runtime.start("demo_referral", {}, actor="casey.worker")
    task = _open_task(web_services, instance.id)
    client = client_as("casey.worker")
    _post(client, f"/tasks/{task.id}", f"/tasks/{task.id}", action="complete", personName="Alex Example",
          referralSource="GP", riskToLife="yes", livesAlone="no")
    text = _text(client.get(f"/cases/{instance.id}/chronology").text)
    assert "Step done: Record the referral" in text and "by Casey Worker" in text
    decision = re.search(r"Decision: ([^.]+)\. ?Rule \d", text) or re.search(r"Decision: (.+?) Rule", text)
    assert decision, text[:2000]
    assert "_" not in decision.group(1)  # the decision's title, not its id
    only = _text(client.get(f"/cases/{instance.id}/chronology?show=decision").text)
    assert "Step done" not in only and "Decision:" in only


def test_a_decision_named_by_its_id_reads_as_words_on_the_case_and_chronology(web_services: Any,
                                                                              client_as: Any) -> None:
    from .support import ROOT

    # As many councils' tables are: the decision's name is its id.
    table = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text().replace(
        '<decision id="DemoReferralPriority" name="Demo referral priority">',
        '<decision id="DemoReferralPriority" name="DemoReferralPriority">')
    assert 'name="DemoReferralPriority"' in table
    with web_services.db.transaction() as session:
        web_services.library.store(session, {"demo_referral.bpmn": (ROOT / "bpmn" / "demo_referral.bpmn").read_text()},
                                   {"demo_referral_priority.dmn": table})
    instance = web_services.runtime.start("demo_referral", {}, actor="casey.worker")
    task = _open_task(web_services, instance.id)
    client = client_as("casey.worker")
    _post(client, f"/tasks/{task.id}", f"/tasks/{task.id}", action="complete", personName="Alex Example",
          referralSource="GP", riskToLife="yes", livesAlone="no")
    for page in (f"/cases/{instance.id}", f"/cases/{instance.id}/chronology"):
        text = _text(client.get(page).text)
        assert "Demo referral priority" in text and "DemoReferralPriority" not in text, page


def test_the_most_urgent_task_comes_first_on_the_inbox_page(web_services: Any, browser_client: Any) -> None:
    from .support import HERE

    with web_services.db.transaction() as session:  # a process whose cases carry an urgency
        web_services.library.store(session, {"urgent_steps.bpmn": (HERE / "urgent_steps.bpmn").read_text()}, {})
    _start(web_services, "Routine Person")
    web_services.runtime.start("web_urgent_steps", {"personName": "Critical Person", "urgency": "CRITICAL"},
                               actor="morgan.manager")
    text = _text(browser_client.get("/").text)
    assert text.index("Critical Person") < text.index("Routine Person")
    assert "Critical" in text and "Not set" in text


def test_a_clean_resident_list_uploaded_in_the_browser_opens_a_case_per_person(
        web_app: Any, web_services: Any, client_as: Any) -> None:
    import io

    from tests.conftest import Users
    from tests.provider_failure.conftest import GROUPS, PF, day

    _register(web_services)
    lead = client_as("quinn.lead")
    started = _post(lead, "/incidents/new", "/incidents/new", provider="1-000000006",
                    trigger="ADMINISTRATOR_APPOINTED",
                    **{"notified-day": "1", "notified-month": "12", "notified-year": "2026"})
    reference = started.headers["Location"].rsplit("/", 1)[1]
    with web_services.db.reading() as session:
        from sqlalchemy import select

        from workflows.models import Instance

        incident_id = session.scalars(select(Instance.id).where(Instance.case_reference == reference)).one()
    # The quality lead's tasks up to active closure, as the provider-failure scenarios work them.
    pf = PF(web_app, Users(web_app).make("qiss.worker", "quality_lead", GROUPS))
    pf.triage(incident_id)
    pf.open_closure(incident_id, day(21))
    upload = f"/incidents/{reference}/people"
    csv = ("personRef,personName,role,fundingCategory,serviceType,placingAuthorityName\n"
           "F1,Avery Example,ADULT,LCC_ARRANGED,CARE_HOME_RESIDENTIAL,Conwy County Borough Council\n"
           "F2,Blake Example,ADULT,SELF_FUNDED,CARE_HOME_NURSING,\n")
    added = lead.post(upload, data={"csrf_token": csrf_token(lead.get(upload).text),
                                    "file": (io.BytesIO(csv.encode()), "residents.csv")},
                      content_type="multipart/form-data")
    assert added.status_code == 302 and added.headers["Location"] == f"/incidents/{reference}"
    dashboard = _text(lead.get(added.headers["Location"]).text)
    assert "2 people added, each with a case of their own" in dashboard
    assert "People with open cases: 2" in dashboard and "Avery Example" in dashboard
    assert "Conwy County Borough Council" in dashboard and "LCC arranged" in dashboard
