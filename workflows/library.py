"""The process library: loads, validates and versions BPMN and DMN, and caches parsed specs.

Each distinct file content is stored once by its hash (DESIGN.md decision 6): a process
version names the BPMN files and DMN files it was built from, so it can be rebuilt exactly;
running instances keep theirs because their serialized state names it (``process@content-hash``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import Database
from .errors import NotFound, ProcessDefinitionError
from .forms import FormLibrary
from .models import DefinitionFile, ProcessVersion
from .spiff_bridge import (
    CareflowParser,
    DecisionTaskEngine,
    set_decision_model_resolver,
    set_spec_resolver,
    spec_ref,
)
from .validation import check_process_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
log = logging.getLogger("careflow.library")


def hardened_xml_parser() -> etree.XMLParser:
    """No entity expansion, no DTD, no network: whatever lxml version is installed."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_xml(content: str | bytes, filename: str) -> etree._Element:
    """Parse untrusted XML safely; malformed XML or a DTD becomes a ProcessDefinitionError with the line."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        root = etree.fromstring(data, hardened_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ProcessDefinitionError(f"Malformed XML: {exc.msg}", file=filename, line=exc.lineno) from None
    if root.getroottree().docinfo.doctype:
        # A DOCTYPE is never needed by BPMN or DMN; refusing it closes the door on entity tricks.
        raise ProcessDefinitionError("A DOCTYPE declaration is not allowed in a process or decision file",
                                     file=filename, line=1)
    return root


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BuiltProcess:
    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    bpmn_hashes: list[str]
    dmn_hashes: dict[str, str]
    message_starts: list[str]
    element_properties: dict[str, dict[str, str]]

    @property
    def content_hash(self) -> str:
        return content_hash(json.dumps({"bpmn": self.bpmn_hashes, "dmn": self.dmn_hashes}, sort_keys=True))


class ProcessLibrary:
    def __init__(self, db: Database, bpmn_dir: Path, dmn_dir: Path, forms: FormLibrary | None = None) -> None:
        self.db = db
        self.forms = forms  # when given, every user task's form must exist before a diagram is accepted
        self.bpmn_dir = Path(bpmn_dir)
        self.dmn_dir = Path(dmn_dir)
        self._lock = threading.Lock()
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}  # spec_ref(process, content hash) -> specs
        self._decision_models: dict[str, Any] = {}  # dmn file hash -> model
        self._properties: dict[int, dict[str, dict[str, str]]] = {}  # version id -> element properties
        self.load_errors: list[dict[str, Any]] = []  # files the last sync from disk could not load
        set_decision_model_resolver(self.decision_model)
        set_spec_resolver(self.specs_by_ref)

    # ---- decisions -------------------------------------------------------------------------
    def decision_model(self, dmn_hash: str) -> Any:
        model = self._decision_models.get(dmn_hash)
        if model is None:
            with self.db.reading() as session:
                row = session.get(DefinitionFile, dmn_hash)
                if row is None:
                    raise NotFound(f"No decision file with hash {dmn_hash}")
                model = self._load_dmn(row.content, row.filename)
            self._decision_models[dmn_hash] = model
        return model

    def _load_dmn(self, content: str, filename: str) -> Any:
        from .decisions import DecisionError, load_decisions

        parse_xml(content, filename)  # refuse DOCTYPEs and malformed XML with our message first
        try:
            return load_decisions(content.encode("utf-8"), filename=filename)
        except DecisionError as exc:
            raise ProcessDefinitionError(str(exc), file=filename) from None

    # ---- loading and versioning ------------------------------------------------------------
    def sync_from_disk(self, actor: str | None = None) -> list[ProcessVersion]:
        """Store every process in ``bpmn/`` (with the decisions in ``dmn/``) as a version if new."""
        bpmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(self.bpmn_dir.glob("*.bpmn"))}
        dmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(self.dmn_dir.glob("*.dmn"))}
        self.load_errors = []
        try:
            with self.db.transaction() as session:
                return self.store(session, bpmn, dmn, actor=actor)
        except ProcessDefinitionError:
            pass  # one bad file must not keep the good ones (or the service) from starting
        good_dmn = {}
        for name, text in dmn.items():
            try:
                self.build({}, {name: text})
                good_dmn[name] = text
            except ProcessDefinitionError as exc:
                self._record_load_error(exc)
        versions: list[ProcessVersion] = []
        for name, text in bpmn.items():
            try:
                with self.db.transaction() as session:
                    versions.extend(self.store(session, {name: text}, good_dmn, actor=actor))
            except ProcessDefinitionError as exc:
                self._record_load_error(exc)
        return versions

    def _record_load_error(self, exc: ProcessDefinitionError) -> None:
        log.warning("not loaded: %s", exc.message)
        self.load_errors.append(exc.to_dict())

    def build(self, bpmn_files: dict[str, str], dmn_files: dict[str, str]) -> tuple[list[BuiltProcess], dict]:
        """Parse and validate; returns the processes and the stored-file records to write."""
        files: dict[str, DefinitionFile] = {}
        decisions: dict[str, str] = {}
        for filename, text in dmn_files.items():
            digest = content_hash(text)
            model = self._decision_models.get(digest) or self._load_dmn(text, filename)
            self._decision_models[digest] = model
            files[digest] = DefinitionFile(content_hash=digest, kind="dmn", filename=filename, content=text)
            for decision_id in model.decision_ids:
                if decision_id in decisions:
                    raise ProcessDefinitionError(f"Decision '{decision_id}' is defined in two files", file=filename)
                decisions[decision_id] = digest
        parser = CareflowParser(decisions, validator=VALIDATOR)
        process_files: dict[str, str] = {}
        properties: dict[str, dict[str, dict[str, str]]] = {}  # file hash -> element id -> properties
        for filename, text in bpmn_files.items():
            root = parse_xml(text, filename)
            check_process_xml(root, filename)
            digest = content_hash(text)
            files[digest] = DefinitionFile(content_hash=digest, kind="bpmn", filename=filename, content=text)
            properties[digest] = element_properties(root)
            self._check_forms(properties[digest], root, filename)
            try:
                parser.add_bpmn_xml(etree.ElementTree(root), filename=filename)
            except ValidationException as exc:
                raise _definition_error(exc, filename) from None
            except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as exc:
                raise ProcessDefinitionError(f"Cannot load the diagram: {exc}", file=filename) from None
            for pid in _process_ids(root):
                process_files[pid] = digest
        built = []
        for pid, digest in process_files.items():
            built.append(self._build_one(parser, pid, digest, process_files, files[digest].filename, properties))
        return built, files

    def _check_forms(self, properties: dict[str, dict[str, str]], root: etree._Element, filename: str) -> None:
        if self.forms is None:
            return
        for element_id, props in properties.items():
            key = props.get("formKey")
            if key and not self.forms.exists(key):
                found = root.xpath("//*[@id=$id]", id=element_id)
                raise ProcessDefinitionError(
                    f"The task's form '{key}' does not exist (expected {key}.schema.json among the forms)",
                    file=filename, element=element_id, line=found[0].sourceline if found else None)

    def _build_one(self, parser: CareflowParser, pid: str, digest: str, process_files: dict[str, str],
                   filename: str, properties: dict[str, dict[str, dict[str, str]]]) -> BuiltProcess:
        try:
            spec = parser.get_spec(pid)
            subprocesses = parser.get_subprocess_specs(pid)
        except ValidationException as exc:
            raise _definition_error(exc, filename) from None
        except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as exc:
            raise ProcessDefinitionError(f"Cannot build process '{pid}': {exc}", file=filename) from None
        bpmn_hashes = [digest] + sorted({process_files[s] for s in subprocesses if s in process_files} - {digest})
        dmn_hashes: dict[str, str] = {}
        message_starts: list[str] = []
        for each in [spec, *subprocesses.values()]:
            for task_spec in each.task_specs.values():
                engine = getattr(task_spec, "dmnEngine", None)
                if isinstance(engine, DecisionTaskEngine):
                    dmn_hashes[engine.decision_id] = engine.dmn_hash
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(task_spec, StartEvent) and isinstance(definition, MessageEventDefinition):
                message_starts.append(definition.name)
        props: dict[str, dict[str, str]] = {}
        for each_hash in bpmn_hashes:
            props.update(properties.get(each_hash, {}))
        return BuiltProcess(pid, spec.description or pid, spec, subprocesses, bpmn_hashes, dmn_hashes,
                            sorted(message_starts), props)

    def store(self, session: Session, bpmn_files: dict[str, str], dmn_files: dict[str, str],
              actor: str | None = None, deploy: bool = True) -> list[ProcessVersion]:
        """Validate the files and store a new version of each process whose content changed."""
        built, files = self.build(bpmn_files, dmn_files)
        for digest, record in files.items():
            if session.get(DefinitionFile, digest) is None:
                session.add(record)
        versions = []
        for proc in built:
            found = session.scalars(select(ProcessVersion).where(
                ProcessVersion.process_id == proc.process_id,
                ProcessVersion.content_hash == proc.content_hash)).first()
            if found is None:
                latest = session.scalar(select(func.max(ProcessVersion.version)).where(
                    ProcessVersion.process_id == proc.process_id)) or 0
                found = ProcessVersion(process_id=proc.process_id, name=proc.name, version=latest + 1,
                                       content_hash=proc.content_hash, bpmn_hash=proc.bpmn_hashes[0],
                                       bpmn_hashes=proc.bpmn_hashes, dmn_hashes=proc.dmn_hashes,
                                       message_starts=proc.message_starts, deployed=deploy, created_by=actor,
                                       element_properties=proc.element_properties)
                session.add(found)
                session.flush()
            with self._lock:
                self._specs[spec_ref(proc.process_id, proc.content_hash)] = (proc.spec, proc.subprocess_specs)
            versions.append(found)
        return versions

    # ---- lookups -----------------------------------------------------------------------------
    def latest(self, session: Session, process_id: str) -> ProcessVersion:
        version = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.deployed.is_(True))
            .order_by(ProcessVersion.version.desc()).limit(1)).first()
        if version is None:
            raise NotFound(f"No deployed process '{process_id}'")
        return version

    def specs(self, session: Session, version: ProcessVersion) -> tuple[Any, dict[str, Any]]:
        """The parsed spec of a version (cached; rebuilt from its stored files after a restart)."""
        ref = spec_ref(version.process_id, version.content_hash)
        found = self._specs.get(ref)
        if found is None:
            bpmn, dmn = {}, {}
            for digest in version.bpmn_hashes:
                stored = _stored_file(session, digest)
                bpmn[stored.filename] = stored.content
            for digest in set(version.dmn_hashes.values()):
                stored = _stored_file(session, digest)
                dmn[stored.filename] = stored.content
            built, _ = self.build(bpmn, dmn)
            for proc in built:
                if proc.process_id == version.process_id:
                    found = (proc.spec, proc.subprocess_specs)
            if found is None:
                raise NotFound(f"Process version {version.process_id} v{version.version} cannot be rebuilt")
            with self._lock:
                self._specs[ref] = found
        return found

    def specs_by_ref(self, ref: str) -> tuple[Any, dict[str, Any]]:
        """The specs a stored workflow state names (``process@content-hash``), for deserializing."""
        found = self._specs.get(ref)
        if found is not None:
            return found
        process_id, _, digest = ref.rpartition("@")
        with self.db.reading() as session:
            version = session.scalars(select(ProcessVersion).where(
                ProcessVersion.process_id == process_id, ProcessVersion.content_hash == digest)).first()
            if version is None:
                raise NotFound(f"The process version {ref} of this instance is not stored")
            return self.specs(session, version)

    def element_properties(self, session: Session, version_id: int) -> dict[str, dict[str, str]]:
        """A version's per-element settings (versions are immutable, so they are cached for good)."""
        found = self._properties.get(version_id)
        if found is None:
            version = session.get(ProcessVersion, version_id)
            found = (version.element_properties or {}) if version is not None else {}
            self._properties[version_id] = found
        return found

    def processes_started_by(self, session: Session, message_name: str) -> list[ProcessVersion]:
        rows = session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                               .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
        latest: dict[str, ProcessVersion] = {}
        for row in rows:
            latest.setdefault(row.process_id, row)
        return [v for v in latest.values() if message_name in (v.message_starts or [])]

    def decision_file_for(self, session: Session, decision_id: str) -> DefinitionFile:
        """The newest stored DMN file that defines ``decision_id``."""
        rows = session.scalars(select(DefinitionFile).where(DefinitionFile.kind == "dmn")
                               .order_by(DefinitionFile.created_at.desc())).all()
        for row in rows:
            if decision_id in self.decision_model(row.content_hash).decision_ids:
                return row
        raise NotFound(f"No decision '{decision_id}'")


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def element_properties(root: etree._Element) -> dict[str, dict[str, str]]:
    """careflow's per-element settings: ``spiffworkflow:property`` entries, and Camunda's
    ``formKey``/``candidateGroups``/``dueDate`` attributes for diagrams drawn in Camunda's modeller."""
    found: dict[str, dict[str, str]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.get("id"):
            continue
        props: dict[str, str] = {}
        for attr, key in (("formKey", "formKey"), ("candidateGroups", "candidateGroup"), ("dueDate", "dueDate")):
            value = el.get(f"{{{CAMUNDA_NS}}}{attr}")
            if value:
                props[key] = value
        ext = el.find(f"{{{BPMN_NS}}}extensionElements")
        if ext is not None:
            for prop in ext.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name"):
                    props[prop.get("name")] = prop.get("value", "")
        if props:
            found[el.get("id")] = props
    return found


def _stored_file(session: Session, digest: str) -> DefinitionFile:
    found = session.get(DefinitionFile, digest)
    if found is None:
        raise NotFound(f"The stored file {digest[:12]} of this process version is missing")
    return found


def _process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")
            if p.get("isExecutable", "true") != "false" and p.get("id")]


def _definition_error(exc: ValidationException, filename: str) -> ProcessDefinitionError:
    element = getattr(exc, "id", "") or getattr(exc, "tag", "") or None
    line = getattr(exc, "line_number", None)
    message = str(exc.args[0]) if exc.args else str(exc)
    return ProcessDefinitionError(message, file=getattr(exc, "file_name", None) or filename, element=element,
                                  line=line if isinstance(line, int) and line > 0 else None)
