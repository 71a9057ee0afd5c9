"""The process owner's modeller: versions of processes, decisions and forms; save, deploy, export.

Built on the library's public methods (DESIGN.md decision 6): a saved process is a
:class:`ProcessVersion` stored undeployed; deploying makes it the one new cases start on, while
running cases keep theirs. Each save is checked whole by :mod:`workflows.model_checks` first and
refused whole with every problem; nothing is half-saved. Every save and deploy is in
:class:`ModelAudit` with who and why.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import Database
from .deployment import MAX_FILE_CHARS
from .errors import Conflict, NotFound, ProcessDefinitionError
from .forms import FormLibrary
from .library import ProcessLibrary, content_hash
from .model_base import (
    MAX_VERSION,
    RUNNING,
    ModelRejected,
    audit,
    audit_log,
    current_files,
    current_versions,
    refuse_if_overtaken,
    rejected,
    require_reason,
    seen_version,
)
from .model_checks import CheckContext, Problem, adopt_spiff_arena_forms, check_process
from .model_forms import FormVersions, write_form
from .modeller_tables import ModelVersion
from .models import DefinitionFile, Instance, ProcessVersion, utcnow

__all__ = ["RUNNING", "ModelRejected", "Modeller", "audit", "audit_log", "current_files", "current_versions",
           "rejected", "require_reason"]


@dataclass
class Modeller(FormVersions):
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

    # ---- reading one version -----------------------------------------------------------------
    def process_version(self, session: Session, process_id: str, version: int | None = None) -> ProcessVersion:
        query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        if version is not None and not 0 < version < MAX_VERSION:  # the database could not even compare it
            raise NotFound(f"No version {version} of process '{process_id}'")
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

    # ---- saving ------------------------------------------------------------------------------
    def save_process(self, process_id: str, xml: Any, comment: Any, actor: str,
                     latest_seen: Any = None) -> dict[str, Any]:
        """Check and store a new (undeployed) version; refused whole with every problem, and with 409 when
        someone changed the diagram after ``latest_seen`` (the newest version the editor had)."""
        why = require_reason(comment)
        seen = seen_version(latest_seen)
        if not isinstance(xml, str):
            raise rejected("Send the diagram's XML", [Problem("well-formed-xml", "The diagram is missing")])
        xml = adopt_spiff_arena_forms(xml)
        with self.db.transaction() as session:
            if seen is not None:
                self._refuse_if_diagram_overtaken(session, process_id, seen)
            try:
                filename = self.process_file_name(session, process_id)
            except NotFound:
                filename = f"{process_id}.bpmn"
            problems = self.check_diagram(session, xml, filename, process_id)
            if problems:
                raise rejected(f"The diagram has {len(problems)} problem{'s' if len(problems) > 1 else ''}; "
                               "nothing was saved", problems)
            known = set(session.scalars(select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)))
            versions = self.library.store(session, {filename: xml}, current_files(session, "dmn"), actor=actor,
                                          deploy=False, origin="modeller")
            version = next(v for v in versions if v.process_id == process_id)
            if version.id in known:  # the content of a version there already (from the files, too): no new one
                return {"processId": process_id, "version": version.version, "unchanged": True}
            session.add(ModelVersion(kind="process", key=process_id, version=version.version,
                                     content_hash=version.content_hash, content=xml,
                                     process_version_id=version.id, comment=why, created_by=actor))
            audit(session, actor, "saved", "process", process_id, version.version, why)
            return {"processId": process_id, "version": version.version, "unchanged": False}

    def _refuse_if_diagram_overtaken(self, session: Session, process_id: str, seen: int) -> None:
        rows = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                               .order_by(ProcessVersion.version)).all()
        base = next((v for v in rows if v.version == seen), None)
        # A decision table or form deployed meanwhile versions the process but leaves its diagram as it was.
        changed = [v for v in rows if v.version > seen and (base is None or v.bpmn_hash != base.bpmn_hash)]
        if changed:
            newest = changed[-1]
            note = session.scalars(select(ModelVersion).where(ModelVersion.process_version_id == newest.id)).first()
            refuse_if_overtaken("diagram", seen, newest.version, (note.created_by if note else None)
                                or newest.created_by)

    def process_file_name(self, session: Session, process_id: str) -> str:
        found = self.process_version(session, process_id)
        stored = session.get(DefinitionFile, found.bpmn_hash)
        return stored.filename if stored else f"{process_id}.bpmn"

    def save_decision(self, filename: str, xml: Any, comment: Any, actor: str,
                      latest_seen: Any = None) -> dict[str, Any]:
        """Check a DMN file against every current process that calls it, then store it undeployed (409 when
        someone saved a version after ``latest_seen``)."""
        from .model_checks import check_xml
        from .model_decisions import check_decision_file

        why = require_reason(comment)
        seen = seen_version(latest_seen)
        if not filename.endswith(".dmn") or "/" in filename or "\\" in filename:
            raise NotFound(f"No decision file '{filename}'")
        if not isinstance(xml, str) or not xml.strip():
            raise rejected("Send the decision table's XML", [Problem("well-formed-xml", "The file is empty")])
        with self.db.transaction() as session:
            earlier = self._decision_versions(session).get(filename) or []
            if earlier:
                refuse_if_overtaken("decision table", seen, earlier[-1][0], earlier[-1][3])
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
            stored = session.get(DefinitionFile, digest)
            if stored is None:
                session.add(DefinitionFile(content_hash=digest, kind="dmn", filename=filename, content=xml))
                session.flush()
            number = next((n for n, row, *_ in self._decision_versions(session)[filename]
                           if row.content_hash == digest), 0)
            if stored is not None and number:  # a version of this file has this content already
                return {"filename": filename, "version": number, "unchanged": True}
            session.add(ModelVersion(kind="decision", key=filename, version=number, content_hash=digest,
                                     content=xml, comment=why, created_by=actor))
            audit(session, actor, "saved", "decision", filename, number, why)
            return {"filename": filename, "version": number, "unchanged": False}

    # ---- deploying ---------------------------------------------------------------------------
    def deploy_process(self, process_id: str, version: int, actor: str, reason: Any,
                       scenario_check: Callable[[Session, ProcessVersion], list[dict[str, Any]]] | None = None
                       ) -> dict[str, Any]:
        """Make ``version`` the one new cases start on; refused while one of its scenario tests fails."""
        why = require_reason(reason, "reason")
        with self.db.transaction() as session:
            target = self.process_version(session, process_id, version)
            older = self._older_files_than_current(session, target)
            if older:
                names = ", ".join(older)
                raise Conflict(f"Version {version} was saved before the {names} now in use was deployed: deploying "
                               f"it would put the older {names} back for new cases; nothing was deployed. To keep "
                               f"the current {names}, open version {version} and save it again, then deploy that "
                               f"version. To go back to the older {names}, deploy it on its own page first.",
                               files=older)
            if scenario_check is not None:
                failures = scenario_check(session, target)
                if failures:
                    raise ModelRejected(f"{len(failures)} scenario test{'s' if len(failures) > 1 else ''} "
                                        "failed; the version was not deployed", failures)
            self.library.make_current(session, target, actor=actor, source="modeller")
            note = session.scalars(select(ModelVersion).where(ModelVersion.process_version_id == target.id)).first()
            if note is not None:
                note.deployed_at, note.deployed_by = utcnow(), actor
            audit(session, actor, "deployed", "process", process_id, version, why)
            return {"processId": process_id, "version": version, "current": True}

    def _older_files_than_current(self, session: Session, target: ProcessVersion) -> list[str]:
        """Decision tables, forms and configuration that ``target`` pins in a version older than the one the
        process's current version uses (deployed after ``target`` was saved)."""
        current = current_versions(session).get(target.process_id)
        if current is None or current.id == target.id:
            return []

        def pinned(v: ProcessVersion) -> dict[str, str]:
            found = {row.filename: row.content_hash for row in session.scalars(select(DefinitionFile).where(
                DefinitionFile.content_hash.in_(list((v.dmn_hashes or {}).values()))))}
            return {**found, **(v.form_hashes or {}), **(v.config_hashes or {})}

        mine, live = pinned(target), pinned(current)
        older = []
        for name, digest in sorted(live.items()):
            if name in mine and mine[name] != digest:
                row = session.get(DefinitionFile, digest)
                if row is not None and row.created_at > target.created_at:
                    older.append(name)
        return older

    def deploy_decision(self, filename: str, version: int, actor: str, reason: Any,
                        scenario_check: Callable[[Session, ProcessVersion], list[dict[str, Any]]] | None = None
                        ) -> dict[str, Any]:
        """Every current process that uses this decision file gets a new version with it (running cases
        keep theirs); refused whole while a scenario test of one of them fails."""
        why = require_reason(reason, "reason")
        content = self.decision_file(filename, version)["content"]
        with self.db.transaction() as session:
            dmn = {**current_files(session, "dmn"), filename: content}
            bpmn = current_files(session, "bpmn")
            if filename not in current_files(session, "dmn"):
                raise Conflict(f"No current process uses '{filename}', so there is nothing to deploy it to")
            versions = [v for v in self.library.store(session, bpmn, dmn, actor=actor, deploy=True, origin="modeller")
                        if content_hash(content) in (v.dmn_hashes or {}).values()]
            changed = [{"processId": v.process_id, "version": v.version} for v in versions]
            failures = [f for v in versions for f in (scenario_check(session, v) if scenario_check else [])]
            if failures:
                raise ModelRejected(f"{len(failures)} scenario test{'s' if len(failures) > 1 else ''} failed "
                                    "with this table; it was not deployed", failures)
            for v in versions:
                if session.scalars(select(ModelVersion).where(ModelVersion.process_version_id == v.id)).first() is None:
                    session.add(ModelVersion(kind="process", key=v.process_id, version=v.version,
                                             content_hash=v.content_hash, content="", process_version_id=v.id,
                                             comment=f"Decision table {filename} version {version}: {why}",
                                             created_by=actor, deployed_at=utcnow(), deployed_by=actor))
            audit(session, actor, "deployed", "decision", filename, version, why, {"processes": changed})
            return {"filename": filename, "version": version, "processes": changed}

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


