"""What a careless or hostile client sends gets a clear 4xx (or a 503 to retry), never a 500."""
from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import make_app


def raw(api, method, path, data, content_type="application/json"):
    return getattr(api.client, method)(f"/api/v1{path}", data=data, content_type=content_type,
                                       headers={"Authorization": f"Bearer {api.token}"})


@pytest.mark.parametrize("path", ["/incidents/99999999999999999999999/retry", "/outbox/18446744073709551616/retry",
                                  "/commissioning/9223372036854775808/state"])
def test_ids_beyond_64_bits_are_not_found(admin, path):
    response = admin.post(path, json={})
    assert response.status_code == 404, response.json


@pytest.mark.parametrize("field, value, message", [
    ("businessKey", {"a": 1}, "Must be text"), ("caseReference", [1], "Must be text"),
    ("title", 10**40, "Must be text"), ("businessKey", "", "Must not be empty"),
    ("caseReference", "has spaces in it", "Can only contain"), ("title", "x" * 301, "at most 300"),
])
def test_start_fields_of_the_wrong_type_are_named_in_a_422(caseworker, field, value, message):
    response = caseworker.post("/processes/demo_referral/instances", json={"data": {}, field: value})
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["field"] == field and message in error["message"]


def test_an_empty_business_key_twice_starts_nothing(caseworker):
    for _ in range(2):
        assert caseworker.post("/processes/demo_referral/instances",
                               json={"data": {}, "businessKey": ""}).status_code == 422
    assert caseworker.get("/instances").json["instances"] == []


@pytest.mark.parametrize("text, words", [
    ("[" * 200_000 + "]" * 200_000, "levels deep"),
    ('{"data": {"x": NaN}}', "NaN is not a JSON number"),
    ('{"data": {"x": Infinity}}', "Infinity is not a JSON number"),
    ('{"data": {"x": -Infinity}}', "Infinity is not a JSON number"),
    ('{"data": ' * 100 + "1" + "}" * 100, "levels deep"),
    ("{not json", "not valid JSON"),
])
def test_json_that_cannot_be_taken_is_a_400_saying_why(caseworker, text, words):
    response = raw(caseworker, "post", "/processes/demo_referral/instances", text)
    assert response.status_code == 400 and words in response.json["message"]


def test_a_form_field_not_on_the_form_is_named(caseworker):
    started = caseworker.post("/processes/demo_referral/instances", json={"data": {}}).json
    task = started["openTasks"][0]["id"]
    response = caseworker.post(f"/tasks/{task}/complete", json={"data": {"personName": "Alex Example",
                                                                        "notOnTheForm": True}})
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json["errors"]}
    assert "'notOnTheForm'" in fields["notOnTheForm"]


def test_a_wrong_method_is_405_with_allow(caseworker):
    response = caseworker.client.delete("/api/v1/processes/demo_referral/instances",
                                        headers={"Authorization": f"Bearer {caseworker.token}"})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}


def test_a_busy_database_answers_503_with_retry_after_and_changes_nothing(tmp_path, users):
    app = make_app(tmp_path, SQLITE_BUSY_TIMEOUT_MS=200)
    from tests.conftest import Users

    api = Users(app).make("casey.worker")
    blocker = sqlite3.connect(tmp_path / "careflow.db", timeout=5)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        response = api.post("/processes/demo_referral/instances", json={"data": {}})
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503, response.json
    assert response.headers["Retry-After"].isdigit() and "Try again" in response.json["message"]
    assert api.get("/instances").json["instances"] == []
    assert api.post("/processes/demo_referral/instances", json={"data": {}}).status_code == 201
    app.extensions["careflow"].db.dispose()


def test_a_huge_number_in_data_is_kept_or_refused_never_a_500(caseworker):
    text = json.dumps({"data": {"amount": 10**30}})
    response = raw(caseworker, "post", "/processes/demo_referral/instances", text)
    assert response.status_code in (201, 422)
