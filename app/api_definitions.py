"""Process owners' API: validate and deploy BPMN, DMN, forms and configuration; read a version's diagram
and the deployment log."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

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
    return jsonify(validate_definitions(svc.db, svc.library, data.get("bpmn"), data.get("dmn"), data.get("forms"),
                                        data.get("config")))


@bp.post("/definitions/deploy")
@authenticated("definitions.deploy")
def deploy():  # type: ignore[no-untyped-def]
    data = body()
    svc = services()
    result = deploy_definitions(svc.db, svc.library, data.get("bpmn"), data.get("dmn"), actor=user().username,
                                role=user().role, forms=data.get("forms"), config=data.get("config"))
    return jsonify(result), 201


@bp.get("/processes/<process_id>/deployments")
@authenticated("processes.read")
def deployments(process_id: str):  # type: ignore[no-untyped-def]
    """The process's deployment log: each version made current (deployed or rolled back to), newest first."""
    svc = services()
    with svc.db.reading() as session:
        return jsonify({"processId": process_id, "deployments": svc.library.deployment_log(session, process_id)})


@bp.get("/processes/<process_id>/versions/<int:version>/files")
@authenticated("diagram.read")  # a version's content, like its diagram
def version_files(process_id: str, version: int):  # type: ignore[no-untyped-def]
    """Everything the version pins (diagrams, tables, forms, configuration), as the deploy API takes it."""
    svc = services()
    with svc.db.reading() as session:
        found = _version(session, process_id, version)
        return jsonify({"processId": process_id, "version": found.version, "contentHash": found.content_hash,
                        **svc.library.version_files(session, found)})


@bp.get("/processes/<process_id>/versions/<int:version>/diagram")
@authenticated("diagram.read")
def diagram(process_id: str, version: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        found = _version(session, process_id, version)
        stored = session.get(DefinitionFile, found.bpmn_hash)
        if stored is None:
            raise NotFound("The diagram of this version is missing")
        return Response(stored.content, mimetype="application/xml")


def _version(session: Session, process_id: str, version: int) -> ProcessVersion:
    found = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                         ProcessVersion.version == version)).first()
    if found is None:
        raise NotFound(f"No version {version} of process '{process_id}'")
    return found
