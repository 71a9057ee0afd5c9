"""Issue 12, CSP-21: the copy of the plan (M-C8) goes out through the outbox carrying the stored PDF and
HTML, read when the message is claimed; delivered over a real local SMTP server. Someone the person
has not consented to share with gets nothing."""
from __future__ import annotations

import hashlib
import time
import uuid
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select

from app.wiring import outbox_dispatcher
from tests.timers.servers import SmtpSink
from workflows.models import OutboxMessage, utcnow

from .conftest import CP, complete_plan

MS_F = {"personRef": "P-I12-F", "personName": "Ms F (invented)", "assessmentFinalised": True,
        "indicativeWeekly": 250, "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
        "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
        "orDetermined": "THIS_COUNCIL"}
HOME_CARE = {"description": "Home care", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 200, "frequency": "daily"}
PEOPLE = [{"name": "Ms F (invented)", "relationship": "PERSON", "format": "STANDARD"},
          {"name": "Her son (invented)", "relationship": "SON", "recipient": "son@example.invalid",
           "consentToShare": True},
          {"name": "A neighbour (invented)", "relationship": "NEIGHBOUR", "recipient": "neighbour@example.invalid",
           "consentToShare": False}]
FAST = {"OUTBOX_MAX_ATTEMPTS": 2, "OUTBOX_BACKOFF_SECONDS": 0.05, "OUTBOX_MAX_BACKOFF_SECONDS": 0.1}


@pytest.fixture
def smtp() -> Any:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def _signed_off(cp: CP) -> tuple[str, int]:
    case = cp.start(MS_F)
    cp.set_up(case)
    plan_id = cp.write_plan(case, complete_plan(copyRecipients=PEOPLE), [HOME_CARE])
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.manager)
    for line in cp.plan(case)["lineItems"]:
        assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    return case, plan_id


def _drain(cp: CP, smtp: SmtpSink, seconds: float = 10.0) -> None:
    dispatcher = outbox_dispatcher(cp.services, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
                                                 "SMTP_FROM": "careflow@example.org", **FAST})
    deadline = time.time() + seconds
    while time.time() < deadline:
        dispatcher.deliver_due()
        with cp.services.db.reading() as s:
            if s.scalars(select(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")))).first() is None:
                return
        time.sleep(0.05)


def _states(cp: CP, template: str) -> dict[str | None, str]:
    with cp.services.db.reading() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
        return {m.recipient: m.state for m in rows}


def test_the_plan_copy_is_mailed_with_its_stored_pdf_and_only_to_those_with_consent(cp: CP, smtp: SmtpSink) -> None:
    case, _plan_id = _signed_off(cp)
    assert [r for t, r in cp.sent(case) if t == "mc8_plan_copy"] == ["person", "son@example.invalid"]
    stored = {d["kind"]: d for d in cp.plan(case)["documents"]}
    pdf, html = stored["PLAN_COPY_PDF"], stored["PLAN_COPY_HTML"]

    _drain(cp, smtp)
    assert _states(cp, "mc8_plan_copy") == {"person": "sent", "son@example.invalid": "sent"}
    copies = {m["To"]: m for m in smtp.messages if m["Subject"].startswith("Care and support plan")}
    assert sorted(copies) == ["person.contact@example.org", "son@example.invalid"]
    assert not any("neighbour@example.invalid" in (m["To"] or "") for m in smtp.messages)

    mail = message_from_bytes(copies["son@example.invalid"].as_bytes(), policy=policy.default)
    assert mail.is_multipart() and "Dear Her son (invented)" in mail.get_body(("plain",)).get_content()
    files = {part.get_filename(): part for part in mail.iter_attachments()}
    assert sorted(files) == sorted([pdf["filename"], html["filename"]])
    sent_pdf = files[pdf["filename"]]
    assert sent_pdf.get_content_type() == "application/pdf"
    content = sent_pdf.get_content()
    assert content.startswith(b"%PDF-") and len(content) == pdf["size"]
    assert hashlib.sha256(content).hexdigest() == pdf["sha256"] == sent_pdf["X-Careflow-Content-SHA256"].strip()
    sent_html = files[html["filename"]]
    assert sent_html.get_content_type() == "text/html"
    assert hashlib.sha256(sent_html.get_payload(decode=True)).hexdigest() == html["sha256"]
    # What the template sees is the message's data, not the references to its files.
    assert "care_plan_document" not in mail.get_body(("plain",)).get_content()


def test_a_message_whose_file_is_missing_or_altered_is_never_sent_without_it(cp: CP, smtp: SmtpSink) -> None:
    from workflows.procedures.care_planning.models import PlanDocument

    case, _plan_id = _signed_off(cp)
    _drain(cp, smtp)
    sent_before = len(smtp.messages)
    pdf_id = next(d["id"] for d in cp.plan(case)["documents"] if d["kind"] == "PLAN_COPY_PDF")
    with cp.services.db.transaction() as s:
        s.get(PlanDocument, pdf_id).content = b"%PDF-1.4 not the plan that was signed off"
        for ref, who in (({"store": "care_plan_document", "id": pdf_id}, "altered@example.invalid"),
                         ({"store": "care_plan_document", "id": 999999}, "missing@example.invalid"),
                         ({"store": "no_such_store", "id": 1}, "unknown@example.invalid")):
            s.add(OutboxMessage(idempotency_key=f"test:{uuid.uuid4()}", channel="email", recipient=who,
                                template="mc8_plan_copy", created_at=utcnow(), next_attempt_at=utcnow(),
                                payload={"caseReference": "CF-X", "personName": "Ms F (invented)",
                                         "recipientName": "Someone", "format": "STANDARD", "planVersion": 1,
                                         "attachments": [ref]}))
    _drain(cp, smtp)
    assert len(smtp.messages) == sent_before
    with cp.services.db.reading() as s:
        failed = {m.recipient: m.last_error for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient.like("%@example.invalid"), OutboxMessage.state == "incident"))}
    assert "content hash" in failed["altered@example.invalid"]
    assert "not stored" in failed["missing@example.invalid"] and "not stored" in failed["unknown@example.invalid"]

