"""Data objects, data in a sub-process that ends in an error, and the elements refused with a reason."""
from __future__ import annotations

from sqlalchemy import select

from workflows.models import DataStoreEntry


def test_a_data_objects_value_is_in_the_instance_data(drive):
    drive.deploy("data_object.bpmn")
    case = drive.start("data_object")
    assert [t["name"] for t in case["openTasks"]] == ["look"]
    assert case["data"]["log_object"] == ["placed with Acacia House"]


def test_data_set_in_a_sub_process_before_its_error_is_kept(drive):
    drive.deploy("subprocess_error.bpmn")
    case = drive.start("subprocess_error")
    assert [t["name"] for t in case["openTasks"]] == ["escalate"]
    assert case["data"]["searched"] == ["Acacia House", "Birch Lodge"]
    assert drive.complete(case)["status"] == "completed"


def test_compensation_runs_the_handlers_of_what_was_done_newest_first(drive):
    drive.deploy("compensation.bpmn")
    both = drive.start("compensation", needsTransport=True)
    done = drive.complete(both, {"declined": True})
    assert done["status"] == "completed"
    assert (done["data"]["bed"], done["data"]["transport"], done["data"]["undone"]) == \
        ("cancelled", "cancelled", ["transport", "bed"])
    bed_only = drive.complete(drive.start("compensation", needsTransport=False), {"declined": True})
    assert (bed_only["data"]["undone"], "transport" in bed_only["data"]) == (["bed"], False)
    kept = drive.complete(drive.start("compensation", needsTransport=True), {"declined": False})
    assert (kept["status"], kept["data"]["bed"], kept["data"]["undone"]) == ("completed", "booked", [])


def test_a_compensation_handler_without_its_boundary_event_is_refused(drive):
    text = drive.files("compensation.bpmn")["compensation.bpmn"]
    broken = text.replace('<bpmn:association id="a1" associationDirection="One" sourceRef="undo_bed" '
                          'targetRef="cancel_bed"/>', "")
    answer = drive.validate(**{"compensation.bpmn": broken})
    assert answer.status_code == 422 and answer.json["element"] == "undo_bed" and answer.json["line"]


def test_a_data_store_is_a_key_value_store_shared_by_the_cases_of_its_process(drive):
    drive.deploy("data_store.bpmn")
    first = drive.start("data_store", provider="Acacia House")
    second = drive.start("data_store", provider="Birch Lodge")
    assert (first["status"], second["status"]) == ("completed", "completed")
    assert (first["data"]["seen"], second["data"]["seen"]) == (1, 2)
    with drive.runtime.db.reading() as session:
        entries = {(e.process_id, e.store_id, e.key): e.value for e in session.scalars(select(DataStoreEntry))}
    assert entries == {("data_store", "register", "referrals"): 2,
                       ("data_store", "register", "Acacia House"): "referred",
                       ("data_store", "register", "Birch Lodge"): "referred"}


def test_a_task_that_leaves_no_dict_for_its_data_store_is_an_incident_on_the_element(drive):
    text = drive.files("data_store.bpmn")["data_store.bpmn"].replace('seen = register["referrals"]', 'register = 3')
    drive.deploy(**{"data_store.bpmn": text})
    case = drive.start("data_store", provider="Acacia House")
    assert case["status"] == "incident" and case["incidents"][0]["elementId"] == "read"


def test_a_data_association_to_a_process_output_is_refused_naming_it(drive):
    text = drive.files("data_store.bpmn")["data_store.bpmn"].replace(
        "<bpmn:targetRef>register_ref</bpmn:targetRef>", "<bpmn:targetRef>nowhere</bpmn:targetRef>")
    answer = drive.validate(**{"data_store.bpmn": text})
    assert answer.status_code == 422 and "nowhere" in answer.json["message"] and answer.json["line"]


def test_an_ad_hoc_sub_process_is_refused_at_validate_with_the_reason(drive):
    answer = drive.validate("ad_hoc.bpmn")
    assert answer.status_code == 422 and answer.json["element"] == "checks" and answer.json["line"]
    assert "inbox" in answer.json["message"]
    assert drive.owner.post("/definitions/deploy", json={"bpmn": drive.files("ad_hoc.bpmn")}).status_code == 422


def test_a_conditional_event_is_refused_at_validate_with_the_reason(drive):
    answer = drive.validate("conditional_catch.bpmn")
    assert answer.status_code == 422 and answer.json["element"] == "when_agreed" and answer.json["line"]
    assert "Conditional events" in answer.json["message"]


def test_a_compensation_throw_naming_one_activity_undoes_only_that_one(drive):
    text = drive.files("compensation.bpmn")["compensation.bpmn"].replace(
        '<bpmn:compensateEventDefinition id="c3"/>', '<bpmn:compensateEventDefinition id="c3" activityRef="book_bed"/>')
    drive.deploy(**{"compensation.bpmn": text})
    done = drive.complete(drive.start("compensation", needsTransport=True), {"declined": True})
    assert (done["data"]["bed"], done["data"]["transport"], done["data"]["undone"]) == ("cancelled", "booked", ["bed"])
    wrong = text.replace('activityRef="book_bed"', 'activityRef="book_taxi"')
    answer = drive.validate(**{"compensation.bpmn": wrong})
    assert answer.status_code == 422 and answer.json["element"] == "undo_all" and "book_taxi" in answer.json["message"]


def test_compensation_inside_a_sub_process_undoes_the_sub_process_work(drive):
    drive.deploy("compensation_in_subprocess.bpmn")
    case = drive.start("compensation_in_subprocess")
    assert [t["name"] for t in case["openTasks"]] == ["look"]
    assert (case["data"]["booked"], case["data"]["compensationLog"]) == (False, ["book"])
