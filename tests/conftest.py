"""Shared fixtures: a fresh app and database per test, users with tokens, an API helper."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_app(tmp_path: Path, **overrides: Any) -> Any:
    from app import create_app

    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'careflow.db'}", "CREATE_SCHEMA": True}
    config.update(overrides)
    return create_app(config)


def disposed(application: Any) -> Iterator[Any]:
    """For an app fixture: yields the app, then closes its database connections after the test."""
    yield application
    application.extensions["careflow"].db.dispose()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    yield from disposed(make_app(tmp_path))


@pytest.fixture
def services(app: Any) -> Any:
    return app.extensions["careflow"]


@pytest.fixture
def runtime(services: Any) -> Any:
    return services.runtime


class Api:
    """The test client as one user: ``api.get(path)``, ``api.post(path, json=...)``."""

    def __init__(self, client: Any, token: str, username: str) -> None:
        self.client, self.token, self.username = client, token, username

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json if json is not None else {},
                                headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(f"/api/v1{path}", json=json if json is not None else {},
                               headers=self._headers(kw.pop("headers", None)), **kw)


class Users:
    """Creates users on demand and hands back an :class:`Api` for each."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.services = app.extensions["careflow"]

    def make(self, username: str, role: str = "caseworker", groups: tuple[str, ...] = ("adult_social_care",)) -> Api:
        from workflows.identity import add_user, issue_token

        add_user(self.services.db, username, role, list(groups), exist_ok=True)
        return Api(self.app.test_client(), issue_token(self.services.db, username), username)

    def principal(self, username: str) -> Any:
        from workflows.identity import principal_for

        with self.services.db.reading() as session:
            return principal_for(session, username)


@pytest.fixture
def users(app: Any) -> Users:
    return Users(app)


@pytest.fixture
def caseworker(users: Users) -> Api:
    return users.make("casey.worker", "caseworker", ("adult_social_care",))


@pytest.fixture
def admin(users: Users) -> Api:
    return users.make("ada.admin", "admin", ("admins",))


REFERRAL = {"personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": True}


def lab_app(tmp_path: Path, *fixtures: str, **overrides: Any) -> Any:
    """An app whose library holds the demo process plus the named test diagrams from tests/fixtures."""
    import shutil

    bpmn_dir, forms_dir = tmp_path / "bpmn", tmp_path / "bpmn" / "forms"
    forms_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "bpmn" / "demo_referral.bpmn", bpmn_dir)
    for form in (ROOT / "bpmn" / "forms").glob("referral_details.*"):
        shutil.copy(form, forms_dir)
    for name in fixtures:
        shutil.copy(FIXTURES / name, bpmn_dir)
    for form in FIXTURES.glob("*.schema.json"):
        shutil.copy(form, forms_dir)
    return make_app(tmp_path, BPMN_DIR=str(bpmn_dir), FORMS_DIR=str(forms_dir), **overrides)
