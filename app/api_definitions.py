"""Process owners' API: validate and deploy BPMN and DMN, read a version's diagram."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from workflows.deployment import deploy_definitions, validate_definitions
from workflows.errors import NotFound
from workflows.models import DefinitionFile, ProcessVersion

from . import services
from .api import authenticated, body, user

bp = Blueprint("api_definitions", __name__, url_prefix="/api/v1")


@bp.post("/definitions/validate")
@authenticated("definitions.validate")
def validate():  # type: ignore[no-untyped-def]
    data = body()
    svc = services()
    return jsonify(validate_definitions(svc.db, svc.library, data.get("bpmn"), data.get("dmn")))


@bp.post("/definitions/deploy")
@authenticated("definitions.deploy")
def deploy():  # type: ignore[no-untyped-def]
    data = body()
    svc = services()
    result = deploy_definitions(svc.db, svc.library, data.get("bpmn"), data.get("dmn"), actor=user().username,
                                role=user().role)
    return jsonify(result), 201


@bp.get("/processes/<process_id>/versions/<int:version>/diagram")
@authenticated("diagram.read")
def diagram(process_id: str, version: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        found = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                             ProcessVersion.version == version)).first()
        if found is None:
            raise NotFound(f"No version {version} of process '{process_id}'")
        stored = session.get(DefinitionFile, found.bpmn_hash)
        if stored is None:
            raise NotFound("The diagram of this version is missing")
        return Response(stored.content, mimetype="application/xml")
