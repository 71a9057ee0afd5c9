"""Validating and deploying diagrams and decision tables sent by a process owner (DESIGN.md decision 6).

Deploying stores new immutable versions. A new decision table also gives every process that calls
it a new version, so new instances use the new rules while running ones keep theirs.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .callees import CalleeFiles, check_ids_against_deployed, refresh_callers
from .db import Database
from .errors import Forbidden, ValidationFailed
from .library import BuiltProcess, ProcessLibrary
from .models import DefinitionFile, ProcessVersion

MAX_FILE_CHARS = 5_000_000
DEPLOYER_ROLES = frozenset({"process_owner", "admin"})


def _files(files: Any, suffix: str) -> dict[str, str]:
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise ValidationFailed(f"'{suffix[1:]}' must map file names to their XML",
                               [{"field": suffix[1:], "message": "Must be an object of file name to XML text"}])
    clean = {}
    for name, text in files.items():
        if not isinstance(name, str) or not name.endswith(suffix) or "/" in name or "\\" in name:
            raise ValidationFailed("Bad file name", [{"field": f"{suffix[1:]}.{name}",
                                                      "message": f"File names must end in {suffix}, without folders"}])
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailed("Empty file", [{"field": f"{suffix[1:]}.{name}", "message": "The file is empty"}])
        if len(text) > MAX_FILE_CHARS:
            raise ValidationFailed("File too large", [{"field": f"{suffix[1:]}.{name}",
                                                       "message": "The file is larger than 5 MB"}])
        clean[name] = text
    return clean


def _current_files(session: Session, kind: str) -> dict[str, str]:
    """The newest stored content of each file name of ``kind`` that a deployed version uses."""
    latest: dict[str, ProcessVersion] = {}
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())):
        latest.setdefault(version.process_id, version)
    hashes: set[str] = set()
    for version in latest.values():
        # Each process's own file: the files it calls are found by its call activities' binding
        # (workflows/callees.py), never by whichever copy of a called file happens to come last.
        hashes.update(version.bpmn_hashes[:1] if kind == "bpmn" else (version.dmn_hashes or {}).values())
    out: dict[str, str] = {}
    for row in session.scalars(select(DefinitionFile).where(DefinitionFile.content_hash.in_(hashes))):
        out[row.filename] = row.content
    return out


def _describe(p: BuiltProcess) -> dict[str, Any]:
    return {"processId": p.process_id, "name": p.name, "decisions": sorted(p.dmn_hashes),
            "messageStarts": p.message_starts, "contentHash": p.content_hash}


def validate_definitions(db: Database, library: ProcessLibrary, bpmn: Any, dmn: Any) -> dict[str, Any]:
    """Check files without storing anything; decisions not sent are taken from what is deployed."""
    bpmn_files, dmn_files = _files(bpmn, ".bpmn"), _files(dmn, ".dmn")
    if not bpmn_files and not dmn_files:
        raise ValidationFailed("Send at least one file", [{"field": "bpmn", "message": "Add a .bpmn or .dmn file"}])
    with db.reading() as session:
        all_dmn = {**_current_files(session, "dmn"), **dmn_files}
        check_ids_against_deployed(session, bpmn_files)
        built, _ = library.build(bpmn_files, all_dmn, CalleeFiles(session))
    return {"valid": True, "processes": [_describe(p) for p in built], "decisionFiles": sorted(dmn_files)}


def deploy_definitions(db: Database, library: ProcessLibrary, bpmn: Any, dmn: Any, *, actor: str,
                       role: str) -> dict[str, Any]:
    """Validate and store new versions; processes calling a changed decision are versioned too."""
    if role not in DEPLOYER_ROLES:
        raise Forbidden("Only a process owner or an admin can deploy")
    bpmn_files, dmn_files = _files(bpmn, ".bpmn"), _files(dmn, ".dmn")
    if not bpmn_files and not dmn_files:
        raise ValidationFailed("Send at least one file", [{"field": "bpmn", "message": "Add a .bpmn or .dmn file"}])
    with db.transaction() as session:
        current_bpmn = _current_files(session, "bpmn")
        all_dmn = {**_current_files(session, "dmn"), **dmn_files}
        check_ids_against_deployed(session, bpmn_files)
        if dmn_files:
            # Decisions changed: re-version every deployed process (unchanged ones are found by hash).
            bpmn_files = {**current_bpmn, **bpmn_files}
        before = set(session.scalars(select(ProcessVersion.id)))
        versions = library.store(session, bpmn_files, all_dmn, actor=actor, deploy=True)
        changed = {v.process_id for v in versions if v.id not in before}
        versions += refresh_callers(session, library, changed, actor)
        out = [{"processId": v.process_id, "version": v.version, "contentHash": v.content_hash,
                "createdBy": v.created_by} for v in versions]
    return {"deployed": out}
