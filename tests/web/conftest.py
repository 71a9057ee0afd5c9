"""Fixtures for the web pages through Flask's test client."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .support import make_web_app, sign_in


@pytest.fixture
def web_app(tmp_path: Path) -> Any:
    application = make_web_app(tmp_path)
    yield application
    application.extensions["careflow"].db.dispose()


@pytest.fixture
def web_services(web_app: Any) -> Any:
    return web_app.extensions["careflow"]


@pytest.fixture
def browser_client(web_app: Any) -> Any:
    """A test client signed in as casey.worker (a caseworker in adult_social_care)."""
    client = web_app.test_client()
    sign_in(client, "casey.worker")
    return client


@pytest.fixture
def client_as(web_app: Any) -> Any:
    def make(username: str) -> Any:
        client = web_app.test_client()
        sign_in(client, username)
        return client
    return make
