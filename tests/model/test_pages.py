"""The modeller's pages for process owners; 403 for everyone else."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import disposed
from tests.web.support import csrf_token, signed_in_clients

from .conftest import modeller_web_app


@pytest.fixture
def web(tmp_path) -> Iterator[Any]:
    yield from disposed(modeller_web_app(tmp_path))


def _client(web: Any, who: str) -> Any:
    return signed_in_clients(web)(who)


def test_caseworkers_get_403_and_strangers_sign_in(web):
    casey = _client(web, "casey.worker")
    for path in ("/model", "/model/processes/demo_referral", "/model/decisions/demo_referral_priority.dmn",
                 "/model/forms/referral_details", "/model/processes/demo_referral/migrate"):
        assert casey.get(path).status_code == 403, path
    assert casey.get("/model/api/processes/demo_referral/file", headers={"Accept": "application/json"}
                     ).status_code == 403
    assert "/sign-in" in web.test_client().get("/model").headers["Location"]
    assert "Modeller" not in casey.get("/").text


def test_every_page_renders_for_a_process_owner(web):
    pat = _client(web, "pat.owner")
    home = pat.get("/model")
    assert home.status_code == 200 and "Demo referral" in home.text and "Modeller" in home.text
    for path in ("/model/processes/demo_referral", "/model/processes/provider_failure",
                 "/model/processes/demo_referral/compare?from=1&to=1",
                 "/model/processes/demo_referral/migrate", "/model/decisions/demo_referral_priority.dmn",
                 "/model/forms/referral_details", "/model/forms/pf_notice_period"):
        page = pat.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    for path in ("/model/processes/nope", "/model/decisions/nope.dmn", "/model/forms/nope",
                 "/model/processes/demo_referral?version=9", "/model/processes/demo_referral/compare?from=1&to=9"):
        assert pat.get(path).status_code == 404, path


def test_json_calls_from_the_pages_need_the_csrf_token(web):
    pat = _client(web, "pat.owner")
    page = pat.get("/model/processes/demo_referral").text
    xml = pat.get("/model/api/processes/demo_referral/file", headers={"Accept": "application/json"}).json["content"]
    refused = pat.post("/model/api/processes/demo_referral/check", json={"xml": xml},
                       headers={"Accept": "application/json"})
    assert refused.status_code == 400
    ok = pat.post("/model/api/processes/demo_referral/check", json={"xml": xml},
                  headers={"Accept": "application/json", "X-CSRFToken": csrf_token(page)})
    assert ok.status_code == 200 and ok.json == {"problems": []}
    preview = pat.post("/model/api/forms/preview", json={"schema": {"type": "object", "title": "T", "properties": {
        "a": {"type": "string", "title": "Your answer"}}}}, headers={"X-CSRFToken": csrf_token(page)})
    assert preview.status_code == 200 and "Your answer" in preview.json["html"]
    bad = pat.post("/model/api/forms/preview", json={"schema": []}, headers={"X-CSRFToken": csrf_token(page)})
    assert bad.status_code == 422


def test_deploy_and_scenario_forms(web):
    pat = _client(web, "pat.owner")
    page = pat.get("/model/processes/demo_referral").text
    token = csrf_token(page)
    run = pat.post("/model/processes/demo_referral", data={"csrf_token": token})
    assert run.status_code == 200 and "2 passed, 0 failed" in run.text
    xml = pat.get("/model/api/processes/demo_referral/file", headers={"Accept": "application/json"}).json["content"]
    saved = pat.post("/model/api/processes/demo_referral/versions", headers={"X-CSRFToken": token},
                     json={"xml": xml.replace('name="Record the referral"', 'name="Record it"'), "comment": "c"})
    assert saved.status_code == 201
    no_reason = pat.post("/model/processes/demo_referral/versions/2/deploy", data={"csrf_token": token},
                         follow_redirects=True)
    assert "Enter a reason" in no_reason.text
    done = pat.post("/model/processes/demo_referral/versions/2/deploy", data={"csrf_token": token, "reason": "ok"},
                    follow_redirects=True)
    assert "Version 2 is now current" in done.text
    assert pat.post("/model/processes/demo_referral/versions/2/deploy", data={"reason": "x"}).status_code == 400


def test_a_refused_deploy_on_the_page_says_why_and_changes_nothing(web):
    from tests.conftest import ROOT

    pat = _client(web, "pat.owner")
    token = csrf_token(pat.get("/model/processes/demo_referral").text)
    json_headers = {"Accept": "application/json", "X-CSRFToken": token}
    demo = (ROOT / "bpmn" / "demo_referral.bpmn").read_text().replace('name="Urgent?"', 'name="Is it urgent?"')
    table = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text().replace("Everyone else", "Everybody else")
    assert pat.post("/model/api/processes/demo_referral/versions", json={"xml": demo, "comment": "Wording"},
                    headers=json_headers).status_code == 201
    assert pat.post("/model/api/decisions/demo_referral_priority.dmn/versions",
                    json={"xml": table, "comment": "Plainer"}, headers=json_headers).status_code == 201
    assert pat.post("/model/api/decisions/demo_referral_priority.dmn/versions/2/deploy",
                    json={"reason": "Agreed"}, headers=json_headers).status_code == 200
    page = pat.get("/model/processes/demo_referral").text
    answer = pat.post("/model/processes/demo_referral/versions/2/deploy",
                      data={"csrf_token": csrf_token(page), "reason": "Wording live"}, follow_redirects=True)
    assert answer.status_code == 200
    assert "would put the older demo_referral_priority.dmn back" in answer.text
    assert "Version 2 is now current" not in answer.text


def test_a_version_number_too_big_for_the_database_is_a_404_not_a_500(web):
    pat = _client(web, "pat.owner")
    big = "99999999999999999999999"
    for path in (f"/model/processes/demo_referral?version={big}",
                 f"/model/processes/demo_referral/compare?from={big}&to=1",
                 f"/model/processes/demo_referral/migrate?to={big}",
                 f"/model/processes/demo_referral?version={2**31}",
                 "/model/forms/referral_details?version=9"):
        assert pat.get(path).status_code == 404, path
    answer = pat.get(f"/model/api/processes/demo_referral/file?version={big}", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.json["message"] == f"No version {big} of process 'demo_referral'"
    token = csrf_token(pat.get("/model/processes/demo_referral").text)
    dry = pat.post("/model/api/processes/demo_referral/migrations/dry-run", json={"toVersion": 2**40},
                   headers={"Accept": "application/json", "X-CSRFToken": token})
    assert dry.status_code == 422 and dry.json["errors"][0]["field"] == "toVersion"
