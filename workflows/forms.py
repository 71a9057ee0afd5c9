"""User-task forms: one JSON Schema per form key in ``bpmn/forms/`` (DESIGN.md decision 5).

The same schema renders the form, is served by the API and validates the submission here.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError

from .data import normalise
from .errors import NotFound, ProcessDefinitionError, ValidationFailed

EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


class Form:
    """One form: its schema, its optional layout, and the check of a submission against them."""

    def __init__(self, key: str | None, schema: dict[str, Any], ui: dict[str, Any] | None = None,
                 filename: str | None = None) -> None:
        self.key = key
        self.schema = schema
        self.ui = ui or {}
        self.filename = filename or (f"{key}.schema.json" if key else None)
        self._validator: Draft202012Validator | None = None

    def validator(self) -> Draft202012Validator:
        if self._validator is None:
            try:
                Draft202012Validator.check_schema(self.schema)
            except SchemaError as exc:
                raise ProcessDefinitionError(f"Form schema is not valid JSON Schema: {exc.message}",
                                             file=self.filename) from None
            self._validator = Draft202012Validator(self.schema, format_checker=FormatChecker())
        return self._validator

    def validate(self, data: Any) -> dict[str, Any]:
        """Normalise ``data`` and check it against the form; 422 with one message per field."""
        clean = normalise(data)
        if not self.key:
            return clean
        validator = self.validator()
        errors = [field_error(err, validator.schema) for err in validator.iter_errors(clean)]
        if errors:
            errors.sort(key=lambda e: e["field"])
            raise ValidationFailed("There is a problem with the form", errors)
        # Optional fields left empty still exist afterwards, so diagrams can test them.
        for name in validator.schema.get("properties", {}):
            clean.setdefault(name, None)
        return clean

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "schema": self.schema, "ui": self.ui}


NO_FORM = Form(None, EMPTY_SCHEMA)


def parse_form_file(text: str, filename: str) -> dict[str, Any]:
    """A form file's JSON object, or a ProcessDefinitionError naming the file and line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProcessDefinitionError(f"The form is not valid JSON: {exc.msg}", file=filename,
                                     line=exc.lineno) from None
    if not isinstance(value, dict):
        raise ProcessDefinitionError("A form must be a JSON object", file=filename)
    return value


class FormLibrary:
    """The form files on disk (``<key>.schema.json``, optional ``<key>.ui.json``).

    Running cases read the forms their version pinned (``ProcessLibrary.form_for``); this folder is
    what a new version pins when it is loaded from disk.
    """

    def __init__(self, forms_dir: Path) -> None:
        self.forms_dir = Path(forms_dir)
        self._forms: dict[str, tuple[float, float, Form]] = {}

    def schema_path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise NotFound(f"No form '{key}'")
        return self.forms_dir / f"{key}.schema.json"

    def exists(self, key: str) -> bool:
        try:
            return self.schema_path(key).is_file()
        except NotFound:
            return False

    def files(self) -> dict[str, str]:
        """Every form file in the folder by name (schemas and layouts), as text."""
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(self.forms_dir.glob("*.json"))
                if p.name.endswith((".schema.json", ".ui.json"))}

    def schema(self, key: str) -> dict[str, Any]:
        return _load_json(self.schema_path(key), f"form '{key}'")

    def ui(self, key: str) -> dict[str, Any]:
        path = self.forms_dir / f"{key}.ui.json"
        return _load_json(path, f"form layout '{key}'") if path.is_file() else {}

    def form(self, key: str | None) -> Form:
        if not key:
            return NO_FORM
        path = self.schema_path(key)
        ui_path = self.forms_dir / f"{key}.ui.json"
        stamp = (path.stat().st_mtime if path.is_file() else -1.0,
                 ui_path.stat().st_mtime if ui_path.is_file() else -1.0)
        found = self._forms.get(key)
        if found is None or found[:2] != stamp:
            found = (*stamp, Form(key, self.schema(key), self.ui(key)))
            self._forms[key] = found
        return found[2]

    def validator(self, key: str) -> Draft202012Validator:
        return self.form(key).validator()

    def validate(self, key: str | None, data: Any) -> dict[str, Any]:
        """Normalise ``data`` and check it against form ``key`` on disk; 422 with one message per field."""
        return self.form(key).validate(data)

    def check_all(self) -> list[str]:
        """Every form schema in the folder checked; returns the keys (raises on the first bad one)."""
        keys = []
        for path in sorted(self.forms_dir.glob("*.schema.json")):
            key = path.name[: -len(".schema.json")]
            self.validator(key)
            keys.append(key)
        return keys


@lru_cache(maxsize=256)
def _read(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def _load_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise NotFound(f"No {what}")
    try:
        value = json.loads(_read(path, path.stat().st_mtime))
    except json.JSONDecodeError as exc:
        raise ProcessDefinitionError(f"{what} is not valid JSON: {exc.msg}", file=path.name,
                                     line=exc.lineno) from None
    if not isinstance(value, dict):
        raise ProcessDefinitionError(f"{what} must be a JSON object", file=path.name)
    return value


def _node_of(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, dict) else {}
        else:
            node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def field_error(err: SchemaValidationError, schema: dict[str, Any]) -> dict[str, str]:
    """A plain-English message for one failed field, as a caseworker would want to read it."""
    path = list(err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        path = path + [missing]
    field = ".".join(str(p) for p in path)
    node = _node_of(schema, path)
    label = node.get("title") or (str(path[-1]) if path else "This form")
    value = err.validator_value
    custom = node.get("errorMessage")
    # A form may say in its own words what to tell people (GOV.UK style: "Select yes if ...").
    if isinstance(custom, str):
        return {"field": field, "message": custom}
    if isinstance(custom, dict) and isinstance(custom.get(str(err.validator)), str):
        return {"field": field, "message": custom[str(err.validator)]}
    lower = label[:1].lower() + label[1:]
    kind = str(err.validator)
    if kind == "required":
        message = f"Select {lower}" if node.get("type") == "boolean" or "enum" in node else f"Enter {lower}"
    elif kind == "type":
        message = f"{label} must be {_type_words(value)}"
    elif kind == "enum":
        message = f"Select a valid option for {lower}"
    elif kind == "minLength":
        message = f"{label} must be {value} characters or more" if value > 1 else f"Enter {lower}"
    elif kind == "maxLength":
        message = f"{label} must be {value} characters or fewer"
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "or more", "maximum": "or less"}
        message = (f"{label} must be {value} {words[kind]}" if kind in words else
                   f"{label} must be {'more' if kind == 'exclusiveMinimum' else 'less'} than {value}")
    elif kind == "format":
        message = f"{label} must be a real {str(value).replace('-', ' ')}"
    elif kind == "pattern":
        message = f"{label} is not in the right format"
    elif kind == "minItems":
        message = f"Add at least {value} to {lower}"
    elif kind == "maxItems":
        message = f"{label} can have at most {value} entries"
    elif kind == "additionalProperties":
        known = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
        extra = sorted(str(k) for k in err.instance if k not in known) if isinstance(err.instance, dict) else []
        named = ", ".join(f"'{k}'" for k in extra[:10])
        message = f"{label} has fields that are not on the form: {named}" if extra else \
            f"{label} has fields that are not on the form"
        if len(extra) == 1:
            field = ".".join(str(p) for p in [*path, extra[0]])
    elif kind == "const":
        message = f"{label} must be confirmed"
    else:
        message = err.message
    return {"field": field, "message": message}


def _type_words(value: Any) -> str:
    words = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "yes or no",
             "array": "a list", "object": "a group of answers", "null": "empty"}
    if isinstance(value, list):
        return " or ".join(words.get(str(v), str(v)) for v in value)
    return words.get(value, str(value))
