"""Data objects, data in a sub-process that ends in an error, and the elements refused with a reason."""
from __future__ import annotations


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


def test_compensation_is_refused_at_validate_with_the_reason(drive):
    answer = drive.validate("compensation.bpmn")
    assert answer.status_code == 422 and answer.json["element"] == "undo_booking" and answer.json["line"]
    assert "Compensation" in answer.json["message"] and "NotImplementedError" not in answer.json["message"]


def test_a_data_store_is_refused_at_validate_naming_the_element(drive):
    answer = drive.validate("data_store.bpmn")
    assert answer.status_code == 422 and answer.json["element"] == "register_ref" and answer.json["line"]
