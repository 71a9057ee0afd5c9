"""The recipient directory under /api/v1/recipients: admins keep where each role's messages go."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, jsonify

from workflows import recipients

from . import services
from .api import authenticated, body, user

bp = Blueprint("api_recipients", __name__, url_prefix="/api/v1")
DEMO_FILE = Path(__file__).resolve().parent / "demo_recipients.json"


def demo_entries() -> dict[str, str]:
    """The invented demo addresses ``careflow demo`` seeds."""
    return dict(json.loads(DEMO_FILE.read_text(encoding="utf-8"))["entries"])


@bp.get("/recipients")
@authenticated("recipients.read")
def list_recipients():  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        return jsonify({"recipients": recipients.list_entries(session)})


@bp.put("/recipients/<name>")
@authenticated("recipients.write")
def put_recipient(name: str):  # type: ignore[no-untyped-def]
    data = body()
    with services().db.transaction() as session:
        row = recipients.set_entry(session, name, data.get("address"), data.get("note"), actor=user().username)
        return jsonify(recipients.entry_dict(row))


@bp.delete("/recipients/<name>")
@authenticated("recipients.write")
def delete_recipient(name: str):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        recipients.remove_entry(session, name)
    return "", 204
