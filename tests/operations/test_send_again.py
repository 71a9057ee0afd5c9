""""Send again" on an outbox message: one use case behind two API routes and two pages, so each gives
the same answers, the same wording and the same audit row, naming the person who pressed it."""
from __future__ import annotations

import re
from html import unescape

import pytest

from tests.web.support import csrf_token
from workflows.models import OutboxMessage

from .support import audit_rows, start_sharing

API_ROUTES = {"outbox": "/outbox/{id}/retry", "operations": "/operations/messages/{id}/retry"}
PAGE_ROUTES = {"outbox": "/outbox/{id}/retry", "operations": "/operations/messages/{id}/retry"}
NOT_SENDABLE = ("only a message that could not be delivered, or is waiting to try again after a failure, "
                "can be sent again")
OWN_FIELDS = ("id", "idempotencyKey", "createdAt")  # differ between two messages



def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _message(svc, instance_id: str | None, key: str, *, state: str = "incident", attempts: int = 8) -> int:
    with svc.db.transaction() as session:
        row = OutboxMessage(instance_id=instance_id, idempotency_key=key, channel="email",
                            recipient="family@example.org", template="referral_acknowledged", state=state,
                            attempts=attempts, last_error="SMTP refused: mailbox unavailable")
        session.add(row)
        session.flush()
        return row.id


def _row(svc, message_id: int) -> OutboxMessage:
    with svc.db.reading() as session:
        return session.get(OutboxMessage, message_id)


def _retried(svc, instance_id: str) -> list[tuple]:
    """The audit rows of retries on a case, with the message id left out so two messages compare."""
    return [(r.actor, r.action, r.task_id, {k: v for k, v in r.data.items() if k != "message"}, r.data["message"])
            for r in audit_rows(svc, instance_id, "message_retried")]


def _post_page(client, path: str) -> object:
    token = csrf_token(client.get("/operations/incidents").text)
    return client.post(path, data={"csrf_token": token})


@pytest.mark.parametrize("route", sorted(API_ROUTES))
def test_the_api_writes_one_audit_row_naming_the_person(as_user, svc, route):
    case = start_sharing(svc, f"Api {route.title()}")
    mid = _message(svc, case.id, f"api:{route}")
    sent = as_user("ada.admin").post(API_ROUTES[route].format(id=mid))
    assert sent.status_code == 200 and (sent.json["state"], sent.json["attempts"]) == ("pending", 0)
    [(actor, action, _, data, message)] = _retried(svc, case.id)
    assert (actor, action, message) == ("ada.admin", "message_retried", mid)
    assert data == {"channel": "email", "template": "referral_acknowledged", "previousState": "incident",
                    "previousAttempts": 8, "attempts": 0}


def test_both_api_routes_answer_and_audit_alike(as_user, svc):
    """Fails as soon as the two routes drift apart: statuses, bodies, wording and audit rows."""
    admin = as_user("ada.admin")
    case = start_sharing(svc, "Same Answers")
    answers: dict[str, list] = {}
    for route, path in API_ROUTES.items():
        mid = _message(svc, case.id, f"same:{route}")
        first = admin.post(path.format(id=mid))
        again = admin.post(path.format(id=mid))  # already waiting with a fresh count
        with svc.db.transaction() as session:
            session.get(OutboxMessage, mid).state = "sent"
        after_sent = admin.post(path.format(id=mid))
        unknown = admin.post(path.format(id=987654))
        answers[route] = [
            (first.status_code, {k: v for k, v in first.json.items() if k not in OWN_FIELDS}),
            (again.status_code, again.json["message"].replace(str(mid), "N"), again.json.get("error")),
            (after_sent.status_code, after_sent.json["message"].replace(str(mid), "N")),
            (unknown.status_code, unknown.json["message"]),
        ]
    assert answers["outbox"] == answers["operations"]
    assert [a[0] for a in answers["outbox"]] == [200, 409, 409, 404]
    assert answers["outbox"][1][1] == f"Message N is already waiting to be sent; {NOT_SENDABLE}"
    assert answers["outbox"][2][1] == f"Message N was already sent; {NOT_SENDABLE}"
    assert answers["outbox"][3][1] == "No outbox message 987654"
    rows = _retried(svc, case.id)
    assert len(rows) == 2 and rows[0][:4] == rows[1][:4]  # only the message id differs


def test_who_may_send_again_by_api(as_user, svc):
    case = start_sharing(svc, "Who May")
    mid = _message(svc, case.id, "who:1")
    for username in ("casey.worker", "morgan.manager"):
        for path in API_ROUTES.values():
            assert as_user(username).post(path.format(id=mid)).status_code == 403, (username, path)
    # The README's table: outbox.retry is for admins; operators (quality leads too) repair from /operations.
    assert as_user("quinn.lead").post(API_ROUTES["outbox"].format(id=mid)).status_code == 403
    assert as_user("quinn.lead").post(API_ROUTES["operations"].format(id=mid)).status_code == 200
    assert [r[0] for r in _retried(svc, case.id)] == ["quinn.lead"]


def test_waiting_after_a_failure_may_be_sent_now_but_sending_may_not(as_user, svc):
    admin = as_user("ada.admin")
    backing_off = _message(svc, None, "wait:1", state="pending", attempts=2)
    assert admin.post(f"/outbox/{backing_off}/retry").json["attempts"] == 0
    sending = _message(svc, None, "wait:2", state="sending", attempts=1)
    refused = admin.post(f"/operations/messages/{sending}/retry")
    assert refused.status_code == 409 and refused.json["message"] == (
        f"Message {sending} is being sent now; {NOT_SENDABLE}")
    assert _row(svc, sending).state == "sending"


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES))
def test_both_pages_send_again_with_the_same_words_and_audit(signed_in, svc, route):
    case = start_sharing(svc, f"Page {route.title()}")
    mid = _message(svc, case.id, f"page:{route}")
    client = signed_in("ada.admin")
    done = _post_page(client, PAGE_ROUTES[route].format(id=mid))
    assert done.status_code == 302 and _row(svc, mid).state == "pending"
    assert f"Message {mid} will be sent again in a moment." in _text(client.get(done.location).text)
    again = _post_page(client, PAGE_ROUTES[route].format(id=mid))
    assert again.status_code == 302
    assert f"Message {mid} is already waiting to be sent; {NOT_SENDABLE}" in _text(client.get(again.location).text)
    missing = _post_page(client, PAGE_ROUTES[route].format(id=987654))
    assert missing.status_code == 404 and "No outbox message 987654" in _text(missing.text)
    [(actor, _, _, data, message)] = _retried(svc, case.id)
    assert (actor, message, data["previousState"], data["previousAttempts"]) == ("ada.admin", mid, "incident", 8)


def test_pages_refuse_people_without_the_permission(signed_in, svc):
    case = start_sharing(svc, "Page Refusals")
    mid = _message(svc, case.id, "refuse:1")
    for username in ("casey.worker", "morgan.manager"):
        client = signed_in(username)
        token = csrf_token(client.get("/").text)
        for path in PAGE_ROUTES.values():
            assert client.post(path.format(id=mid), data={"csrf_token": token}).status_code == 403, username
    lead = signed_in("quinn.lead")
    assert _post_page(lead, PAGE_ROUTES["outbox"].format(id=mid)).status_code == 403
    assert _post_page(lead, PAGE_ROUTES["operations"].format(id=mid)).status_code == 302
    assert [r[0] for r in _retried(svc, case.id)] == ["quinn.lead"]


def test_the_case_history_names_who_sent_it_again(as_user, signed_in, svc):
    case = start_sharing(svc, "History Example")
    mid = _message(svc, case.id, "history:1")
    as_user("quinn.lead").post(API_ROUTES["operations"].format(id=mid))
    page = _text(signed_in("ada.admin").get(f"/cases/{case.id}/chronology?show=message").text)
    assert re.search(r"by Quinn Lead Message sent again: Referral acknowledged", page), page
