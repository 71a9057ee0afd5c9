"""Outbox delivery against real local servers: SMTP (aiosmtpd), a Notify stand-in, a webhook receiver."""
from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from sqlalchemy import select

from handlers.delivery import Delivery, DeliveryError, build_channels
from handlers.delivery.email import message_id
from handlers.delivery.webhook import verify
from handlers.templates import TemplateError, default_templates, parse_template
from tests.conftest import Api
from tests.timers.helpers import fixture_app
from tests.timers.servers import HttpRecorder, SmtpSink, free_port
from workflows.identity import add_user, issue_token
from workflows.models import AuditEvent, OutboxMessage, utcnow
from workflows.outbox import OutboxDispatcher, OutboxPolicy

SERVICE_ID, SECRET = str(uuid.uuid4()), str(uuid.uuid4())
NOTIFY_KEY = f"careflow_test-{SERVICE_ID}-{SECRET}"
FAST = OutboxPolicy(max_attempts=4, backoff_seconds=0.05, max_backoff_seconds=0.2, lease_seconds=5)


@pytest.fixture
def svc(tmp_path, database_url):
    app = fixture_app(tmp_path, database_url=database_url)
    services = app.extensions["careflow"]
    services.app = app
    yield services
    services.db.dispose()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def queue(svc, channel="email", recipient="duty.team@example.org", template="urgent_referral", **payload):
    payload = payload or {"personName": "Alex Example", "caseReference": "CF-1", "priority": "URGENT"}
    key = f"test:{uuid.uuid4()}"
    with svc.db.transaction() as s:
        row = OutboxMessage(idempotency_key=key, channel=channel, recipient=recipient, template=template,
                            payload=payload, created_at=utcnow(), next_attempt_at=utcnow())
        s.add(row)
        s.flush()
        return row.id


def message(svc, message_id_):
    with svc.db.reading() as s:
        return s.get(OutboxMessage, message_id_)


def dispatcher(svc, **settings):
    return OutboxDispatcher(svc.db, build_channels(settings), FAST)


def drain(d, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        d.deliver_due()
        with d.db.reading() as s:
            if not s.scalars(select(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")))).first():
                return
        time.sleep(0.05)


def test_demo_templates_exist_and_render():
    registry = default_templates()
    for name in ("urgent_referral", "referral_acknowledged", "task_overdue", "commissioning_request"):
        assert name in registry.names()
    subject, body = registry.get("urgent_referral").render({"personName": "Alex Example", "caseReference": "CF-9",
                                                            "priority": "URGENT"})
    assert subject == "Urgent referral: Alex Example (CF-9)" and "triaged as URGENT" in body
    with pytest.raises(TemplateError, match="needs a value"):
        registry.get("referral_acknowledged").render({})
    with pytest.raises(TemplateError):
        registry.get("../../etc/passwd")
    with pytest.raises(TemplateError, match="Subject"):
        parse_template("x", "To: nobody\n\nbody")


def test_email_is_delivered_over_smtp_with_the_idempotency_key_as_message_id(svc, smtp):
    mid = queue(svc)
    d = dispatcher(svc, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_FROM="careflow@example.org")
    drain(d)
    row = message(svc, mid)
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None
    [mail] = smtp.messages
    assert mail["Subject"] == "Urgent referral: Alex Example (CF-1)"
    assert mail["To"] == "duty.team@example.org" and mail["From"] == "careflow@example.org"
    assert mail["Message-ID"] == message_id(row.idempotency_key)
    assert "Alex Example has been triaged as URGENT" in mail.get_payload()


def test_smtp_down_messages_wait_back_off_and_go_when_it_returns(svc):
    port = free_port()
    ids = [queue(svc) for _ in range(3)]
    d = OutboxDispatcher(svc.db, build_channels({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}),
                         OutboxPolicy(max_attempts=50, backoff_seconds=0.1, max_backoff_seconds=0.4))
    for _ in range(3):
        d.deliver_due()
        assert all(message(svc, i).next_attempt_at > message(svc, i).created_at for i in ids)  # backing off
        time.sleep(0.15)
    rows = [message(svc, i) for i in ids]
    assert all(r.state == "pending" and r.attempts >= 2 and "unavailable" in r.last_error for r in rows)
    sink = SmtpSink(port).start()
    try:
        drain(d, 5)
    finally:
        sink.stop()
    assert [message(svc, i).state for i in ids] == ["sent"] * 3
    assert sorted(sink.message_ids()) == sorted(message_id(message(svc, i).idempotency_key) for i in ids)


def test_backoff_doubles_up_to_its_ceiling():
    policy = OutboxPolicy(backoff_seconds=10, max_backoff_seconds=60)
    seconds = [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)]
    assert 9 <= seconds[0] <= 11 and 18 <= seconds[1] <= 22 and 36 <= seconds[2] <= 44
    assert all(54 <= s <= 66 for s in seconds[3:])


def test_after_the_last_retry_the_message_is_an_incident_an_admin_can_retry(svc, smtp):
    mid = queue(svc)
    d = dispatcher(svc, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    drain(d, 5)
    row = message(svc, mid)
    assert row.state == "incident" and row.attempts == FAST.max_attempts
    users_admin = _api(svc, "ada.admin", "admin")
    listed = users_admin.get("/outbox?state=incident").get_json()["messages"]
    assert [m["id"] for m in listed] == [mid] and listed[0]["lastError"]
    assert _api(svc, "casey.worker", "caseworker").post(f"/outbox/{mid}/retry").status_code == 403
    assert users_admin.get("/outbox?state=lost").status_code == 422
    assert users_admin.post("/outbox/999999/retry").status_code == 404
    answer = users_admin.post(f"/outbox/{mid}/retry")
    assert answer.status_code == 200 and answer.get_json()["state"] == "pending"
    drain(dispatcher(svc, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port))
    assert message(svc, mid).state == "sent" and len(smtp.messages) == 1
    assert users_admin.post(f"/outbox/{mid}/retry").status_code == 409


def test_permanent_failures_become_incidents_at_once(svc, smtp):
    missing = queue(svc, template="no_such_template")
    unfilled = queue(svc, personName="Alex")  # the template needs caseReference and priority too
    nowhere = queue(svc, recipient="not-an-address")
    unknown = queue(svc, channel="carrier_pigeon")
    drain(dispatcher(svc, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port))
    for mid in (missing, unfilled, nowhere, unknown):
        row = message(svc, mid)
        assert (row.state, row.attempts) == ("incident", 1), row.last_error
    assert smtp.messages == []


def test_group_recipient_resolves_to_its_members(svc, smtp):
    add_user(svc.db, "morgan.manager", "manager", ["team_managers"], email="morgan@example.org")
    add_user(svc.db, "mo.other", "manager", ["team_managers"], email="mo@example.org")
    mid = queue(svc, recipient="group:team_managers")
    drain(dispatcher(svc, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port))
    assert message(svc, mid).state == "sent"
    assert smtp.messages[0]["To"] == "mo@example.org, morgan@example.org"


def test_gov_uk_notify_via_the_official_client(svc):
    def respond(path, headers, body):
        token = headers["Authorization"].split(" ", 1)[1]
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        assert claims["iss"] == SERVICE_ID
        data = json.loads(body)
        if data["template_id"] == "bad-template":
            return 400, {"errors": [{"error": "BadRequestError", "message": "Template not found"}]}
        if len(notify.requests) == 1:
            return 500, {"errors": [{"error": "Exception", "message": "Internal server error"}]}
        return 201, {"id": str(uuid.uuid4()), "reference": data.get("reference")}

    notify = HttpRecorder(respond).start()
    try:
        ok = queue(svc, channel="notify", recipient="person@example.org")
        sms = queue(svc, channel="notify", recipient="07700900123")
        bad = queue(svc, channel="notify", template="referral_acknowledged")
        settings = {"NOTIFY_API_KEY": NOTIFY_KEY, "NOTIFY_BASE_URL": notify.url,
                    "NOTIFY_TEMPLATE_IDS": json.dumps({"urgent_referral": "f33517ff-2a88-4f6e-b855-c550268ce08a",
                                                       "referral_acknowledged": "bad-template"})}
        drain(dispatcher(svc, **settings))
    finally:
        notify.stop()
    assert message(svc, ok).state == "sent" and message(svc, ok).attempts == 2  # the 500 was retried
    assert message(svc, sms).state == "sent"
    assert message(svc, bad).state == "incident" and "400" in message(svc, bad).last_error
    paths = [p for p, _, _ in notify.requests]
    assert "/v2/notifications/email" in paths and "/v2/notifications/sms" in paths
    sent = [json.loads(b) for p, _, b in notify.requests if p.endswith("/email")]
    assert sent[-1]["reference"] == message(svc, ok).idempotency_key
    assert sent[-1]["personalisation"]["personName"] == "Alex Example"


def test_webhook_is_signed_and_retried(svc):
    answers = iter([503, 200])

    def respond(path, headers, body):
        assert verify("s3cret", headers["X-Careflow-Timestamp"], body, headers["X-Careflow-Signature"])
        assert not verify("other", headers["X-Careflow-Timestamp"], body, headers["X-Careflow-Signature"])
        return next(answers), {}

    hook = HttpRecorder(respond).start()
    try:
        mid = queue(svc, channel="webhook", recipient=f"{hook.url}/careflow")
        refused = queue(svc, channel="webhook", recipient="http://198.51.100.7/elsewhere")
        drain(dispatcher(svc, WEBHOOK_SECRET="s3cret", WEBHOOK_ALLOWED_PREFIXES=hook.url))
    finally:
        hook.stop()
    row = message(svc, mid)
    assert (row.state, row.attempts) == ("sent", 2)
    assert message(svc, refused).state == "incident"
    path, headers, body = hook.requests[-1]
    assert path == "/careflow" and headers["Idempotency-Key"] == row.idempotency_key
    assert json.loads(body)["data"]["personName"] == "Alex Example"


def test_record_channel_and_audit_on_the_instance(svc):
    row = svc.runtime.start("demo_referral", {})
    from workflows.identity import Principal

    add_user(svc.db, "casey.worker", "caseworker", ["adult_social_care"])
    casey = Principal("casey.worker", "Casey Worker", "caseworker", ("adult_social_care",))
    from workflows.models import TaskRow

    with svc.db.reading() as s:
        task = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id)).one()
    svc.runtime.complete_task(task.id, {"personName": "Alex Example", "referralSource": "GP",
                                        "riskToLife": False, "livesAlone": True}, casey)
    with svc.db.transaction() as s:
        for m in s.scalars(select(OutboxMessage)):
            m.channel = "record"
    drain(dispatcher(svc))
    with svc.db.reading() as s:
        [m] = s.scalars(select(OutboxMessage)).all()
        assert m.state == "sent" and m.template == "referral_acknowledged"
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "message_sent",
                                                  AuditEvent.instance_id == row.id)).first() is not None


def test_a_lease_that_ran_out_is_taken_again_and_the_late_finish_is_ignored(svc):
    mid = queue(svc, channel="record")
    d = OutboxDispatcher(svc.db, build_channels({}), OutboxPolicy(lease_seconds=0))
    first = d.claim()
    assert first is not None and message(svc, mid).state == "sending"
    second = d.claim()  # the first worker "died": its lease (0 s) is over
    assert second is not None and second.attempt == 2
    d.finish(first, None)  # the first worker's late answer changes nothing
    assert message(svc, mid).state == "sending"
    d.finish(second, None)
    assert message(svc, mid).state == "sent"


def _api(svc, username, role):
    add_user(svc.db, username, role, [], exist_ok=True)
    return Api(svc.app.test_client(), issue_token(svc.db, username), username)


def test_delivery_dataclass_is_all_a_channel_sees():
    d = Delivery(1, "record", None, "urgent_referral", {"personName": "Alex Example", "caseReference": "CF-1",
                                                         "priority": "URGENT"}, "k", 1)
    assert build_channels({})["record"].send(d) is None


def test_a_record_names_a_template_its_data_fills_or_fails_permanently():
    record = build_channels({})["record"]
    with pytest.raises(DeliveryError, match="no message template 'contract_default_notise'") as unknown:
        record.send(Delivery(1, "record", None, "contract_default_notise", {}, "k", 1))
    assert unknown.value.permanent
    with pytest.raises(DeliveryError, match="needs a value for 'personName'"):
        record.send(Delivery(1, "record", None, "urgent_referral", {"caseReference": "CF-1"}, "k", 1))
