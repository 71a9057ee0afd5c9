"""Helpers for the clock and delivery tests: an app whose library holds only the named fixtures."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROOT = FIXTURES.parent.parent


def fixture_app(tmp_path: Path, *names: str, database_url: str | None = None, **config: Any) -> Any:
    """A test app over a BPMN folder holding ``names`` (from tests/fixtures) plus the demo referral."""
    from app import create_app

    bpmn = tmp_path / "bpmn"
    bpmn.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, bpmn / name)
    shutil.copy(ROOT / "bpmn" / "demo_referral.bpmn", bpmn / "demo_referral.bpmn")
    settings = {"TESTING": True, "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'careflow.db'}",
                "CREATE_SCHEMA": True, "BPMN_DIR": str(bpmn)}
    settings.update(config)
    return create_app(settings)


def at(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)
