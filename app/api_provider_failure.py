"""Provider failure endpoints: the affected people of an incident (PF-03/PF-10) and their counts."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from workflows.errors import CareflowError, ValidationFailed
from workflows.procedures.provider_failure.people import numbered, parse_csv
from workflows.procedures.provider_failure.person_cases import current_incident, person_case_counts
from workflows.procedures.provider_failure.uploads import add_people as add_people_to_incident
from workflows.procedures.provider_failure.uploads import upload_status

from . import services
from .api import authenticated, body, require_case, user

bp = Blueprint("api_provider_failure", __name__, url_prefix="/api/v1")
MAX_CSV_BYTES = 20 * 1024 * 1024


def _csv_text(raw: bytes) -> str:
    if len(raw) > MAX_CSV_BYTES:
        raise ValidationFailed("The CSV file is too large", [{"line": 0, "field": "file",
                                                              "message": "Send at most 20 MB per upload"}])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The CSV file is not UTF-8 text", [{"line": 0, "field": "file",
                                                                   "message": "Save the file as CSV UTF-8"}]) from None


def _rows() -> list:
    kind = (request.mimetype or "").lower()
    if kind == "text/csv":
        return parse_csv(_csv_text(request.get_data()))
    if kind == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("Attach the CSV file as 'file'", [{"line": 0, "field": "file",
                                                                      "message": "Choose a CSV file"}])
        return parse_csv(_csv_text(upload.read(MAX_CSV_BYTES + 1)))
    data = body()
    if "people" not in data:
        raise ValidationFailed("Send the people as a list under 'people', or a CSV file",
                               [{"line": 0, "field": "people", "message": "Add the list of people"}])
    return numbered(data["people"])


@bp.post("/instances/<instance_id>/affected-people")
@authenticated("affected_people.add")
def add_people(instance_id: str):  # type: ignore[no-untyped-def]
    partial = request.args.get("partial", "").lower() in ("1", "true", "yes")
    if request.args.get("partial") not in (None, "", "true", "false", "1", "0", "yes", "no"):
        raise CareflowError("partial must be true or false")
    with services().db.reading() as session:
        require_case(session, instance_id)
    result, finished = add_people_to_incident(services().runtime, instance_id, _rows(), actor=user().username,
                                              partial=partial)
    if not finished:  # a long list: accepted, its cases opened in the background
        return jsonify(result), 202, {"Location": result["progressUrl"]}
    return jsonify(result), 201 if result["created"] else 200


@bp.get("/instances/<instance_id>/affected-people/uploads/<int:upload_id>")
@authenticated("person_cases.read")
def people_upload(instance_id: str, upload_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        require_case(session, instance_id)
        return jsonify(upload_status(session, instance_id, upload_id))


@bp.get("/instances/<instance_id>/person-cases")
@authenticated("person_cases.read")
def person_cases(instance_id: str):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        incident = current_incident(session, instance_id)
        require_case(session, incident.id)
        counts = person_case_counts(session, incident.case_reference)
        return jsonify({"incidentId": incident.id, "caseReference": incident.case_reference,
                        "incidentStatus": (incident.summary or {}).get("incidentStatus"), **counts})
