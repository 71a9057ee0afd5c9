"""Validating and deploying diagrams, decision tables, forms and configuration sent by a process owner
(DESIGN.md decision 6).

Deploying stores new immutable versions. A new decision table, form or configuration file also gives
every process that depends on it a new version, so new cases use it while running ones keep theirs.
Deploying content that an earlier version already has makes that version current again (a roll-back).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .callees import CalleeFiles, check_ids_against_deployed, refresh_callers
from .db import Database
from .errors import Forbidden, ValidationFailed
from .library import BuiltProcess, ProcessLibrary
from .models import DefinitionFile, DeploymentEvent, ProcessVersion
from .pins import COUNCIL, canonical_json, parse_config_file

MAX_FILE_CHARS = 5_000_000
DEPLOYER_ROLES = frozenset({"process_owner", "admin"})


FORM_SUFFIXES = (".schema.json", ".ui.json")


def _files(files: Any, suffix: str | tuple[str, ...], field: str | None = None) -> dict[str, str]:
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    field = field or suffixes[0][1:]
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise ValidationFailed(f"'{field}' must map file names to their text",
                               [{"field": field, "message": "Must be an object of file name to file text"}])
    clean = {}
    for name, text in files.items():
        if not isinstance(name, str) or not name.endswith(suffixes) or "/" in name or "\\" in name:
            raise ValidationFailed("Bad file name", [{"field": f"{field}.{name}", "message":
                                                      f"File names must end in {' or '.join(suffixes)}, "
                                                      f"without folders"}])
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailed("Empty file", [{"field": f"{field}.{name}", "message": "The file is empty"}])
        if len(text) > MAX_FILE_CHARS:
            raise ValidationFailed("File too large", [{"field": f"{field}.{name}",
                                                       "message": "The file is larger than 5 MB"}])
        clean[name] = text
    return clean


class Sent:
    """The files of one validate or deploy request, checked for names and sizes."""

    def __init__(self, bpmn: Any, dmn: Any, forms: Any = None, config: Any = None) -> None:
        self.bpmn = _files(bpmn, ".bpmn")
        self.dmn = _files(dmn, ".dmn")
        self.forms = _files(forms, FORM_SUFFIXES, "forms")
        self.config = _files(config, ".json", "config")
        if not (self.bpmn or self.dmn or self.forms or self.config):
            raise ValidationFailed("Send at least one file",
                                   [{"field": "bpmn", "message": "Add a .bpmn, .dmn, form or configuration file"}])

    def with_current(self, session: Session, library: ProcessLibrary
                     ) -> tuple[dict[str, str], dict[str, str], dict[str, str] | None, dict[str, str]]:
        """The sent files over what the current versions pin (and, for files never deployed, the disk)."""
        disk_forms, disk_config = library.disk_pins()
        pinned_forms, pinned_config = library.current_pins(session, disk_config)
        forms: dict[str, str] | None = {**(disk_forms or {}), **pinned_forms, **self.forms}
        if disk_forms is None and not pinned_forms and not self.forms:
            forms = None  # a library without a form folder checks no forms
        config = {**disk_config, **pinned_config}
        for name, text in self.config.items():
            # A process's configuration file is merged section by section: sending one process's values
            # leaves the other processes' sections as they are. The council's file is replaced whole.
            if name in config and name != COUNCIL:
                merged = {**parse_config_file(config[name], name), **parse_config_file(text, name)}
                config[name] = canonical_json(merged)
            else:
                config[name] = text
        dmn = {**_current_files(session, "dmn"), **self.dmn}
        bpmn = dict(self.bpmn)
        if self.dmn or self.forms or self.config:
            # Something processes depend on changed: re-version every current process (unchanged ones are
            # found by their content hash and stay as they are).
            bpmn = {**_current_files(session, "bpmn"), **bpmn}
        return bpmn, dmn, forms, config


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


def _logged_action(session: Session, version: ProcessVersion) -> str:
    """How ``version`` was just made current: deployed or rolled_back (the newest log entry for it)."""
    action = session.scalars(select(DeploymentEvent.action).where(DeploymentEvent.version_id == version.id)
                             .order_by(DeploymentEvent.id.desc()).limit(1)).first()
    return action or "deployed"


def _describe(p: BuiltProcess) -> dict[str, Any]:
    return {"processId": p.process_id, "name": p.name, "decisions": sorted(p.dmn_hashes),
            "messageStarts": p.message_starts, "contentHash": p.content_hash,
            "forms": sorted(p.pins.forms), "config": sorted(p.pins.config)}


def validate_definitions(db: Database, library: ProcessLibrary, bpmn: Any, dmn: Any, forms: Any = None,
                         config: Any = None) -> dict[str, Any]:
    """Check files without storing anything; files not sent are taken from what is deployed."""
    sent = Sent(bpmn, dmn, forms, config)
    with db.reading() as session:
        bpmn_files, dmn_files, form_files, config_files = sent.with_current(session, library)
        check_ids_against_deployed(session, sent.bpmn)
        built, _ = library.build(bpmn_files, dmn_files, form_files, config_files, CalleeFiles(session))
    return {"valid": True, "processes": [_describe(p) for p in built], "decisionFiles": sorted(sent.dmn)}


def deploy_definitions(db: Database, library: ProcessLibrary, bpmn: Any, dmn: Any, *, actor: str,
                       role: str, forms: Any = None, config: Any = None) -> dict[str, Any]:
    """Validate and store new versions and make them current; processes depending on a changed table,
    form or configuration are versioned too. Content an earlier version has rolls back to it."""
    if role not in DEPLOYER_ROLES:
        raise Forbidden("Only a process owner or an admin can deploy")
    sent = Sent(bpmn, dmn, forms, config)
    with db.transaction() as session:
        before = {v.process_id: v.id for v in session.scalars(  # the highest deployed one is current
            select(ProcessVersion).where(ProcessVersion.deployed.is_(True)).order_by(ProcessVersion.version))}
        known = set(session.scalars(select(ProcessVersion.id)))
        bpmn_files, dmn_files, form_files, config_files = sent.with_current(session, library)
        check_ids_against_deployed(session, sent.bpmn)
        versions = library.store(session, bpmn_files, dmn_files, actor=actor, deploy=True, forms=form_files,
                                 config=config_files, origin="api", callees=CalleeFiles(session))
        changed = {v.process_id for v in versions if v.id not in known}
        versions += refresh_callers(session, library, changed, actor)
        out = []
        for v in versions:
            # As the deployment log has it: a version saved in the modeller but never current is deployed.
            action = "unchanged" if before.get(v.process_id) == v.id else _logged_action(session, v)
            out.append({"processId": v.process_id, "version": v.version, "contentHash": v.content_hash,
                        "createdBy": v.created_by, "action": action})
    return {"deployed": out}
