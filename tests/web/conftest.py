"""Fixtures for the web pages through Flask's test client."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import disposed

from .support import make_web_app, signed_in_clients


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[Any]:
    yield from disposed(make_web_app(tmp_path))


@pytest.fixture
def web_services(web_app: Any) -> Any:
    return web_app.extensions["careflow"]


@pytest.fixture
def browser_client(web_app: Any) -> Any:
    """A test client signed in as casey.worker (a caseworker in adult_social_care)."""
    return signed_in_clients(web_app)("casey.worker")


@pytest.fixture
def client_as(web_app: Any) -> Callable[[str], Any]:
    return signed_in_clients(web_app)
