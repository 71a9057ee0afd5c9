"""The process library: loads, validates and versions BPMN and DMN, and caches parsed specs.

Each distinct file content is stored once by its hash (DESIGN.md decision 6): a process
version names the BPMN and DMN files it was built from and pins the forms and configuration it
depends on (``pins.py``), so it can be rebuilt exactly and running cases keep all of it (their
state names it: ``process@content-hash``). Each
library is its own resolver of specs, decision tables and configuration: nothing is process-wide.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .callees import CalleeFiles
from .db import Database
from .drawn import adjust_specs, check_unique_ids
from .drawn import prepare as prepare_drawn
from .errors import NotFound, ProcessDefinitionError
from .forms import Form, FormLibrary
from .model_checks import too_long_paths
from .models import DefinitionFile, DeploymentEvent, ProcessVersion, utcnow
from .pins import COUNCIL, PinnedLookups, Pins, check_form_files, content_hash, pin, read_config_files, stored_file
from .service_tasks import ParameterCheck, no_parameter_checks
from .spiff_bridge import CareflowParser, DecisionTaskEngine, make_serializer, signal_name, spec_ref
from .spiff_events import use_careflow_timers, use_interrupting_starts
from .start_timers import schedule as schedule_start_timers
from .throws import capture_throws
from .validation import check_process_xml, check_service_parameters

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Where a deployment came from: a process owner's (the API's or the modeller's) is never silently
# replaced by the files on disk (``disk_sync.py``).
SOURCES = ("api", "modeller", "disk")
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
    pins: Pins
    filename: str = ""

    @property
    def content_hash(self) -> str:
        """One hash over everything a case of this version depends on."""
        parts: dict[str, Any] = {"bpmn": self.bpmn_hashes, "dmn": self.dmn_hashes}
        if self.pins.forms:  # versions that pin nothing keep the hash they had before pins existed
            parts["forms"] = self.pins.form_hashes()
        if self.pins.config:
            parts["config"] = self.pins.config_hashes()
        return content_hash(json.dumps(parts, sort_keys=True))


class ProcessLibrary(PinnedLookups):
    def __init__(self, db: Database, bpmn_dir: Path, dmn_dir: Path, forms: FormLibrary | None = None,
                 council_config: Path | None = None, parameter_check: ParameterCheck | None = None) -> None:
        self.db = db
        # What the handlers say of a service task's literal inputs (a template that does not exist).
        self.parameter_check = parameter_check or no_parameter_checks
        self.forms = forms  # when given, every user task's form must exist before a diagram is accepted
        self.bpmn_dir = Path(bpmn_dir)
        self.dmn_dir = Path(dmn_dir)
        self.council_config_path = Path(council_config) if council_config else None
        self._lock = threading.Lock()
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}  # spec_ref(process, content hash) -> specs
        self._decision_models: dict[str, Any] = {}  # dmn file hash -> model
        self._properties: dict[int, dict[str, dict[str, str]]] = {}  # version id -> element properties
        self._json: dict[str, Any] = {}  # pinned file hash -> parsed JSON (immutable by hash)
        self._forms: dict[tuple[str, str | None], Form] = {}  # (schema hash, layout hash) -> form
        self._council_by_ref: dict[str, dict[str, Any]] = {}  # spec_ref -> council configuration
        self.load_errors: list[dict[str, Any]] = []  # files the last sync from disk could not load
        # Restored workflows find their specs and tables here, in this library, never in a global.
        self.serializer = make_serializer(self.specs_by_ref, self)

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
    def disk_files(self) -> tuple[dict[str, str], dict[str, str], dict[str, str] | None, dict[str, str]]:
        """The diagrams, decision tables, forms and configuration files on disk."""
        bpmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(self.bpmn_dir.glob("*.bpmn"))}
        dmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(self.dmn_dir.glob("*.dmn"))}
        return (bpmn, dmn, *self.disk_pins())

    def disk_pins(self) -> tuple[dict[str, str] | None, dict[str, str]]:
        """The form files (None without a form folder) and configuration files on disk."""
        forms = self.forms.files() if self.forms is not None else None
        return forms, read_config_files(self.bpmn_dir, self.council_config_path)

    def sync_from_disk(self, actor: str | None = None) -> list[ProcessVersion]:
        """Store every process on disk (with its decisions, forms and configuration) as a version if new,
        by the rule in README.md: disk content never silently replaces a version a process owner deployed
        through the API; such a file is reported in ``load_errors`` instead (``disk_sync.py``)."""
        from .disk_sync import sync_from_disk

        return sync_from_disk(self, actor)

    def record_load_error(self, error: dict[str, Any]) -> None:
        log.warning("not loaded: %s", error.get("message"))
        self.load_errors.append(error)

    def build(self, bpmn_files: dict[str, str], dmn_files: dict[str, str], forms: dict[str, str] | None = None,
              config: dict[str, str] | None = None, callees: CalleeFiles | None = None, *, pins: bool = True
              ) -> tuple[list[BuiltProcess], dict[str, DefinitionFile]]:
        """Parse and validate; returns the processes and the stored-file records to write.

        ``forms`` and ``config`` are the form and configuration files a version may pin (None: those on
        disk). ``pins=False`` only rebuilds specs, checking and pinning nothing beyond the diagrams.
        ``callees`` finds the files of a called process deployed on its own (see ``workflows/callees.py``);
        the processes read through it are used, not returned.
        """
        if pins and forms is None and self.forms is not None:
            forms = self.forms.files()
        if pins and config is None:
            config = read_config_files(self.bpmn_dir, self.council_config_path)
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
        parser = CareflowParser(decisions, source=self, validator=VALIDATOR)
        process_files: dict[str, str] = {}
        properties: dict[str, dict[str, dict[str, str]]] = {}  # file hash -> element id -> properties
        interrupting: set[str] = set()  # start events of interrupting event sub-processes
        roots: dict[str, etree._Element] = {}
        pending = dict(bpmn_files)
        while pending:
            filename = next(iter(pending))  # in the order sent, then the callees found missing
            text = pending.pop(filename)
            root = parse_xml(text, filename)
            check_process_xml(root, filename)
            if pins:  # new content; a stored version rebuilt is never refused afresh
                check_service_parameters(root, filename, self.parameter_check)
                for problem in too_long_paths(root):  # in words, before the engine's parser recurses too deep
                    raise ProcessDefinitionError(problem.message, file=filename, element=problem.element,
                                                 line=problem.line)
            check_unique_ids({filename: root}, roots)
            roots[filename] = root
            digest = content_hash(text)
            files[digest] = DefinitionFile(content_hash=digest, kind="bpmn", filename=filename, content=text)
            properties[digest] = element_properties(root)
            interrupting.update(interrupting_starts(root))
            if pins and forms is not None:
                _check_forms(forms, properties[digest], root, filename)
            try:
                parser.add_bpmn_xml(etree.ElementTree(prepare_drawn(root, filename)), filename=filename)
            except ValidationException as exc:
                raise _definition_error(exc, filename) from None
            except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as exc:
                raise ProcessDefinitionError(f"Cannot load the diagram: {exc}", file=filename) from None
            for pid in _process_ids(root):
                process_files[pid] = digest
            if not pending and callees is not None:
                pending.update(callees.missing(parser, roots))
        built = []
        for pid, digest in process_files.items():
            if files[digest].filename not in bpmn_files:
                continue  # a callee read from what is deployed: used, not built again
            proc = self._build_one(parser, pid, digest, process_files, files[digest].filename, properties,
                                   interrupting)
            if pins:
                pinned = pin(pid, proc.element_properties, bool(proc.dmn_hashes), forms, config or {},
                             files[digest].filename)
                proc = BuiltProcess(**{**proc.__dict__, "pins": pinned})
                for each in [*pinned.forms.values(), *pinned.config.values()]:
                    files[each.digest] = DefinitionFile(content_hash=each.digest, kind=each.kind, filename=each.name,
                                                        content=each.content)
            built.append(proc)
        return built, files

    def _build_one(self, parser: CareflowParser, pid: str, digest: str, process_files: dict[str, str],
                   filename: str, properties: dict[str, dict[str, dict[str, str]]],
                   interrupting: set[str]) -> BuiltProcess:
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
            elif isinstance(task_spec, StartEvent) and isinstance(definition, SignalEventDefinition):
                message_starts.append(signal_name(definition.name))
        use_careflow_timers([spec, *subprocesses.values()])
        use_interrupting_starts([spec, *subprocesses.values()], interrupting)
        props: dict[str, dict[str, str]] = {}
        for each_hash in bpmn_hashes:
            props.update(properties.get(each_hash, {}))
        adjust_specs([spec, *subprocesses.values()], props)
        capture_throws([spec, *subprocesses.values()])
        return BuiltProcess(pid, spec.description or pid, spec, subprocesses, bpmn_hashes, dmn_hashes,
                            sorted(message_starts), props, Pins(), filename)

    def store(self, session: Session, bpmn_files: dict[str, str], dmn_files: dict[str, str],
              actor: str | None = None, deploy: bool = True, forms: dict[str, str] | None = None,
              config: dict[str, str] | None = None, origin: str = "api",
              callees: CalleeFiles | None = None) -> list[ProcessVersion]:
        """Validate the files and store a new version of each process whose content changed (a called
        process not among them is read from the deployed ones: ``workflows/callees.py``).

        With ``deploy`` each version becomes its process's current one: content an earlier version
        already has makes that version current again (a roll-back, in the deployment log).
        """
        built, files = self.build(bpmn_files, dmn_files, forms, config, callees or CalleeFiles(session))
        return [self.store_built(session, proc, files, actor=actor, deploy=deploy, origin=origin) for proc in built]

    def store_built(self, session: Session, proc: BuiltProcess, files: dict[str, DefinitionFile], *,
                     actor: str | None, deploy: bool, origin: str) -> ProcessVersion:
        needed = {*proc.bpmn_hashes, *proc.dmn_hashes.values(), *proc.pins.form_hashes().values(),
                  *proc.pins.config_hashes().values()}
        for digest in needed:
            if digest in files and session.get(DefinitionFile, digest) is None:
                session.add(files[digest])
        session.flush()
        found = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == proc.process_id,
            ProcessVersion.content_hash == proc.content_hash)).first()
        current = self.current(session, proc.process_id)
        if found is None:
            latest = session.scalar(select(func.max(ProcessVersion.version)).where(
                ProcessVersion.process_id == proc.process_id)) or 0
            found = ProcessVersion(process_id=proc.process_id, name=proc.name, version=latest + 1,
                                   content_hash=proc.content_hash, bpmn_hash=proc.bpmn_hashes[0],
                                   bpmn_hashes=proc.bpmn_hashes, dmn_hashes=proc.dmn_hashes,
                                   message_starts=proc.message_starts, deployed=False, created_by=actor,
                                   element_properties=proc.element_properties,
                                   form_hashes=proc.pins.form_hashes(), config_hashes=proc.pins.config_hashes(),
                                   origin=origin, based_on=current.id if current is not None else None)
            session.add(found)
            session.flush()
        if deploy:
            self.make_current(session, found, actor=actor, source=origin)
        ref = spec_ref(proc.process_id, proc.content_hash)
        with self._lock:
            self._specs[ref] = (proc.spec, proc.subprocess_specs)
            if COUNCIL in proc.pins.config:
                self._council_by_ref[ref] = json.loads(proc.pins.config[COUNCIL].content)
        return found

    def make_current(self, session: Session, version: ProcessVersion, *, actor: str | None,
                     source: str) -> str | None:
        """Make ``version`` the one new cases of its process start on: the single way every deploy does
        it (the API, the modeller, the disk, a roll-back), so each is in the deployment log and schedules
        the version's timer start events. ``source`` is one of :data:`SOURCES`.

        Returns the logged action: ``deployed`` for a version never current before, ``rolled_back`` for
        one made current again; None when it already was current (nothing is logged).
        """
        if source not in SOURCES:
            raise ValueError(f"Unknown deployment source {source!r}")
        previous = self.current(session, version.process_id)
        if previous is not None and previous.id == version.id:
            return None
        was_current = session.scalars(select(DeploymentEvent.id).where(
            DeploymentEvent.version_id == version.id).limit(1)).first() is not None
        # Versions older than the deployment log were current if a newer one was deployed after them.
        older = previous is not None and version.version < previous.version
        action = "rolled_back" if was_current or older else "deployed"
        session.query(ProcessVersion).filter(
            ProcessVersion.process_id == version.process_id, ProcessVersion.id != version.id,
            ProcessVersion.deployed.is_(True)).update({"deployed": False}, synchronize_session="fetch")
        version.deployed = True
        stored = session.get(DefinitionFile, version.bpmn_hash)
        if stored is not None:  # its timer start events now start cases on this version
            schedule_start_timers(session, version, stored.content)
        session.add(DeploymentEvent(process_id=version.process_id, version_id=version.id, version=version.version,
                                    action=action, actor=actor, at=utcnow(),
                                    data={"source": source, "contentHash": version.content_hash,
                                          "previousVersion": previous.version if previous is not None else None}))
        session.flush()
        log.info("%s: %s version %s is current (%s)", action, version.process_id, version.version, source)
        return action

    # ---- lookups -----------------------------------------------------------------------------
    def current(self, session: Session, process_id: str) -> ProcessVersion | None:
        """The version new cases of ``process_id`` start on, if any."""
        return session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.deployed.is_(True))
            .order_by(ProcessVersion.version.desc()).limit(1)).first()

    def latest(self, session: Session, process_id: str) -> ProcessVersion:
        """The current version of ``process_id`` (404 when none is deployed)."""
        version = self.current(session, process_id)
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
                stored = stored_file(session, digest)
                bpmn[stored.filename] = stored.content
            for digest in set(version.dmn_hashes.values()):
                stored = stored_file(session, digest)
                dmn[stored.filename] = stored.content
            built, _ = self.build(bpmn, dmn, pins=False)
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


def interrupting_starts(root: etree._Element) -> set[str]:
    """Ids of the start events of interrupting event sub-processes (``isInterrupting`` defaults to true)."""
    return {str(start.get("id")) for esp in root.iter(f"{{{BPMN_NS}}}subProcess")
            if esp.get("triggeredByEvent") == "true"
            for start in esp.iterchildren(f"{{{BPMN_NS}}}startEvent")
            if start.get("isInterrupting", "true") != "false" and start.get("id")}


def _check_forms(forms: dict[str, str], properties: dict[str, dict[str, str]], root: etree._Element,
                 filename: str) -> None:
    for element_id, props in properties.items():
        key = props.get("formKey")
        if key:
            found = root.xpath("//*[@id=$id]", id=element_id)
            check_form_files(forms, key, bpmn_file=filename, element=element_id,
                             line=found[0].sourceline if found else None)


def _process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")
            if p.get("isExecutable", "true") != "false" and p.get("id")]


def _definition_error(exc: ValidationException, filename: str) -> ProcessDefinitionError:
    element = getattr(exc, "id", "") or getattr(exc, "tag", "") or None
    line = getattr(exc, "line_number", None)
    message = str(exc.args[0]) if exc.args else str(exc)
    return ProcessDefinitionError(message, file=getattr(exc, "file_name", None) or filename, element=element,
                                  line=line if isinstance(line, int) and line > 0 else None)
