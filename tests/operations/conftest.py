"""Fixtures for the operators' use cases, pages and API."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pg import pg_server, pg_url  # noqa: F401  (PostgreSQL for the deployment test)
from tests.web.support import sign_in

from .support import make_ops_app


@pytest.fixture
def ops_app(tmp_path: Path) -> Any:
    application = make_ops_app(tmp_path)
    yield application
    application.extensions["careflow"].db.dispose()


@pytest.fixture
def svc(ops_app: Any) -> Any:
    return ops_app.extensions["careflow"]


@pytest.fixture
def ops(svc: Any) -> Any:
    from workflows.operations import Operations

    return Operations(svc.runtime)


@pytest.fixture
def signed_in(ops_app: Any) -> Any:
    def make(username: str) -> Any:
        client = ops_app.test_client()
        sign_in(client, username)
        return client
    return make
