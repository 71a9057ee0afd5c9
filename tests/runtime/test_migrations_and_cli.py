"""The Alembic migrations build exactly the models' schema; the console command works."""
from __future__ import annotations

import json
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import ROOT
from workflows.db import Database
from workflows.models import Base

CAREFLOW = [sys.executable, "-m", "app.cli"]


def test_migrations_reach_the_models_schema(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.dispose()


def test_users_add_prints_a_token_that_the_api_accepts(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    subprocess.run(CAREFLOW + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run(CAREFLOW + ["users", "add", "quinn.lead", "--role", "quality_lead", "--group", "qiss",
                                      "--group", "sqip"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("cf_") and len(token) > 30
    from tests.conftest import make_app

    app = make_app(tmp_path, DATABASE_URL=env["DATABASE_URL"], CREATE_SCHEMA=False)
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["role"] == "quality_lead" and me["groups"] == ["qiss", "sqip"]
    bad = subprocess.run(CAREFLOW + ["users", "add", "x", "--role", "wizard"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "wizard" in bad.stderr
    app.extensions["careflow"].db.dispose()


def test_decide_prints_the_result_as_json():
    out = subprocess.run(CAREFLOW + ["decide", "dmn/demo_referral_priority.dmn", "DemoReferralPriority",
                                     "--inputs", '{"riskToLife": true, "livesAlone": false}'],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["value"] == "URGENT" and result["matchedRules"][0]["ruleId"] == "rule_risk_to_life"
    bad = subprocess.run(CAREFLOW + ["decide", "dmn/demo_referral_priority.dmn", "Nope", "--inputs", "{}"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("error:")
