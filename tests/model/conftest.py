"""A modeller app on copies of bpmn/, dmn/ and the forms, so saving, deploying and exporting
never touch the repository's files; a process owner, an admin and a caseworker with tokens."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Users, disposed, make_app


def copy_sources(tmp_path: Path) -> dict[str, str]:
    bpmn, dmn = tmp_path / "src" / "bpmn", tmp_path / "src" / "dmn"
    shutil.copytree(ROOT / "bpmn", bpmn)
    shutil.copytree(ROOT / "dmn", dmn)
    return {"BPMN_DIR": str(bpmn), "DMN_DIR": str(dmn), "FORMS_DIR": str(bpmn / "forms"),
            "COUNCIL_CONFIG": str(dmn / "council_config.json")}


@pytest.fixture
def model_app(tmp_path: Path) -> Iterator[Any]:
    application = make_app(tmp_path, **copy_sources(tmp_path))
    from tests.provider_failure.conftest import seed_directory

    seed_directory(application)  # the addresses the provider-failure scenarios send to, as `careflow demo` seeds
    yield from disposed(application)


@pytest.fixture
def model_users(model_app: Any) -> Users:
    return Users(model_app)


@pytest.fixture
def owner(model_users: Users) -> Any:
    return model_users.make("pat.owner", "process_owner", ("process_owners",))


@pytest.fixture
def casey(model_users: Users) -> Any:
    return model_users.make("casey.worker", "caseworker", ("adult_social_care",))


def modeller_web_app(tmp_path: Path, **overrides: Any) -> Any:
    """The web tests' app (test users, the two-step process) on copies of the sources, plus pat.owner."""
    from tests.web.support import HERE as WEB
    from tests.web.support import make_web_app
    from workflows.identity import add_user

    sources = copy_sources(tmp_path)
    for form in (WEB / "forms").glob("*.json"):
        shutil.copy(form, sources["FORMS_DIR"])
    app = make_web_app(tmp_path, **sources, **overrides)
    add_user(app.extensions["careflow"].db, "pat.owner", "process_owner", ["process_owners"],
             display_name="Pat Owner", password="careflow-demo", exist_ok=True)
    return app
