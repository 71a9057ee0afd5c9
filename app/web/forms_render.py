"""JSON Schema forms as GOV.UK components: schema + ``.ui.json`` -> field view models, posts -> data.

The schema is the single source: the same file validates the submission in
:meth:`workflows.forms.FormLibrary.validate`, whose plain-English messages are shown beside each field.
This module only turns browser form fields into JSON values (and back); it never decides what is
valid, except for a file that is not a readable CSV.

``.ui.json`` is optional: ``{"order": [...], "fields": {"name": {"widget": ..., "hint": ..., "label": ...,
"labels": {"VALUE": "text"}, "itemLabel": "contact", "order": [...], "fields": {...}}}}``.
Widgets: text, textarea, number, date, radios, checkboxes, select, file.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

RADIO_LIMIT = 6  # more options than this become a select unless the ui says radios
CSV_FORMAT = "csv-upload"


@dataclass
class Option:
    value: str
    text: str


@dataclass
class Field:
    """One question on the page, ready for a GOV.UK macro."""

    path: str                      # as forms.validate names it in errors: "contacts.0.name"
    name: str                      # the HTML field name: "contacts-0-name"
    label: str
    kind: str                      # text | email | integer | number | date | radios | checkboxes | select |
    #                                textarea | boolean | group | repeat | file
    hint: str | None = None
    required: bool = False
    value: Any = None              # str, list[str] (checkboxes), dict (date parts), list[dict] (file rows)
    options: list[Option] = field(default_factory=list)
    error: str | None = None
    children: list[Field] = field(default_factory=list)          # group
    items: list[list[Field]] = field(default_factory=list)       # repeat
    item_label: str = "item"
    item_errors: list[str | None] = field(default_factory=list)  # repeat: an error about a whole item
    columns: list[str] = field(default_factory=list)             # file: the CSV's columns

    @property
    def id(self) -> str:
        return self.name

    @property
    def anchor(self) -> str:
        """The element the error summary links to (GOV.UK: the first input of the question)."""
        if self.kind == "date":
            return f"{self.name}-day"
        if self.kind == "repeat":
            return f"{self.name}-add"
        return self.name


@dataclass
class FormView:
    fields: list[Field]
    errors: list[dict[str, str]]   # for the error summary: {"text", "href"}


# ---- schema -> fields -----------------------------------------------------------------------
def build(schema: Mapping[str, Any], ui: Mapping[str, Any] | None, values: Mapping[str, Any] | None,
          errors: list[dict[str, str]] | None = None) -> FormView:
    """Field view models for ``schema`` filled with ``values``, each carrying its error message."""
    by_path = {}
    for err in errors or []:
        by_path.setdefault(err.get("field", ""), err.get("message", ""))
    fields = _build_object(schema, ui or {}, values or {}, prefix_path="", prefix_name="", by_path=by_path)
    summary: list[dict[str, str]] = []
    placed: set[str] = set()
    for f in _walk(fields):
        if f.error:
            summary.append({"text": f.error, "href": f"#{f.anchor}"})
            placed.add(f.path)
    for path, message in by_path.items():
        if path not in placed and not any(path.startswith(p + ".") for p in placed):
            owner = _owner(fields, path)
            summary.append({"text": message, "href": f"#{owner.anchor}" if owner else "#task-form"})
            if owner is not None and owner.kind == "repeat":
                _attach_item_error(owner, path, message)
    return FormView(fields, summary)


def _walk(fields: list[Field]) -> list[Field]:
    out: list[Field] = []
    for f in fields:
        out.append(f)
        out.extend(_walk(f.children))
        for item in f.items:
            out.extend(_walk(item))
    return out


def _owner(fields: list[Field], path: str) -> Field | None:
    """The deepest rendered field that ``path`` (e.g. ``contacts.1`` or ``contacts``) belongs to."""
    best = None
    for f in _walk(fields):
        if (path == f.path or path.startswith(f.path + ".")) and (best is None or len(f.path) > len(best.path)):
            best = f
    return best


def _attach_item_error(owner: Field, path: str, message: str) -> None:
    rest = path[len(owner.path):].lstrip(".")
    if rest.isdigit() and int(rest) < len(owner.item_errors):
        owner.item_errors[int(rest)] = message
    elif not owner.error:
        owner.error = message


def _properties(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    props = schema.get("properties") or {}
    order = [name for name in ui.get("order", []) if name in props]
    order += [name for name in props if name not in order]
    return [(name, props[name]) for name in order if isinstance(props[name], dict)]


def _build_object(schema: Mapping[str, Any], ui: Mapping[str, Any], values: Mapping[str, Any], *,
                  prefix_path: str, prefix_name: str, by_path: dict[str, str]) -> list[Field]:
    required = set(schema.get("required") or [])
    ui_fields = ui.get("fields") or {}
    out = []
    for name, node in _properties(schema, ui):
        field_ui = ui_fields.get(name) or {}
        if field_ui.get("widget") == "hidden" or node.get("readOnly"):
            continue
        path = f"{prefix_path}.{name}" if prefix_path else name
        html_name = f"{prefix_name}-{name}" if prefix_name else name
        out.append(_build_field(node, field_ui, values.get(name) if isinstance(values, Mapping) else None,
                                path=path, name=html_name, required=name in required, by_path=by_path))
    return out


def kind_of(node: Mapping[str, Any], field_ui: Mapping[str, Any]) -> str:
    """Which GOV.UK component a schema node becomes."""
    widget = field_ui.get("widget")
    types = node.get("type")
    items = node.get("items") if isinstance(node.get("items"), dict) else {}
    if widget == "file" or node.get("format") == CSV_FORMAT:
        return "file"
    if types == "boolean":
        return "boolean"
    if types == "array":
        if _choices(items):
            return "checkboxes"
        if items.get("type") == "object":
            return "repeat"
        return "textarea"  # a list of plain values: one a line
    if types == "object":
        return "group"
    if widget in ("radios", "select", "checkboxes", "textarea", "date"):
        return widget
    if _choices(node):
        return "radios" if len(_choices(node)) <= RADIO_LIMIT else "select"
    if node.get("format") == "date":
        return "date"
    if types in ("integer", "number"):
        return str(types)
    if node.get("format") == "email":
        return "email"
    if (node.get("maxLength") or 0) > 500:
        return "textarea"
    return "text"


def _choices(node: Mapping[str, Any]) -> list[tuple[Any, str | None]]:
    if isinstance(node.get("enum"), list):
        return [(v, None) for v in node["enum"] if v is not None]
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return [(o["const"], o.get("title")) for o in options]
    return []


def _label_for(value: Any, title: str | None, labels: Mapping[str, Any]) -> str:
    from . import humanise

    if str(value) in labels:
        return str(labels[str(value)])
    return title or humanise(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _build_field(node: Mapping[str, Any], field_ui: Mapping[str, Any], value: Any, *, path: str, name: str,
                 required: bool, by_path: dict[str, str]) -> Field:
    from . import humanise

    kind = kind_of(node, field_ui)
    label = field_ui.get("label") or node.get("title") or humanise(path.rsplit(".", 1)[-1])
    hint = field_ui.get("hint") or node.get("description")
    f = Field(path=path, name=name, label=label, kind=kind, hint=hint, required=required,
              error=by_path.get(path))
    labels = field_ui.get("labels") or {}
    if kind == "boolean":
        f.options = [Option("yes", labels.get("yes", "Yes")), Option("no", labels.get("no", "No"))]
        f.value = _text(value) if isinstance(value, bool) else ("" if value is None else str(value))
    elif kind in ("radios", "select"):
        f.options = [Option(_text(v), _label_for(v, t, labels)) for v, t in _choices(node)]
        f.value = _text(value)
    elif kind == "checkboxes":
        items = node.get("items") or {}
        f.options = [Option(_text(v), _label_for(v, t, labels)) for v, t in _choices(items)]
        f.value = [_text(v) for v in value] if isinstance(value, list) else []
    elif kind == "date":
        f.value = _date_parts(value)
        # GOV.UK's example date is a birth date; case dates are mostly this year's, so show today's
        today = date.today()
        f.hint = f.hint or f"For example, {today.day} {today.month} {today.year}"
    elif kind == "group":
        f.children = _build_object(node, field_ui, value if isinstance(value, dict) else {},
                                   prefix_path=path, prefix_name=name, by_path=by_path)
    elif kind == "repeat":
        items_schema = node.get("items") or {}
        f.item_label = field_ui.get("itemLabel") or items_schema.get("title") or "item"
        rows = value if isinstance(value, list) else []
        if not rows and node.get("minItems", 0) > 0:
            rows = [{}]
        for i, row in enumerate(rows):
            f.items.append(_build_object(items_schema, field_ui, row if isinstance(row, dict) else {},
                                         prefix_path=f"{path}.{i}", prefix_name=f"{name}-{i}", by_path=by_path))
        f.item_errors = [by_path.get(f"{path}.{i}") for i in range(len(rows))]
    elif kind == "file":
        items_schema = node.get("items") or {}
        f.columns = list((items_schema.get("properties") or {}).keys())
        f.value = value if isinstance(value, list) else []
        if not f.columns and f.value and isinstance(f.value[0], dict):
            f.columns = list(f.value[0].keys())
    elif kind == "textarea" and node.get("type") == "array":
        f.value = "\n".join(_text(v) for v in value) if isinstance(value, list) else _text(value)
    else:
        f.value = _text(value)
    return f


def _date_parts(value: Any) -> dict[str, str]:
    if not isinstance(value, str) or not value:
        return {"day": "", "month": "", "year": ""}
    parts = value[:10].split("-")
    if len(parts) != 3:
        return {"day": "", "month": "", "year": value}
    year, month, day = parts
    # Shown as people type them: 3, not 03.
    return {"day": str(int(day)) if day.isdigit() else day,
            "month": str(int(month)) if month.isdigit() else month, "year": year}


# ---- post -> data ---------------------------------------------------------------------------
class FormAction:
    """What the submit button asked for: complete, save, add:<name> or remove:<name>:<index>."""

    def __init__(self, raw: str | None) -> None:
        self.raw = raw or "complete"
        parts = self.raw.split(":")
        self.verb = parts[0]
        self.target = parts[1] if len(parts) > 1 else None
        self.index = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None


def parse(schema: Mapping[str, Any], ui: Mapping[str, Any] | None, form: Any, files: Any = None,
          action: FormAction | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The JSON data a browser post stands for, and any errors in reading an uploaded file.

    Values that do not parse (``abc`` for a number, 31 February) are kept as text, so the schema
    check reports them in its own words and the page shows what the person typed.
    """
    problems: list[dict[str, str]] = []
    data = _parse_object(schema, ui or {}, form, files, prefix_path="", prefix_name="", problems=problems,
                         action=action)
    return data, problems


def _parse_object(schema: Mapping[str, Any], ui: Mapping[str, Any], form: Any, files: Any, *,
                  prefix_path: str, prefix_name: str, problems: list[dict[str, str]],
                  action: FormAction | None) -> dict[str, Any]:
    ui_fields = ui.get("fields") or {}
    out: dict[str, Any] = {}
    for name, node in _properties(schema, ui):
        field_ui = ui_fields.get(name) or {}
        if field_ui.get("widget") == "hidden" or node.get("readOnly"):
            continue
        path = f"{prefix_path}.{name}" if prefix_path else name
        html_name = f"{prefix_name}-{name}" if prefix_name else name
        value = _parse_field(node, field_ui, form, files, path=path, name=html_name, problems=problems,
                             action=action)
        if value is not _MISSING:
            out[name] = value
    return out


_MISSING = object()


def _parse_field(node: Mapping[str, Any], field_ui: Mapping[str, Any], form: Any, files: Any, *, path: str,
                 name: str, problems: list[dict[str, str]], action: FormAction | None) -> Any:
    kind = kind_of(node, field_ui)
    raw = (form.get(name) or "").strip() if kind not in ("checkboxes", "group", "repeat", "date") else ""
    if kind == "boolean":
        return {"yes": True, "no": False}.get(raw, raw or _MISSING)
    if kind in ("radios", "select"):
        if not raw:
            return _MISSING
        for value, _title in _choices(node):
            if _text(value) == raw:
                return value
        return raw
    if kind == "checkboxes":
        chosen = [v for v in form.getlist(name) if v]
        options = {_text(v): v for v, _t in _choices(node.get("items") or {})}
        return [options.get(v, v) for v in chosen] if chosen else _MISSING
    if kind == "date":
        return _parse_date(form, name)
    if kind in ("integer", "number"):
        return _parse_number(raw, integer=kind == "integer") if raw else _MISSING
    if kind == "group":
        value = _parse_object(node, field_ui, form, files, prefix_path=path, prefix_name=name,
                              problems=problems, action=action)
        return value if any(v not in (None, "", [], {}) for v in value.values()) else _MISSING
    if kind == "repeat":
        return _parse_repeat(node, field_ui, form, files, path=path, name=name, problems=problems,
                             action=action)
    if kind == "file":
        return _parse_file(node, form, files, path=path, name=name, problems=problems)
    if kind == "textarea" and node.get("type") == "array":
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        return lines if lines else _MISSING
    return raw if raw else _MISSING


def _parse_number(raw: str, *, integer: bool) -> Any:
    text = raw.replace(",", "").replace(" ", "").lstrip("£")
    try:
        return int(text)
    except ValueError:
        pass
    if integer:
        return raw
    try:
        return float(text)
    except ValueError:
        return raw


def _parse_date(form: Any, name: str) -> Any:
    day, month, year = ((form.get(f"{name}-{part}") or "").strip() for part in ("day", "month", "year"))
    if not (day or month or year):
        return _MISSING
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    # Not a whole date: kept as typed, so the schema's date check names the problem.
    return f"{year}-{month}-{day}"


def _parse_repeat(node: Mapping[str, Any], field_ui: Mapping[str, Any], form: Any, files: Any, *, path: str,
                  name: str, problems: list[dict[str, str]], action: FormAction | None) -> Any:
    try:
        count = min(int(form.get(f"{name}-count") or 0), 500)
    except ValueError:
        count = 0
    items_schema = node.get("items") or {}
    rows = []
    for i in range(count):
        if action is not None and action.verb == "remove" and action.target == name and action.index == i:
            continue
        row = _parse_object(items_schema, field_ui, form, files, prefix_path=f"{path}.{len(rows)}",
                            prefix_name=f"{name}-{i}", problems=problems, action=action)
        adding = action is not None and action.verb == "add"
        # An empty item is dropped when the form is sent, but kept while people are still adding.
        if any(v not in (None, "", [], {}) for v in row.values()) or adding:
            rows.append(row)
    if action is not None and action.verb == "add" and action.target == name:
        rows.append({})
    return rows if rows else _MISSING


def _parse_file(node: Mapping[str, Any], form: Any, files: Any, *, path: str, name: str,
                problems: list[dict[str, str]]) -> Any:
    upload = files.get(name) if files is not None else None
    if upload is not None and getattr(upload, "filename", ""):
        try:
            return read_csv(upload.read(), node.get("items") or {})
        except CsvProblem as exc:
            problems.append({"field": path, "message": str(exc)})
            return _MISSING
    kept = form.get(f"{name}-rows")
    if kept:
        try:
            rows = json.loads(kept)
        except ValueError:
            return _MISSING
        return rows if isinstance(rows, list) else _MISSING
    return _MISSING


class CsvProblem(ValueError):
    """An uploaded file that is not a CSV careflow can read."""


def read_csv(content: bytes, item_schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of a CSV with a header line; columns are matched to the item schema's properties by
    name or title (case and spacing ignored) and typed by it. Unknown columns are kept as text."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise CsvProblem("The selected file must be a CSV file saved as UTF-8") from None
    if "\x00" in text:
        raise CsvProblem("The selected file must be a CSV file")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvProblem("The selected file is empty") from None
    except csv.Error:
        raise CsvProblem("The selected file must be a CSV file") from None
    props = item_schema.get("properties") or {}
    lookup: dict[str, str] = {}
    for key, sub in props.items():
        lookup[_squash(key)] = key
        if isinstance(sub, dict) and sub.get("title"):
            lookup[_squash(sub["title"])] = key
    columns = [lookup.get(_squash(h), h.strip()) for h in header]
    if not any(c for c in columns):
        raise CsvProblem("The selected file must have a header row naming its columns")
    rows = []
    try:
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            row: dict[str, Any] = {}
            for column, cell in zip(columns, line):
                cell = cell.strip()
                if column and cell:
                    row[column] = _typed(cell, props.get(column) or {})
            rows.append(row)
    except csv.Error as exc:
        raise CsvProblem(f"The selected file could not be read as CSV on line {reader.line_num}") from exc
    return rows


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _typed(cell: str, node: Mapping[str, Any]) -> Any:
    kind = node.get("type")
    if kind == "boolean":
        return {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(cell.lower(), cell)
    if kind in ("integer", "number"):
        return _parse_number(cell, integer=kind == "integer")
    if node.get("format") == "date" and len(cell) == 10 and cell[2] == "/" and cell[5] == "/":
        day, month, year = cell.split("/")  # 03/11/1941: how a spreadsheet in the UK writes a date
        return f"{year}-{month}-{day}"
    return cell
