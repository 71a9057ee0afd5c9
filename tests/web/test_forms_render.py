"""The JSON Schema -> GOV.UK field renderer and the post -> data parser, without a browser."""
from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.web import forms_render

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["personName"],
    "properties": {
        "personName": {"type": "string", "title": "Full name"},
        "dateOfBirth": {"type": "string", "format": "date", "title": "Date of birth"},
        "hours": {"type": "integer", "title": "Hours"},
        "budget": {"type": "number", "title": "Weekly budget"},
        "livesAlone": {"type": "boolean", "title": "Lives alone"},
        "source": {"type": "string", "enum": ["GP", "SELF", "FAMILY_OR_CARER"], "title": "Source"},
        "area": {"type": "string", "enum": list("ABCDEFGH"), "title": "Area"},
        "needs": {"type": "array", "items": {"type": "string", "enum": ["MOBILITY", "NUTRITION"]}},
        "contacts": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string", "title": "Name"}, "phone": {"type": "string"}}}},
        "residents": {"type": "array", "format": "csv-upload", "items": {"type": "object", "properties": {
            "personName": {"type": "string", "title": "Name"}, "room": {"type": "integer"},
            "dateOfBirth": {"type": "string", "format": "date"}, "funded": {"type": "boolean"}}}},
        "notes": {"type": "string", "maxLength": 5000},
        "address": {"type": "object", "title": "Address", "properties": {
            "line1": {"type": "string", "title": "Address line 1"}, "postcode": {"type": "string"}}},
    },
}
UI = {"order": ["source", "personName"], "fields": {"personName": {"hint": "As they write it"},
                                                   "source": {"labels": {"GP": "Their GP"}}}}


def _kinds(view: forms_render.FormView) -> dict[str, str]:
    return {f.path: f.kind for f in view.fields}


def test_each_schema_type_becomes_its_govuk_component() -> None:
    view = forms_render.build(SCHEMA, UI, {})
    assert _kinds(view) == {
        "source": "radios", "personName": "text", "dateOfBirth": "date", "hours": "integer", "budget": "number",
        "livesAlone": "boolean", "area": "select", "needs": "checkboxes", "contacts": "repeat",
        "residents": "file", "notes": "textarea", "address": "group"}
    # ui order first, then the schema's; hints and option labels from the ui file
    assert [f.path for f in view.fields][:2] == ["source", "personName"]
    assert view.fields[1].hint == "As they write it" and view.fields[1].required
    assert [(o.value, o.text) for o in view.fields[0].options] == [
        ("GP", "Their GP"), ("SELF", "Self"), ("FAMILY_OR_CARER", "Family or carer")]
    booleans = next(f for f in view.fields if f.kind == "boolean")
    assert [o.text for o in booleans.options] == ["Yes", "No"]


def test_values_fill_the_fields() -> None:
    view = forms_render.build(SCHEMA, {}, {"dateOfBirth": "1941-11-03", "livesAlone": False, "hours": 12,
                                           "needs": ["MOBILITY"], "contacts": [{"name": "Ann"}, {"name": "Bo"}],
                                           "address": {"postcode": "ZZ1 1ZZ"}})
    by = {f.path: f for f in view.fields}
    assert by["dateOfBirth"].value == {"day": "3", "month": "11", "year": "1941"}
    assert by["livesAlone"].value == "no" and by["hours"].value == "12" and by["needs"].value == ["MOBILITY"]
    assert [[c.name for c in item] for item in by["contacts"].items] == [
        ["contacts-0-name", "contacts-0-phone"], ["contacts-1-name", "contacts-1-phone"]]
    assert by["contacts"].items[1][0].value == "Bo"
    assert by["address"].children[1].name == "address-postcode" and by["address"].children[1].value == "ZZ1 1ZZ"


def test_errors_go_next_to_their_field_and_into_the_summary() -> None:
    errors = [{"field": "personName", "message": "Enter the full name"},
              {"field": "dateOfBirth", "message": "Date of birth must be a real date"},
              {"field": "contacts.1.name", "message": "Enter the contact's name"},
              {"field": "contacts.0", "message": "Contact 1 is not complete"},
              {"field": "", "message": "Something about the whole form"}]
    view = forms_render.build(SCHEMA, {}, {"contacts": [{}, {}]}, errors)
    by = {f.path: f for f in view.fields}
    assert by["personName"].error == "Enter the full name"
    assert by["contacts"].items[1][0].error == "Enter the contact's name"
    assert by["contacts"].item_errors[0] == "Contact 1 is not complete"
    hrefs = {e["text"]: e["href"] for e in view.errors}
    assert hrefs["Date of birth must be a real date"] == "#dateOfBirth-day"
    assert hrefs["Enter the contact's name"] == "#contacts-1-name"
    assert hrefs["Something about the whole form"] == "#task-form"


def test_a_post_becomes_typed_json() -> None:
    form = MultiDict([("personName", " Ann Example "), ("dateOfBirth-day", "3"), ("dateOfBirth-month", "11"),
                      ("dateOfBirth-year", "1941"), ("hours", "1,200"), ("budget", "£250.50"),
                      ("livesAlone", "no"), ("source", "GP"), ("needs", "MOBILITY"), ("needs", "NUTRITION"),
                      ("contacts-count", "2"), ("contacts-0-name", "Bo"), ("contacts-1-name", ""),
                      ("address-postcode", "ZZ1 1ZZ"), ("notes", "")])
    data, problems = forms_render.parse(SCHEMA, {}, form)
    assert problems == []
    assert data == {"personName": "Ann Example", "dateOfBirth": "1941-11-03", "hours": 1200, "budget": 250.5,
                    "livesAlone": False, "source": "GP", "needs": ["MOBILITY", "NUTRITION"],
                    "contacts": [{"name": "Bo"}], "address": {"postcode": "ZZ1 1ZZ"}}


def test_what_does_not_parse_is_kept_as_typed_for_the_schema_to_name() -> None:
    form = MultiDict([("hours", "lots"), ("dateOfBirth-day", "31"), ("dateOfBirth-month", "2"),
                      ("dateOfBirth-year", "90")])
    data, _ = forms_render.parse(SCHEMA, {}, form)
    assert data == {"hours": "lots", "dateOfBirth": "90-2-31"}


def test_add_and_remove_in_a_repeating_group() -> None:
    form = MultiDict([("contacts-count", "2"), ("contacts-0-name", "Ann"), ("contacts-1-name", "Bo")])
    data, _ = forms_render.parse(SCHEMA, {}, form, action=forms_render.FormAction("add:contacts"))
    assert data["contacts"] == [{"name": "Ann"}, {"name": "Bo"}, {}]
    data, _ = forms_render.parse(SCHEMA, {}, form, action=forms_render.FormAction("remove:contacts:0"))
    assert data["contacts"] == [{"name": "Bo"}]


def _upload(text: str | bytes, name: str = "residents.csv") -> MultiDict:
    import io

    raw = text.encode("utf-8") if isinstance(text, str) else text
    return MultiDict([("residents", FileStorage(io.BytesIO(raw), filename=name))])


def test_a_resident_csv_becomes_rows_typed_by_the_schema() -> None:
    csv = ("\ufeffName,Room,Date of birth,Funded,Key worker\n"
           "Alex Example,12,03/11/1941,yes,Sam\n,,,,\nBo Sample,x,,no,\n")
    data, problems = forms_render.parse(SCHEMA, {}, MultiDict(), _upload(csv))
    assert problems == []
    assert data["residents"] == [
        {"personName": "Alex Example", "room": 12, "dateOfBirth": "1941-11-03", "funded": True, "Key worker": "Sam"},
        {"personName": "Bo Sample", "room": "x", "funded": False}]


def test_rows_from_an_earlier_upload_are_kept() -> None:
    form = MultiDict([("residents-rows", '[{"personName": "Alex"}]')])
    data, _ = forms_render.parse(SCHEMA, {}, form)
    assert data["residents"] == [{"personName": "Alex"}]


@pytest.mark.parametrize("content, message", [
    (b"", "The selected file is empty"),
    (b"\x00\x01\x02binary", "The selected file must be a CSV file"),
])
def test_a_file_that_is_not_csv_is_an_error_on_the_field(content: bytes, message: str) -> None:
    data, problems = forms_render.parse(SCHEMA, {}, MultiDict(), _upload(content))
    assert "residents" not in data
    assert problems == [{"field": "residents", "message": message}]


def test_every_form_in_bpmn_forms_renders(web_app: Any) -> None:
    """Each real form (the provider-failure ones too) becomes a page without errors."""
    from pathlib import Path

    from flask import render_template_string

    services = web_app.extensions["careflow"]
    keys = services.forms.check_all()
    assert keys
    template = '{% from "tasks/_fields.html" import render_fields %}{{ render_fields(fields) }}'
    for key in keys:
        view = forms_render.build(services.forms.schema(key), services.forms.ui(key), {})
        with web_app.test_request_context("/"):
            html = render_template_string(template, fields=view.fields)
        assert html.strip() or not view.fields, key
        data, problems = forms_render.parse(services.forms.schema(key), services.forms.ui(key), MultiDict())
        assert problems == [] and data == {}, key
    assert Path(services.forms.forms_dir).is_dir()
