"""Form versions in the modeller: each save of a form's JSON Schema and layout is a version; deploying
one writes it to the forms folder, which is what caseworkers' tasks read."""
from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .deployment import Sent
from .errors import NotFound
from .forms import FormLibrary
from .library import ProcessLibrary, content_hash
from .model_base import audit, refuse_if_overtaken, rejected, require_reason, seen_version
from .model_checks import Problem
from .modeller_tables import ModelVersion
from .models import utcnow


class FormVersions:
    """The form half of :class:`~workflows.modelling.Modeller` (it needs ``db`` and ``forms``)."""

    db: Database
    forms: FormLibrary
    library: ProcessLibrary

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

    def _has_versions(self, key: str) -> bool:
        with self.db.reading() as session:
            return session.scalars(select(ModelVersion.id).where(ModelVersion.kind == "form",
                                                                 ModelVersion.key == key).limit(1)).first() is not None

    @staticmethod
    def _current_form_row(rows: list[ModelVersion]) -> ModelVersion | None:
        deployed = [r for r in rows if r.deployed_at is not None]
        return max(deployed, key=lambda r: (r.deployed_at, r.version)) if deployed else None

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
        if version not in (None, 1):  # a form never saved in the modeller has only its file: version 1
            raise NotFound(f"No version {version} of form '{key}'")
        return {"key": key, "version": 1, "schema": self.forms.schema(key), "ui": self.forms.ui(key)}

    def save_form(self, key: str, schema: Any, ui: Any, comment: Any, actor: str,
                  latest_seen: Any = None) -> dict[str, Any]:
        """Store a new form version (JSON Schema + UI); deploying it is what caseworkers then see. 409 when
        someone saved a version after ``latest_seen``."""
        why = require_reason(comment)
        seen = seen_version(latest_seen)
        # A form starts as a file in the forms folder (a task names it by key); the modeller versions it.
        if not key or not key.replace("_", "").replace("-", "").isalnum() or not (
                self.forms.exists(key) or self._has_versions(key)):
            raise NotFound(f"No form '{key}'")
        problems = check_form(schema, ui)
        if problems:
            raise rejected("The form cannot be saved; nothing was saved", problems)
        content = json.dumps({"schema": schema, "ui": ui or {}}, indent=2, ensure_ascii=False)
        with self.db.transaction() as session:
            rows = list(session.scalars(select(ModelVersion).where(ModelVersion.kind == "form",
                                                                   ModelVersion.key == key)))
            if rows:
                newest = max(rows, key=lambda r: r.version)
                refuse_if_overtaken("form", seen, newest.version, newest.created_by)
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

    def deploy_form(self, key: str, version: int, actor: str, reason: Any) -> dict[str, Any]:
        """Write the version to the forms folder: the next task opened or completed uses it."""
        why = require_reason(reason, "reason")
        with self.db.transaction() as session:
            row = session.scalars(select(ModelVersion).where(ModelVersion.kind == "form", ModelVersion.key == key,
                                                             ModelVersion.version == version)).first()
            if row is None:
                raise NotFound(f"No version {version} of form '{key}'")
            content = json.loads(row.content)
            row.deployed_at, row.deployed_by = utcnow(), actor
            audit(session, actor, "deployed", "form", key, version, why)
            # A process version pins its forms: the processes using this form get a version with it.
            sent = {f"{key}.schema.json": json.dumps(content["schema"], indent=2, ensure_ascii=False)}
            if content.get("ui"):
                sent[f"{key}.ui.json"] = json.dumps(content["ui"], indent=2, ensure_ascii=False)
            bpmn, dmn, forms, config = Sent(None, None, forms=sent).with_current(session, self.library)
            self.library.store(session, bpmn, dmn, actor=actor, deploy=True, forms=forms, config=config,
                               origin="modeller")
            write_form(self.forms, key, content["schema"], content.get("ui") or {})
            return {"key": key, "version": version}


def write_form(forms: FormLibrary, key: str, schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    """Write a form's files (``.ui.json`` only when it has a layout); the library re-reads changed files."""
    forms.forms_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, value in ((forms.schema_path(key), schema), (forms.forms_dir / f"{key}.ui.json", ui)):
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        if path.name.endswith(".ui.json") and not value:
            continue
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
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
