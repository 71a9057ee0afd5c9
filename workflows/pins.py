"""What a version pins beside its diagrams and decisions: its forms and its configuration.

DESIGN.md decision 6: a case keeps everything it depends on. A version stores, by content hash
like its diagrams, the schema (and layout) of every form its user tasks name, the section of its
``configData`` file that belongs to the process, and the council configuration offered to its
decisions. Changing any of them changes the version's content hash, so it makes a new version.
"""
from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .errors import NotFound, ProcessDefinitionError
from .forms import NO_FORM, Form, FormLibrary, parse_form_file
from .models import DefinitionFile, DeploymentEvent, Instance, ProcessVersion, TaskRow
from .spiff_bridge import top_workflow

COUNCIL = "council_config.json"  # the name the council configuration is pinned under
CONFIG_DATA = "configData"       # the process property naming its configuration file


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """One text per value, so equal configuration gives equal hashes whatever the file's layout."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_config_file(text: str, filename: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProcessDefinitionError(f"The configuration is not valid JSON: {exc.msg}", file=filename,
                                     line=exc.lineno) from None
    if not isinstance(value, dict):
        raise ProcessDefinitionError("A configuration file must be a JSON object", file=filename)
    return value


def read_config_files(bpmn_dir: Path, council: Path | None) -> dict[str, str]:
    """The configuration files on disk: ``*.config.json`` beside the diagrams and the council's."""
    found = {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(bpmn_dir).glob("*.config.json"))}
    if council is not None and council.is_file():
        found[COUNCIL] = council.read_text(encoding="utf-8")
    return found


@dataclass
class PinnedFile:
    """A file content to store with a version: ``kind`` form or config, ``name`` what it is pinned as."""

    kind: str
    name: str
    content: str

    @property
    def digest(self) -> str:
        return content_hash(self.content)


@dataclass
class Pins:
    """A process's pinned forms and configuration: name -> file, ready to hash and store."""

    forms: dict[str, PinnedFile] = field(default_factory=dict)
    config: dict[str, PinnedFile] = field(default_factory=dict)

    def form_hashes(self) -> dict[str, str]:
        return {name: f.digest for name, f in sorted(self.forms.items())}

    def config_hashes(self) -> dict[str, str]:
        return {name: f.digest for name, f in sorted(self.config.items())}


def check_form_files(forms: dict[str, str], key: str, *, bpmn_file: str, element: str,
                     line: int | None) -> None:
    """A user task's form must exist and be a valid JSON Schema (refused at load, naming the task)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    name = f"{key}.schema.json"
    if name not in forms:
        raise ProcessDefinitionError(
            f"The task's form '{key}' does not exist (expected {name} among the forms)",
            file=bpmn_file, element=element, line=line)
    schema = parse_form_file(forms[name], name)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ProcessDefinitionError(f"Form schema is not valid JSON Schema: {exc.message}", file=name) from None
    if f"{key}.ui.json" in forms:
        parse_form_file(forms[f"{key}.ui.json"], f"{key}.ui.json")


def pin(process_id: str, properties: dict[str, dict[str, str]], calls_decisions: bool,
        forms: dict[str, str] | None, config: dict[str, str], bpmn_file: str | None = None) -> Pins:
    """The forms and configuration process ``process_id`` depends on, taken from the files given.

    ``forms`` None means forms are not pinned (a library without a form folder); ``properties`` are
    the element properties of the process's diagrams (its own and those it calls).
    """
    pins = Pins()
    if forms is not None:
        for props in properties.values():
            key = props.get("formKey")
            if not key:
                continue
            for name in (f"{key}.schema.json", f"{key}.ui.json"):
                if name in forms:
                    pins.forms[name] = PinnedFile("form", name, forms[name])
    config_name = (properties.get(process_id) or {}).get(CONFIG_DATA)
    if config_name:
        if config_name not in config:
            raise ProcessDefinitionError(
                f"Process '{process_id}' takes its configuration from '{config_name}', which does not exist "
                f"beside the diagrams", file=bpmn_file, element=process_id)
        values = parse_config_file(config[config_name], config_name).get(process_id) or {}
        if not isinstance(values, dict):
            raise ProcessDefinitionError(f"The configuration of '{process_id}' must be a JSON object",
                                         file=config_name)
        pins.config[CONFIG_DATA] = PinnedFile("config", f"{config_name}#{process_id}", canonical_json(values))
    if calls_decisions and COUNCIL in config:
        council = parse_config_file(config[COUNCIL], COUNCIL)
        pins.config[COUNCIL] = PinnedFile("config", COUNCIL, canonical_json(council))
    return pins


def config_files_from_sections(sections: dict[str, str], base: dict[str, str] | None = None) -> dict[str, str]:
    """Whole configuration files rebuilt from pinned sections (``file#process`` -> section text), over
    the sections of ``base`` files (those on disk) that no current version pins."""
    files: dict[str, dict[str, Any]] = {}
    out: dict[str, str] = {}
    for name, text in sections.items():
        filename, _, process_id = name.partition("#")
        if process_id:
            if filename not in files:
                try:
                    files[filename] = dict(json.loads((base or {}).get(filename) or "{}"))
                except (ValueError, TypeError):
                    files[filename] = {}
            files[filename][process_id] = json.loads(text)
        else:
            out[filename] = text
    out.update({filename: canonical_json(values) for filename, values in files.items()})
    return out


class PinnedLookups:
    """What a version pinned, read back for its cases (a part of ``ProcessLibrary``)."""

    db: Database
    forms: FormLibrary | None
    bpmn_dir: Path
    council_config_path: Path | None
    _lock: threading.Lock
    _json: dict[str, Any]
    _forms: dict[tuple[str, str | None], Form]
    _council_by_ref: dict[str, dict[str, Any]]

    def decision_defaults(self, workflow: Any) -> dict[str, Any]:
        """The council configuration a case's decisions see: the one its version pinned."""
        ref = getattr(top_workflow(workflow), "careflow_spec_ref", None)
        if ref is None:
            return self.current_council_config()
        found = self._council_by_ref.get(ref)
        if found is None:
            process_id, _, digest = ref.rpartition("@")
            with self.db.reading() as session:
                version = session.scalars(select(ProcessVersion).where(
                    ProcessVersion.process_id == process_id, ProcessVersion.content_hash == digest)).first()
                found = self.council_config(session, version) if version is not None else {}
            self._council_by_ref[ref] = found
        return found

    def current_council_config(self) -> dict[str, Any]:
        """The council configuration of the newest current version that pins one, else the file on disk."""
        with self.db.reading() as session:
            for version in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                                           .order_by(ProcessVersion.created_at.desc())):
                if COUNCIL in (version.config_hashes or {}):
                    return self._pinned_json(session, version.config_hashes[COUNCIL])
        return self._disk_council()

    def _disk_council(self) -> dict[str, Any]:
        path = self.council_config_path
        if path is None or not path.is_file():
            return {}
        return parse_config_file(path.read_text(encoding="utf-8"), path.name)

    def _pinned_json(self, session: Session, digest: str) -> Any:
        found = self._json.get(digest)
        if found is None:
            found = json.loads(stored_file(session, digest).content)
            self._json[digest] = found
        return copy.deepcopy(found)  # a fresh copy per caller: cases never share mutable values

    def config_data(self, session: Session, version: ProcessVersion) -> dict[str, Any]:
        """The values a new case of ``version`` starts with: the ``configData`` section the version pinned.

        A version stored before versions pinned their configuration reads the file on disk, as then.
        """
        digest = (version.config_hashes or {}).get(CONFIG_DATA)
        if digest:
            return dict(self._pinned_json(session, digest))
        name = (version.element_properties or {}).get(version.process_id, {}).get(CONFIG_DATA)
        path = self.bpmn_dir / name if name and "/" not in name and "\\" not in name else None
        if path is None or not path.is_file():
            return {}
        values = parse_config_file(path.read_text(encoding="utf-8"), path.name).get(version.process_id) or {}
        return copy.deepcopy(values) if isinstance(values, dict) else {}

    def council_config(self, session: Session, version: ProcessVersion) -> dict[str, Any]:
        """The council configuration ``version`` pinned (offered to its decisions)."""
        digest = (version.config_hashes or {}).get(COUNCIL)
        if digest:
            return dict(self._pinned_json(session, digest))
        return self._disk_council() if version.dmn_hashes else {}

    def form_for(self, session: Session, version_id: int, form_key: str | None) -> Form:
        """Form ``form_key`` as version ``version_id`` pinned it: the schema a case renders and validates.

        A form the version did not pin (a version stored before versions pinned forms) is read from disk.
        """
        if not form_key:
            return NO_FORM
        version = session.get(ProcessVersion, version_id)
        hashes = (version.form_hashes or {}) if version is not None else {}
        schema_hash = hashes.get(f"{form_key}.schema.json")
        if schema_hash is None:
            if self.forms is None:
                raise NotFound(f"No form '{form_key}'")
            return self.forms.form(form_key)
        ui_hash = hashes.get(f"{form_key}.ui.json")
        found = self._forms.get((schema_hash, ui_hash))
        if found is None:
            schema = parse_form_file(stored_file(session, schema_hash).content, f"{form_key}.schema.json")
            ui = parse_form_file(stored_file(session, ui_hash).content, f"{form_key}.ui.json") if ui_hash else {}
            found = Form(form_key, schema, ui)
            with self._lock:
                self._forms[(schema_hash, ui_hash)] = found
        return found

    def form_for_task(self, task_id: str) -> Form:
        """The form of a user task, as its case's version pinned it (``NO_FORM`` when it has none)."""
        with self.db.reading() as session:
            return self.task_form(session, task_id)

    def task_form(self, session: Session, task_id: str) -> Form:
        task = session.get(TaskRow, task_id)
        if task is None:
            raise NotFound(f"No task {task_id}")
        if not task.form_key:
            return NO_FORM
        instance = session.get(Instance, task.instance_id)
        if instance is None:
            raise NotFound(f"No instance {task.instance_id}")
        return self.form_for(session, instance.process_version_id, task.form_key)

    def current_pins(self, session: Session, disk_config: dict[str, str] | None = None
                     ) -> tuple[dict[str, str], dict[str, str]]:
        """The form files and configuration files the current versions pin (for a deploy that sends
        only some files: the others stay as deployed)."""
        form_hashes: dict[str, str] = {}
        sections: dict[str, str] = {}
        for version in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                                       .order_by(ProcessVersion.created_at)):
            form_hashes.update(version.form_hashes or {})
            sections.update(self._config_sections(session, version))
        forms = {name: stored_file(session, digest).content for name, digest in form_hashes.items()}
        return forms, config_files_from_sections(sections, disk_config)

    def _config_sections(self, session: Session, version: ProcessVersion) -> dict[str, str]:
        """The configuration ``version`` pinned, named ``file#process`` (its section) or by file (the
        council's). Names come from the version, not the stored file: equal contents share one row."""
        out = {}
        for key, digest in (version.config_hashes or {}).items():
            if key == CONFIG_DATA:
                name = (version.element_properties or {}).get(version.process_id, {}).get(CONFIG_DATA)
                out[f"{name}#{version.process_id}"] = stored_file(session, digest).content
            else:
                out[key] = stored_file(session, digest).content
        return out

    def version_files(self, session: Session, version: ProcessVersion) -> dict[str, dict[str, str]]:
        """Every file ``version`` pins, by kind and name, in the shape the deploy API takes (to take a
        deployed version into the repository, or to deploy it elsewhere)."""
        out: dict[str, dict[str, str]] = {"bpmn": {}, "dmn": {}, "forms": {}, "config": {}}
        for digest in [*version.bpmn_hashes, *sorted(set((version.dmn_hashes or {}).values()))]:
            stored = stored_file(session, digest)
            out[stored.kind][stored.filename] = stored.content
        for name, digest in (version.form_hashes or {}).items():
            out["forms"][name] = stored_file(session, digest).content
        out["config"] = config_files_from_sections(self._config_sections(session, version))
        return out

    def deployment_log(self, session: Session, process_id: str) -> list[dict[str, Any]]:
        """When each version of ``process_id`` was made current, by whom and how (newest first)."""
        rows = session.scalars(select(DeploymentEvent).where(DeploymentEvent.process_id == process_id)
                               .order_by(DeploymentEvent.at.desc(), DeploymentEvent.id.desc())).all()
        return [{"action": r.action, "version": r.version, "actor": r.actor, "at": r.at.isoformat(),
                 **(r.data or {})} for r in rows]


def stored_file(session: Session, digest: str) -> DefinitionFile:
    found = session.get(DefinitionFile, digest)
    if found is None:
        raise NotFound(f"The stored file {digest[:12]} of this process version is missing")
    return found
