"""The process owner's modeller: versions of processes, decisions and forms; save, deploy, export.

Built on the library's public methods (DESIGN.md decision 6): a saved process is a
:class:`ProcessVersion` stored undeployed; deploying makes it the one new cases start on, while
running cases keep theirs. Each save is checked whole by :mod:`workflows.model_checks` first and
refused whole with every problem; nothing is half-saved. Every save and deploy is in
:class:`ModelAudit` with who and why.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import Database
from .deployment import MAX_FILE_CHARS
from .errors import Conflict, NotFound, ProcessDefinitionError, ValidationFailed
from .forms import FormLibrary
from .library import ProcessLibrary, content_hash
from .model_checks import CheckContext, Problem, check_process
from .modeller_tables import ModelAudit, ModelVersion
from .models import DefinitionFile, Instance, ProcessVersion, utcnow

RUNNING = ("running", "incident", "waiting")
KINDS = ("process", "decision", "form")


class ModelRejected(ValidationFailed):
    """A save or deploy refused whole: ``errors`` lists ``{element, message, rule, line}``."""

    code = "model_rejected"


def rejected(message: str, problems: Iterable[Problem]) -> ModelRejected:
    return ModelRejected(message, [p.to_dict() for p in problems])


def _comment(comment: Any, what: str = "comment") -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if not text:
        raise ModelRejected(f"Say why ({what})", [{"element": None, "field": what, "rule": "comment",
                                                   "message": f"Enter a {what}: what changed and why"}])
    return text[:2000]


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


@dataclass
class Modeller:
    """The modeller's use cases over one database, library and form folder; each is one transaction."""

    db: Database
    library: ProcessLibrary
    forms: FormLibrary
    handler_names: Callable[[], list[str]]

    # ---- checks ------------------------------------------------------------------------------
    def check_context(self, session: Session, dmn: dict[str, str] | None = None) -> CheckContext:
        decisions: set[str] = set()
        for filename, text in (dmn if dmn is not None else current_files(session, "dmn")).items():
            try:
                decisions.update(self.library.decision_model(content_hash(text)).decision_ids)
            except (NotFound, ProcessDefinitionError):
                try:
                    built, _ = self.library.build({}, {filename: text})
                    decisions.update(self.library.decision_model(content_hash(text)).decision_ids)
                except ProcessDefinitionError:
                    continue
        return CheckContext(self.handler_names(), decisions, self.forms.exists)

    def check_diagram(self, session: Session, xml: str, filename: str,
                      process_id: str | None = None) -> list[Problem]:
        """Every problem of a BPMN text, as the save would find them (nothing is stored)."""
        if not isinstance(xml, str) or not xml.strip():
            return [Problem("well-formed-xml", "The diagram is empty")]
        if len(xml) > MAX_FILE_CHARS:
            return [Problem("well-formed-xml", "The diagram is larger than 5 MB")]
        dmn = current_files(session, "dmn")
        problems = check_process(xml, filename, self.check_context(session, dmn),
                                 build=lambda text: self._build_check(text, filename, dmn, process_id))
        return problems

    def _build_check(self, text: str, filename: str, dmn: dict[str, str], process_id: str | None) -> None:
        built, _ = self.library.build({filename: text}, dmn)
        if process_id and process_id not in {b.process_id for b in built}:
            raise ProcessDefinitionError(f"The diagram has no executable process with the id '{process_id}' "
                                         "(a process's id cannot change)")

    # ---- listing -----------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        """Every process, decision file and form with its versions and which is current."""
        with self.db.reading() as session:
            return {"processes": self._processes(session), "decisions": self._decisions(session),
                    "forms": self._forms(session)}

    def _notes(self, session: Session, kind: str) -> dict[Any, ModelVersion]:
        rows = session.scalars(select(ModelVersion).where(ModelVersion.kind == kind)).all()
        if kind == "process":
            return {r.process_version_id: r for r in rows}
        return {(r.key, r.version): r for r in rows}

    def _processes(self, session: Session) -> list[dict[str, Any]]:
        notes = self._notes(session, "process")
        counts = dict(session.execute(select(Instance.process_version_id, func.count()).where(
            Instance.status.in_(RUNNING)).group_by(Instance.process_version_id)).all())
        current = {v.id for v in current_versions(session).values()}
        out: dict[str, dict[str, Any]] = {}
        for v in session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                                 ProcessVersion.version.desc())):
            entry = out.setdefault(v.process_id, {"id": v.process_id, "name": v.name, "versions": []})
            note = notes.get(v.id)
            entry["versions"].append({
                "version": v.version, "contentHash": v.content_hash, "current": v.id in current,
                "deployed": v.deployed, "savedBy": (note.created_by if note else None) or v.created_by,
                "savedAt": v.created_at.isoformat(), "comment": note.comment if note else None,
                "deployedAt": note.deployed_at.isoformat() if note and note.deployed_at else None,
                "runningCases": counts.get(v.id, 0)})
        for entry in out.values():
            entry["current"] = next((x["version"] for x in entry["versions"] if x["current"]), None)
        return list(out.values())

    def _decisions(self, session: Session) -> list[dict[str, Any]]:
        in_use = set(current_files(session, "dmn").items())
        out: list[dict[str, Any]] = []
        for filename, rows in self._decision_versions(session).items():
            versions = [{"version": n, "contentHash": row.content_hash, "savedBy": note_by, "comment": note,
                         "savedAt": at, "current": (filename, row.content) in in_use}
                        for n, row, note, note_by, at in rows]
            versions.reverse()
            out.append({"id": filename, "name": filename, "versions": versions,
                        "current": next((x["version"] for x in versions if x["current"]), None)})
        return sorted(out, key=lambda d: d["id"])

    def _decision_versions(self, session: Session) -> dict[str, list[tuple[int, DefinitionFile, Any, Any, str]]]:
        """File name -> (number, file, comment, saved by, saved at), oldest first."""
        notes = {r.content_hash: r for r in session.scalars(select(ModelVersion).where(
            ModelVersion.kind == "decision"))}
        out: dict[str, list[tuple[int, DefinitionFile, Any, Any, str]]] = {}
        for row in session.scalars(select(DefinitionFile).where(DefinitionFile.kind == "dmn")
                                   .order_by(DefinitionFile.created_at, DefinitionFile.content_hash)):
            found = out.setdefault(row.filename, [])
            note = notes.get(row.content_hash)
            found.append((len(found) + 1, row, note.comment if note else None,
                          note.created_by if note else "files", row.created_at.isoformat()))
        return out

    def _forms(self, session: Session) -> list[dict[str, Any]]:
        keys = {p.name[: -len(".schema.json")] for p in self.forms.forms_dir.glob("*.schema.json")}
        rows = session.scalars(select(ModelVersion).where(ModelVersion.kind == "form")
                               .order_by(ModelVersion.key, ModelVersion.version.desc())).all()
        keys.update(r.key for r in rows)
        out = []
        for key in sorted(keys):
            mine = [r for r in rows if r.key == key]
            current = self._current_form_row(mine)
            versions = [{"version": r.version, "savedBy": r.created_by, "savedAt": r.created_at.isoformat(),
                         "comment": r.comment, "current": r is current} for r in mine]
            if not mine:
                versions = [{"version": 1, "savedBy": "files", "savedAt": None, "comment": None, "current": True}]
            out.append({"id": key, "name": key, "versions": versions,
                        "current": current.version if current else 1})
        return out

    @staticmethod
    def _current_form_row(rows: list[ModelVersion]) -> ModelVersion | None:
        deployed = [r for r in rows if r.deployed_at is not None]
        return max(deployed, key=lambda r: (r.deployed_at, r.version)) if deployed else None

    # ---- reading one version -----------------------------------------------------------------
    def process_version(self, session: Session, process_id: str, version: int | None = None) -> ProcessVersion:
        query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        if version is None:
            found = current_versions(session).get(process_id) or session.scalars(
                query.order_by(ProcessVersion.version.desc())).first()
        else:
            found = session.scalars(query.where(ProcessVersion.version == version)).first()
        if found is None:
            raise NotFound(f"No version {version} of process '{process_id}'" if version else
                           f"No process '{process_id}'")
        return found

    def process_file(self, process_id: str, version: int | None = None) -> dict[str, Any]:
        """A process version's BPMN text, its file name and number."""
        with self.db.reading() as session:
            found = self.process_version(session, process_id, version)
            stored = session.get(DefinitionFile, found.bpmn_hash)
            if stored is None:
                raise NotFound("The diagram of this version is missing")
            return {"processId": process_id, "version": found.version, "filename": stored.filename,
                    "content": stored.content, "deployed": found.deployed}

    def decision_file(self, filename: str, version: int | None = None) -> dict[str, Any]:
        with self.db.reading() as session:
            rows = self._decision_versions(session).get(filename)
            if not rows:
                raise NotFound(f"No decision file '{filename}'")
            if version is None:
                in_use = current_files(session, "dmn").get(filename)
                pick = next((r for r in reversed(rows) if r[1].content == in_use), rows[-1])
            else:
                pick = next((r for r in rows if r[0] == version), None)  # type: ignore[assignment]
                if pick is None:
                    raise NotFound(f"No version {version} of decision file '{filename}'")
            return {"filename": filename, "version": pick[0], "content": pick[1].content}

    def form_file(self, key: str, version: int | None = None) -> dict[str, Any]:
        with self.db.reading() as session:
            rows = list(session.scalars(select(ModelVersion).where(ModelVersion.kind == "form",
                                                                   ModelVersion.key == key)))
        if version is not None and rows:
            row = next((r for r in rows if r.version == version), None)
            if row is None:
                raise NotFound(f"No version {version} of form '{key}'")
            content = json.loads(row.content)
            return {"key": key, "version": row.version, **content}
        current = self._current_form_row(rows)
        if current is not None:
            return {"key": key, "version": current.version, **json.loads(current.content)}
        if not self.forms.exists(key):
            raise NotFound(f"No form '{key}'")
        return {"key": key, "version": 1, "schema": self.forms.schema(key), "ui": self.forms.ui(key)}

    # ---- saving ------------------------------------------------------------------------------
    def save_process(self, process_id: str, xml: Any, comment: Any, actor: str) -> dict[str, Any]:
        """Check and store a new (undeployed) version; refused whole with every problem."""
        why = _comment(comment)
        if not isinstance(xml, str):
            raise rejected("Send the diagram's XML", [Problem("well-formed-xml", "The diagram is missing")])
        with self.db.transaction() as session:
            try:
                filename = self.process_file_name(session, process_id)
            except NotFound:
                filename = f"{process_id}.bpmn"
            problems = self.check_diagram(session, xml, filename, process_id)
            if problems:
                raise rejected(f"The diagram has {len(problems)} problem{'s' if len(problems) > 1 else ''}; "
                               "nothing was saved", problems)
            versions = self.library.store(session, {filename: xml}, current_files(session, "dmn"), actor=actor,
                                          deploy=False)
            version = next(v for v in versions if v.process_id == process_id)
            if session.scalars(select(ModelVersion).where(ModelVersion.process_version_id == version.id)).first():
                return {"processId": process_id, "version": version.version, "unchanged": True}
            session.add(ModelVersion(kind="process", key=process_id, version=version.version,
                                     content_hash=version.content_hash, content=xml,
                                     process_version_id=version.id, comment=why, created_by=actor))
            audit(session, actor, "saved", "process", process_id, version.version, why)
            return {"processId": process_id, "version": version.version, "unchanged": False}

    def process_file_name(self, session: Session, process_id: str) -> str:
        found = self.process_version(session, process_id)
        stored = session.get(DefinitionFile, found.bpmn_hash)
        return stored.filename if stored else f"{process_id}.bpmn"

    def save_decision(self, filename: str, xml: Any, comment: Any, actor: str) -> dict[str, Any]:
        """Check a DMN file against every current process that calls it, then store it undeployed."""
        from .model_checks import check_xml
        from .model_decisions import check_decision_file

        why = _comment(comment)
        if not filename.endswith(".dmn") or "/" in filename or "\\" in filename:
            raise NotFound(f"No decision file '{filename}'")
        if not isinstance(xml, str) or not xml.strip():
            raise rejected("Send the decision table's XML", [Problem("well-formed-xml", "The file is empty")])
        with self.db.transaction() as session:
            root, problems = check_xml(xml, filename)
            if root is not None:
                dmn = {**current_files(session, "dmn"), filename: xml}
                problems = check_decision_file(root, filename)
                if not problems:
                    try:
                        self.library.build(current_files(session, "bpmn"), dmn)
                    except ProcessDefinitionError as exc:
                        problems.append(Problem("dmn-loads", exc.message, exc.element, exc.line))
            if problems:
                raise rejected("The decision table cannot be saved; nothing was saved", problems)
            digest = content_hash(xml)
            if session.get(DefinitionFile, digest) is None:
                session.add(DefinitionFile(content_hash=digest, kind="dmn", filename=filename, content=xml))
                session.flush()
            number = next((n for n, row, *_ in self._decision_versions(session)[filename]
                           if row.content_hash == digest), 0)
            if session.scalars(select(ModelVersion).where(ModelVersion.kind == "decision",
                                                          ModelVersion.content_hash == digest)).first():
                return {"filename": filename, "version": number, "unchanged": True}
            session.add(ModelVersion(kind="decision", key=filename, version=number, content_hash=digest,
                                     content=xml, comment=why, created_by=actor))
            audit(session, actor, "saved", "decision", filename, number, why)
            return {"filename": filename, "version": number, "unchanged": False}

    def save_form(self, key: str, schema: Any, ui: Any, comment: Any, actor: str) -> dict[str, Any]:
        """Store a new form version (JSON Schema + UI); deploying it is what caseworkers then see."""
        why = _comment(comment)
        if not key or not key.replace("_", "").replace("-", "").isalnum():
            raise NotFound(f"No form '{key}'")
        problems = check_form(schema, ui)
        if problems:
            raise rejected("The form cannot be saved; nothing was saved", problems)
        content = json.dumps({"schema": schema, "ui": ui or {}}, indent=2, ensure_ascii=False)
        with self.db.transaction() as session:
            rows = list(session.scalars(select(ModelVersion).where(ModelVersion.kind == "form",
                                                                   ModelVersion.key == key)))
            if not rows and self.forms.exists(key):
                # The file the form came from is version 1, so a later version can go back to it.
                original = json.dumps({"schema": self.forms.schema(key), "ui": self.forms.ui(key)}, indent=2,
                                      ensure_ascii=False)
                first = ModelVersion(kind="form", key=key, version=1, content_hash=content_hash(original),
                                     content=original, comment="As loaded from bpmn/forms", created_by="files",
                                     deployed_at=utcnow(), deployed_by="files")
                session.add(first)
                rows.append(first)
            digest = content_hash(content)
            same = next((r for r in rows if r.content_hash == digest), None)
            if same is not None:
                return {"key": key, "version": same.version, "unchanged": True}
            number = max((r.version for r in rows), default=0) + 1
            session.add(ModelVersion(kind="form", key=key, version=number, content_hash=digest, content=content,
                                     comment=why, created_by=actor))
            audit(session, actor, "saved", "form", key, number, why)
            return {"key": key, "version": number, "unchanged": False}

    # ---- deploying ---------------------------------------------------------------------------
    def deploy_process(self, process_id: str, version: int, actor: str, reason: Any,
                       scenario_check: Callable[[Session, ProcessVersion], list[dict[str, Any]]] | None = None
                       ) -> dict[str, Any]:
        """Make ``version`` the one new cases start on; refused while one of its scenario tests fails."""
        why = _comment(reason, "reason")
        with self.db.transaction() as session:
            target = self.process_version(session, process_id, version)
            if scenario_check is not None:
                failures = scenario_check(session, target)
                if failures:
                    raise ModelRejected(f"{len(failures)} scenario test{'s' if len(failures) > 1 else ''} "
                                        "failed; the version was not deployed", failures)
            for newer in session.scalars(select(ProcessVersion).where(
                    ProcessVersion.process_id == process_id, ProcessVersion.version > version)):
                newer.deployed = False
            target.deployed = True
            note = session.scalars(select(ModelVersion).where(ModelVersion.process_version_id == target.id)).first()
            if note is not None:
                note.deployed_at, note.deployed_by = utcnow(), actor
            audit(session, actor, "deployed", "process", process_id, version, why)
            return {"processId": process_id, "version": version, "current": True}

    def deploy_decision(self, filename: str, version: int, actor: str, reason: Any,
                        scenario_check: Callable[[Session, ProcessVersion], list[dict[str, Any]]] | None = None
                        ) -> dict[str, Any]:
        """Every current process that uses this decision file gets a new version with it (running cases
        keep theirs); refused whole while a scenario test of one of them fails."""
        why = _comment(reason, "reason")
        content = self.decision_file(filename, version)["content"]
        with self.db.transaction() as session:
            dmn = {**current_files(session, "dmn"), filename: content}
            bpmn = current_files(session, "bpmn")
            if filename not in current_files(session, "dmn"):
                raise Conflict(f"No current process uses '{filename}', so there is nothing to deploy it to")
            versions = [v for v in self.library.store(session, bpmn, dmn, actor=actor, deploy=True)
                        if content_hash(content) in (v.dmn_hashes or {}).values()]
            changed = [{"processId": v.process_id, "version": v.version} for v in versions]
            failures = [f for v in versions for f in (scenario_check(session, v) if scenario_check else [])]
            if failures:
                raise ModelRejected(f"{len(failures)} scenario test{'s' if len(failures) > 1 else ''} failed "
                                    "with this table; it was not deployed", failures)
            for v in versions:
                for newer in session.scalars(select(ProcessVersion).where(
                        ProcessVersion.process_id == v.process_id, ProcessVersion.version > v.version)):
                    newer.deployed = False
                v.deployed = True
            audit(session, actor, "deployed", "decision", filename, version, why, {"processes": changed})
            return {"filename": filename, "version": version, "processes": changed}

    def deploy_form(self, key: str, version: int, actor: str, reason: Any) -> dict[str, Any]:
        """Write the version to the forms folder: the next task opened or completed uses it."""
        why = _comment(reason, "reason")
        with self.db.transaction() as session:
            row = session.scalars(select(ModelVersion).where(ModelVersion.kind == "form", ModelVersion.key == key,
                                                             ModelVersion.version == version)).first()
            if row is None:
                raise NotFound(f"No version {version} of form '{key}'")
            content = json.loads(row.content)
            row.deployed_at, row.deployed_by = utcnow(), actor
            audit(session, actor, "deployed", "form", key, version, why)
            write_form(self.forms, key, content["schema"], content.get("ui") or {})
            return {"key": key, "version": version}

    # ---- export ------------------------------------------------------------------------------
    def export(self, bpmn_dir: Path, dmn_dir: Path, forms_dir: Path) -> list[str]:
        """Write the current versions back to the source folders; returns the paths written."""
        written: list[str] = []
        with self.db.reading() as session:
            files = [(bpmn_dir, current_files(session, "bpmn")), (dmn_dir, current_files(session, "dmn"))]
            form_rows = session.scalars(select(ModelVersion).where(ModelVersion.kind == "form")).all()
        for folder, contents in files:
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in sorted(contents.items()):
                path = folder / name
                if not path.is_file() or path.read_text(encoding="utf-8") != text:
                    path.write_text(text, encoding="utf-8")
                    written.append(str(path))
        by_key: dict[str, list[ModelVersion]] = {}
        for r in form_rows:
            by_key.setdefault(r.key, []).append(r)
        for key, rows in sorted(by_key.items()):
            current = self._current_form_row(rows)
            if current is not None:
                content = json.loads(current.content)
                written.extend(write_form(FormLibrary(forms_dir), key, content["schema"], content.get("ui") or {}))
        return written


def write_form(forms: FormLibrary, key: str, schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    """Write a form's files (``.ui.json`` only when it has a layout) and forget its cached validator."""
    forms.forms_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, value in ((forms.schema_path(key), schema), (forms.forms_dir / f"{key}.ui.json", ui)):
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        if path.name.endswith(".ui.json") and not value:
            continue
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    forms._validators.pop(key, None)  # the library caches one validator per key
    return written


def check_form(schema: Any, ui: Any) -> list[Problem]:
    """A form's JSON Schema must be valid draft 2020-12 of an object; its layout an object."""
    problems = []
    if not isinstance(schema, dict):
        return [Problem("form-schema", "The form's schema must be a JSON object")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or None
        problems.append(Problem("form-schema", f"Not valid JSON Schema: {exc.message}", where))
    if schema.get("type", "object") != "object":
        problems.append(Problem("form-schema", "A form's schema must describe an object (\"type\": \"object\")"))
    if ui is not None and not isinstance(ui, dict):
        problems.append(Problem("form-ui", "The form's layout must be a JSON object"))
    return problems


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
