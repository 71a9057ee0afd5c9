"""Helpers shared by the web tests and the browser tests: an app with the test forms and the
two-step test process stored, users who can sign in, and a signed-in test client."""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PASSWORD = "careflow-demo"
PEOPLE = [
    # invented people
    ("casey.worker", "Casey Worker", "caseworker", ["adult_social_care"]),
    ("sam.support", "Sam Support", "caseworker", ["adult_social_care"]),
    ("rowan.other", "Rowan Other", "caseworker", ["learning_disability"]),
    ("morgan.manager", "Morgan Manager", "manager", ["adult_social_care", "team_managers"]),
    ("quinn.lead", "Quinn Lead", "quality_lead", ["qiss"]),
]


def make_web_app(tmp_path: Path, **overrides: Any) -> Any:
    """An app on a fresh SQLite file with the demo and two-step processes and the test users."""
    from app import create_app
    from workflows.identity import add_user

    forms_dir = tmp_path / "forms"
    forms_dir.mkdir(parents=True, exist_ok=True)
    for source in [*(ROOT / "bpmn" / "forms").glob("*.json"), *(HERE / "forms").glob("*.json")]:
        shutil.copy(source, forms_dir)
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'careflow.db'}", "CREATE_SCHEMA": True,
              "FORMS_DIR": str(forms_dir)}
    config.update(overrides)
    app = create_app(config)
    services = app.extensions["careflow"]
    with services.db.transaction() as session:
        services.library.store(session, {"two_steps.bpmn": (HERE / "two_steps.bpmn").read_text()}, {})
    for username, name, role, groups in PEOPLE:
        add_user(services.db, username, role, groups, display_name=name, password=PASSWORD, exist_ok=True)
    from tests.provider_failure.conftest import seed_directory

    seed_directory(app)  # the recipient directory as `careflow demo` seeds it
    return app


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf_token": csrf_token(page.text), "username": username,
                                             "password": password})
    assert response.status_code == 302, response.text
    return response


def signed_in_clients(app: Any) -> Callable[[str], Any]:
    """Makes a test client of ``app`` signed in as the user named."""
    def make(username: str) -> Any:
        client = app.test_client()
        sign_in(client, username)
        return client
    return make
