"""What a version pins beside its diagrams and decisions: its forms and its configuration.

DESIGN.md decision 6: a case keeps everything it depends on. A version stores, by content hash
like its diagrams, the schema (and layout) of every form its user tasks name, the section of its
``configData`` file that belongs to the process, and the council configuration offered to its
decisions. Changing any of them changes the version's content hash, so it makes a new version.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ProcessDefinitionError
from .forms import parse_form_file

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


def config_files_from_sections(sections: dict[str, str]) -> dict[str, str]:
    """Whole configuration files rebuilt from pinned sections (``file#process`` -> section text)."""
    files: dict[str, dict[str, Any]] = {}
    out: dict[str, str] = {}
    for name, text in sections.items():
        filename, _, process_id = name.partition("#")
        if process_id:
            files.setdefault(filename, {})[process_id] = json.loads(text)
        else:
            out[filename] = text
    out.update({filename: canonical_json(values) for filename, values in files.items()})
    return out
