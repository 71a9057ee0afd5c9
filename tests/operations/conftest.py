"""Fixtures for the operators' use cases, pages and API."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, disposed
from tests.pg import pg_server, pg_url  # noqa: F401  (PostgreSQL for the deployment test)
from tests.web.support import signed_in_clients

from .support import make_ops_app


@pytest.fixture
def ops_app(tmp_path: Path) -> Iterator[Any]:
    yield from disposed(make_ops_app(tmp_path))


@pytest.fixture
def svc(ops_app: Any) -> Any:
    return ops_app.extensions["careflow"]


@pytest.fixture
def ops(svc: Any) -> Any:
    from workflows.operations import Operations

    return Operations(svc.runtime)


@pytest.fixture
def signed_in(ops_app: Any) -> Callable[[str], Any]:
    return signed_in_clients(ops_app)


@pytest.fixture
def as_user(ops_app: Any) -> Callable[[str], Any]:
    """The API as ``username``, with a fresh token."""
    from workflows.identity import issue_token

    db = ops_app.extensions["careflow"].db

    def make(username: str) -> Any:
        return Api(ops_app.test_client(), issue_token(db, username), username)
    return make
