"""Schemathesis against the live app: generated requests for every operation in the OpenAPI document,
as an admin (who may call everything). No request may answer 5xx; every answer must match the document
(a status it lists, the content type and body shape it declares, its headers). Examples are bounded to
keep it quick.

Not asserted: that every request the document allows succeeds (careflow checks more than a schema can
say: XML that parses, data that fits the task's own form), nor that every request it would not allow is
refused (careflow ignores query parameters it does not use, as most HTTP services do)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_app

_tmp = Path(tempfile.mkdtemp(prefix="careflow-schemathesis-"))
APP = make_app(_tmp)


def _token() -> str:
    from workflows.identity import add_user, issue_token

    services = APP.extensions["careflow"]
    add_user(services.db, "ada.admin", "admin", ["admins"], exist_ok=True)
    return issue_token(services.db, "ada.admin")


TOKEN = _token()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
