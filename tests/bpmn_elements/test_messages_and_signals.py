"""Messages and signals between instances: send tasks, message throws and ends, signal throws."""
from __future__ import annotations


def test_a_send_task_reaches_the_waiting_case_and_an_end_message_starts_a_process(drive):
    drive.deploy("msg_receiver.bpmn", "msg_sender.bpmn", "msg_started.bpmn")
    mine = drive.start("msg_receiver", personRef="P-1")
    other = drive.start("msg_receiver", personRef="P-2")
    sender = drive.start("msg_sender", personRef="P-1")
    assert sender["status"] == "completed", sender["incidents"]
    mine, other = drive.instance(mine["id"]), drive.instance(other["id"])
    assert [t["name"] for t in mine["openTasks"]] == ["look"] and mine["data"]["note"] == "moved to a new home"
    assert other["openTasks"] == [] and "note" not in other["data"]
    received = [h for h in mine["history"] if h["action"] == "message_received"]
    assert received and received[0]["data"]["keys"]["from"] == sender["caseReference"]
    (started,) = drive.instances("msg_started")
    assert started["data"]["personRef"] == "P-1" and started["parentCaseReference"] == sender["caseReference"]
    sent = [(h["elementId"], h["data"]) for h in drive.instance(sender["id"])["history"]
            if h["action"] == "message_thrown"]
    assert sent == [("tell", {"name": "case_update", "delivered": 1, "started": []}),
                    ("hand_over", {"name": "handover", "delivered": 0, "started": [started["caseReference"]]})]
    assert [t["name"] for t in started["openTasks"]] == ["take_over"]


def test_a_message_nobody_receives_is_an_incident_on_the_sender_and_a_retry_sends_it_again(drive):
    drive.deploy("msg_receiver.bpmn", "msg_sender.bpmn", "msg_started.bpmn")
    sender = drive.start("msg_sender", personRef="P-9")
    assert sender["status"] == "incident"
    (incident,) = sender["incidents"]
    assert incident["elementId"] == "tell" and "case_update" in incident["message"]
    waiting = drive.start("msg_receiver", personRef="P-9")
    retried = drive.admin.post(f"/incidents/{incident['id']}/retry", json={})
    assert retried.status_code == 200, retried.json
    assert drive.instance(sender["id"])["status"] == "completed"
    assert drive.instance(waiting["id"])["data"]["note"] == "moved to a new home"


def test_an_intermediate_message_throw_may_go_unheard_when_the_diagram_says_so(drive):
    drive.deploy("msg_throw_event.bpmn")
    case = drive.start("msg_throw_event")
    assert case["status"] == "running" and [t["name"] for t in case["openTasks"]] == ["look"]


def test_a_signal_reaches_every_waiting_case_and_starts_the_processes_it_starts(drive):
    drive.deploy("signal_waiter.bpmn", "signal_thrower.bpmn", "signal_started.bpmn")
    waiters = [drive.start("signal_waiter") for _ in range(3)]
    thrower = drive.start("signal_thrower")
    assert thrower["status"] == "completed", thrower["incidents"]
    for waiter in waiters:
        assert [t["name"] for t in drive.instance(waiter["id"])["openTasks"]] == ["look"]
    (started,) = drive.instances("signal_started")
    assert [t["name"] for t in started["openTasks"]] == ["plan"]


def test_other_systems_send_a_signal_through_the_messages_api(drive):
    drive.deploy("signal_waiter.bpmn")
    waiter = drive.start("signal_waiter")
    answer = drive.message("signal:provider_closing")
    assert answer.status_code == 200 and answer.json["correlated"] == [waiter["id"]]
    assert [t["name"] for t in drive.instance(waiter["id"])["openTasks"]] == ["look"]


def test_a_multiple_catch_event_continues_on_whichever_of_its_events_comes(drive):
    drive.deploy("multiple_catch.bpmn")
    by_message = drive.start("multiple_catch", homeRef="H-1")
    by_signal = drive.start("multiple_catch", homeRef="H-2")
    assert drive.message("closure_notice", {"homeRef": "H-1"}).status_code == 200
    assert [t["name"] for t in drive.instance(by_message["id"])["openTasks"]] == ["plan_moves"]
    assert drive.instance(by_signal["id"])["openTasks"] == []
    answer = drive.message("signal:all_homes_closing")
    assert answer.status_code == 200 and answer.json["correlated"] == [by_signal["id"]]
    assert [t["name"] for t in drive.instance(by_signal["id"])["openTasks"]] == ["plan_moves"]


def test_a_signal_nobody_hears_is_fine_unless_the_thrower_says_it_must_be_heard(drive):
    text = drive.files("signal_thrower.bpmn")["signal_thrower.bpmn"]
    drive.deploy(**{"signal_thrower.bpmn": text})
    assert drive.start("signal_thrower")["status"] == "completed"
    must = text.replace('<bpmn:endEvent id="announce" name="Provider closing">',
                        '<bpmn:endEvent id="announce" name="Provider closing"><bpmn:extensionElements>'
                        '<spiffworkflow:properties><spiffworkflow:property name="unmatched" value="incident"/>'
                        '</spiffworkflow:properties></bpmn:extensionElements>')
    drive.deploy(**{"signal_thrower.bpmn": must})
    unheard = drive.start("signal_thrower")
    assert unheard["status"] == "incident" and unheard["incidents"][0]["elementId"] == "announce"
    assert "provider_closing" in unheard["incidents"][0]["message"]


def test_a_send_or_receive_task_without_a_message_is_refused_at_validate(drive):
    sender = drive.files("msg_sender.bpmn")["msg_sender.bpmn"].replace(' messageRef="m_update"', "")
    answer = drive.validate(**{"msg_sender.bpmn": sender})
    assert answer.status_code == 422 and answer.json["element"] == "tell" and "no message" in answer.json["message"]
    receiver = drive.files("receive_task.bpmn")["receive_task.bpmn"].replace(' messageRef="m_reply"', "")
    answer = drive.validate(**{"receive_task.bpmn": receiver})
    assert answer.status_code == 422 and answer.json["element"] == "await_reply"
