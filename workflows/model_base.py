"""What the modeller's use cases share: refusals, the reason a change needs, the audit log, and
which files the current process versions use."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .errors import Conflict, ValidationFailed
from .model_checks import Problem
from .modeller_tables import ModelAudit
from .models import DefinitionFile, ProcessVersion

RUNNING = ("running", "incident", "waiting")
MAX_VERSION = 2**31  # version numbers are 32-bit integers in the database; a larger one names no version


class ModelRejected(ValidationFailed):
    """A save or deploy refused whole: ``errors`` lists ``{element, message, rule, line}``."""

    code = "model_rejected"


def rejected(message: str, problems: Iterable[Problem]) -> ModelRejected:
    return ModelRejected(message, [p.to_dict() for p in problems])


def require_reason(comment: Any, what: str = "comment") -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if not text:
        raise ModelRejected(f"Say why ({what})", [{"element": None, "field": what, "rule": "comment",
                                                   "message": f"Enter a {what}: what changed and why"}])
    return text[:2000]


def seen_version(value: Any) -> int | None:
    """``latestVersion``: the newest version number the editor had when it opened (None: not sent)."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed("'latestVersion' must be a version number", [{
            "field": "latestVersion", "message": "The newest version you had opened, as a whole number"}])
    return value


def refuse_if_overtaken(what: str, seen: int | None, latest: int, saved_by: str | None) -> None:
    """A 409 when someone saved a newer version after the editor opened: saving now would quietly drop
    their change from the next version. The editor keeps the person's own work to save again."""
    if seen is None or latest <= seen:
        return
    raise Conflict(f"{saved_by or 'Someone'} saved version {latest} of this {what} after you opened it; nothing "
                   f"was saved. Your changes are still in the editor: download them, or open version {latest} "
                   "to see what changed. Saving again saves yours as a newer version.",
                   latestVersion=latest, savedBy=saved_by)


def current_files(session: Session, kind: str) -> dict[str, str]:
    """The content of each BPMN or DMN file name that the current process versions use."""
    hashes: set[str] = set()
    for version in current_versions(session).values():
        hashes.update(version.bpmn_hashes if kind == "bpmn" else (version.dmn_hashes or {}).values())
    return {row.filename: row.content for row in session.scalars(
        select(DefinitionFile).where(DefinitionFile.content_hash.in_(hashes)))}


def current_versions(session: Session) -> dict[str, ProcessVersion]:
    """Process id -> the version new cases start on (the highest deployed one)."""
    latest: dict[str, ProcessVersion] = {}
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())):
        latest.setdefault(version.process_id, version)
    return latest


def audit(session: Session, actor: str, action: str, kind: str, key: str, version: int | None,
          reason: str | None, data: dict[str, Any] | None = None) -> None:
    session.add(ModelAudit(actor=actor, action=action, kind=kind, key=key, version=version, reason=reason,
                           data=data))


def audit_log(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    with db.reading() as session:
        rows = session.scalars(select(ModelAudit).order_by(ModelAudit.at.desc(), ModelAudit.id.desc())
                               .limit(limit)).all()
        return [{"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "kind": r.kind, "key": r.key,
                 "version": r.version, "reason": r.reason, "data": r.data} for r in rows]
