"""Schemathesis against the live app: generated requests for every operation in the OpenAPI document,
as an admin (who may call everything). No request may answer 5xx, and every answer must match the
document (status codes listed, bodies of the declared shape). Examples are bounded to keep it quick."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import make_app

_tmp = Path(tempfile.mkdtemp(prefix="careflow-schemathesis-"))
APP = make_app(_tmp)


def _token() -> str:
    from workflows.identity import add_user, issue_token

    services = APP.extensions["careflow"]
    add_user(services.db, "ada.admin", "admin", ["admins"], exist_ok=True)
    return issue_token(services.db, "ada.admin")


TOKEN = _token()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
