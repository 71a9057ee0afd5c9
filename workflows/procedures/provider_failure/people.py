"""The provider's list of affected people (PF-03): one JSON Schema per row, CSV or JSON in.

Every row is checked and every problem reported with its line and field, so the sender can fix the
whole list at once. Nothing is accepted partially unless the caller asks for it.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from jsonschema import Draft202012Validator

from workflows.data import normalise
from workflows.errors import ValidationFailed
from workflows.forms import field_error

MAX_PEOPLE = 50_000
FUNDING = ["SELF_FUNDED", "LCC_ARRANGED", "LCC_DIRECT_PAYMENT", "OTHER_ENGLISH_LA_ARRANGED", "OTHER_ENGLISH_LA_DP",
           "WALES_LA", "SCOTLAND_LA", "NI_HSC_TRUST", "NHS_CHC", "S117_AFTERCARE", "UNKNOWN"]
SERVICE = ["CARE_HOME_RESIDENTIAL", "CARE_HOME_NURSING", "HOMECARE", "SUPPORTED_LIVING", "OTHER"]


def _flag(title: str) -> dict[str, Any]:
    return {"type": "boolean", "title": title, "errorMessage": f"{title} must be yes or no"}


def _text(title: str, max_length: int = 200) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": max_length}


# B.11 AffectedPerson, with what PF-03 asks the provider for (needs, priority, GP, nursing, next of kin).
PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["personRef", "personName", "role", "fundingCategory", "serviceType"],
    "additionalProperties": False,
    "properties": {
        "personRef": {"type": "string", "title": "Person reference", "minLength": 1, "maxLength": 60,
                      "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                      "errorMessage": {"required": "Enter the person reference",
                                       "minLength": "Enter the person reference",
                                       "pattern": "Person reference can only contain letters, numbers, "
                                                  "dots, dashes, slashes and underscores"}},
        "personName": {**_text("Person's name"), "minLength": 1,
                       "errorMessage": {"required": "Enter the person's name", "minLength": "Enter the person's name"}},
        "role": {"type": "string", "title": "Role", "enum": ["ADULT", "CARER"],
                 "errorMessage": "Role must be ADULT or CARER"},
        "dateOfBirth": {"type": "string", "format": "date", "title": "Date of birth",
                        "errorMessage": {"format": "Date of birth must be a real date, like 1941-05-17"}},
        "fundingCategory": {"type": "string", "title": "Funding", "enum": FUNDING,
                            "errorMessage": "Funding must be one of " + ", ".join(FUNDING)},
        "serviceType": {"type": "string", "title": "Service type", "enum": SERVICE,
                        "errorMessage": "Service type must be one of " + ", ".join(SERVICE)},
        "placingAuthorityName": _text("Placing authority"),
        "needsSummary": _text("Needs", 2000),
        "providerPriority": {"type": "string", "title": "Provider's priority", "enum": ["HIGH", "MEDIUM", "LOW"],
                             "errorMessage": "Provider's priority must be HIGH, MEDIUM or LOW"},
        "gpPractice": _text("GP practice"),
        "nextOfKin": _text("Next of kin or representative"),
        "receivesCommunityNursing": _flag("Receives community nursing"),
        "nursingHomeOrFNC": _flag("Nursing home or FNC"),
        "hasCarerOrRepresentative": _flag("Has a carer or representative"),
        "capacityConcern": _flag("Capacity concern"),
        "lacksCapacity": _flag("Lacks capacity"),
        "complexNeeds": _flag("Complex needs"),
        "s117": _flag("s.117 aftercare"),
        "riskToLife": _flag("Risk to life"),
        "immediateSignificantHealthRisk": _flag("Immediate significant health risk"),
        "safeguardingRisk": _flag("Safeguarding risk"),
        "significantWellbeingImpact": _flag("Significant wellbeing impact"),
        "personArrangesOwn": _flag("Person arranges own care"),
        "placingAuthorityCanArrangeBeforeCessation": _flag("Placing authority can arrange before cessation"),
        "providerArrangementSatisfactory": _flag("Provider arrangement satisfactory"),
    },
}
BOOLEAN_FIELDS = frozenset(k for k, v in PERSON_SCHEMA["properties"].items() if v.get("type") == "boolean")
COLUMNS = list(PERSON_SCHEMA["properties"])
_VALIDATOR = Draft202012Validator(PERSON_SCHEMA)
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def parse_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV with a header line, numbered as a spreadsheet shows them (header = line 1).

    Empty cells are left out; yes/no cells become booleans so the schema can judge them.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ValidationFailed("The CSV file is empty", [{"line": 1, "field": "", "message": "Add a header line"}])
    unknown = [c for c in reader.fieldnames if c and c.strip() not in PERSON_SCHEMA["properties"]]
    if unknown:
        raise ValidationFailed("The CSV header has unknown columns", [
            {"line": 1, "field": c, "message": f"Unknown column '{c}'; use: {', '.join(COLUMNS)}"} for c in unknown])
    rows = []
    for row in reader:
        record: dict[str, Any] = {}
        for key, value in row.items():
            if key is None:  # more cells than headers
                record["__extra__"] = value
                continue
            cell = (value or "").strip()
            if not cell:
                continue
            name = key.strip()
            if name in BOOLEAN_FIELDS and cell.lower() in _TRUE | _FALSE:
                record[name] = cell.lower() in _TRUE
            else:
                record[name] = cell
        rows.append((reader.line_num, record))
    return rows


def numbered(people: Any) -> list[tuple[int, Any]]:
    """JSON people, numbered from 1 (their position in the list)."""
    if not isinstance(people, list):
        raise ValidationFailed("'people' must be a list", [{"line": 0, "field": "people", "message": "Must be a list"}])
    return list(enumerate(people, start=1))


def validate_people(rows: list[tuple[int, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split rows into valid people and problems (``line``, ``personRef``, ``field``, ``message``)."""
    if not rows:
        raise ValidationFailed("The list has no people",
                               [{"line": 0, "field": "people", "message": "Add at least one person"}])
    if len(rows) > MAX_PEOPLE:
        raise ValidationFailed(f"At most {MAX_PEOPLE} people per upload",
                               [{"line": 0, "field": "people",
                                 "message": f"Split the list into parts of {MAX_PEOPLE}"}])
    valid: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, record in rows:
        if not isinstance(record, dict):
            problems.append({"line": line, "field": "", "message": "Each person must be an object"})
            continue
        ref = record.get("personRef") if isinstance(record.get("personRef"), str) else None
        found = []
        if "__extra__" in record:
            found.append({"field": "", "message": "This line has more cells than the header"})
            record = {k: v for k, v in record.items() if k != "__extra__"}
        found += [field_error(err, PERSON_SCHEMA) for err in _VALIDATOR.iter_errors(record)]
        if ref and ref in seen:
            found.append({"field": "personRef", "message": f"Person reference {ref} is also on line {seen[ref]}"})
        if found:
            problems += [{"line": line, "personRef": ref, **f} for f in sorted(found, key=lambda f: f["field"])]
            continue
        if ref:
            seen[ref] = line
        valid.append(normalise(record))
    return valid, problems
