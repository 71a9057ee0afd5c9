"""Dates are checked (issue 11): impossible dates, a date of birth in the future, a closure date before the
notice was received (refused) or already past (confirmed explicitly); the upload uses the same date checks
as the forms and names the column of a stray cell. One upload with every kind of bad row at once."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from .conftest import PF, day


def closing(pf: PF, ref: str) -> str:
    incident = pf.notify(ref, providerName="Sycamore Homes Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, providerName="Sycamore Homes Ltd")
    pf.open_closure(incident, day(14))
    return incident


def post_csv(pf: PF, incident: str, text: str):  # type: ignore[no-untyped-def]
    return pf.api.client.post(f"/api/v1/instances/{incident}/affected-people", data=text,
                              headers={"Authorization": f"Bearer {pf.api.token}", "Content-Type": "text/csv"})


def test_an_upload_with_every_kind_of_bad_row_reports_each_and_adds_nobody(pf: PF) -> None:
    incident = closing(pf, "PRV-BADLIST")
    future = (date.today() + timedelta(days=30)).isoformat()
    text = ("personRef,personName,role,fundingCategory,serviceType,dateOfBirth,riskToLife\n"
            "G1,Gwen Example,ADULT,SELF_FUNDED,CARE_HOME_RESIDENTIAL,1938-04-02,no\n"      # good
            "B1,Bill Example,ADULT,SELF_FUNDED,CARE_HOME_RESIDENTIAL,1941-02-30,no\n"      # 30 February
            f"B2,Bea Example,ADULT,SELF_FUNDED,CARE_HOME_RESIDENTIAL,{future},no\n"          # born in the future
            "B3,Bo Example,ADULT,SELF_FUNDED,CARE_HOME_RESIDENTIAL,1950-01-01,no,stray\n"   # a stray extra cell
            "B4,,CHILD,PRIVATE,HOTEL,01/02/1950,perhaps\n"                                  # empty, bad codes
            "G1,Gwen Again,ADULT,SELF_FUNDED,CARE_HOME_RESIDENTIAL,,\n"                     # duplicate reference
            "B 6,Bad Ref,ADULT,LCC_ARRANGED,HOMECARE,,\n")                                  # reference pattern
    r = post_csv(pf, incident, text)
    assert r.status_code == 422 and "nothing was added" in r.json["message"]
    got = {(e["line"], e["field"]): e["message"] for e in r.json["errors"]}
    assert "real date" in got[(3, "dateOfBirth")]
    assert "future" in got[(4, "dateOfBirth")]
    assert "Column H" in got[(5, "column H")] and "stray" in got[(5, "column H")]
    assert {(6, f) for f in ("personName", "role", "fundingCategory", "serviceType", "dateOfBirth",
                             "riskToLife")} <= set(got)
    assert "also on line 2" in got[(7, "personRef")]
    assert (8, "personRef") in got
    assert pf.counts(incident)["total"] == 0
    # JSON uploads get the same date checks.
    r = pf.add_people(incident, [{"personRef": "J1", "personName": "Jo Example", "role": "ADULT",
                                  "fundingCategory": "SELF_FUNDED", "serviceType": "HOMECARE",
                                  "dateOfBirth": "2023-02-29"}])
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "dateOfBirth"


def test_closure_date_before_the_notice_is_refused_and_a_past_one_is_confirmed(pf: PF) -> None:
    incident = pf.notify("PRV-DATES", providerName="Sycamore Homes Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, providerName="Sycamore Homes Ltd")
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    notice = next(t["id"] for t in pf.tasks(incident) if t["name"] == "pf_notice")
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": "2026-02-30", "noticeAgreed": True}})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "closureDate"
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": day(-10), "noticeAgreed": False}})
    assert r.status_code == 422
    assert [e["field"] for e in r.json["errors"]] == ["closureDate"]
    assert "before the notice was received" in r.json["errors"][0]["message"]
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": day(0), "noticeAgreed": False}})
    assert r.status_code == 200, r.json
    assert pf.instance(incident).summary["closureDate"] == day(0)  # ceased today: no confirmation needed


def test_a_closure_date_already_past_is_confirmed_explicitly(pf: PF) -> None:
    received = (datetime.now(timezone.utc) - timedelta(days=7)).isoformat()  # EDT took the notice a week ago
    incident = pf.notify("PRV-PAST", providerName="Aspen Homes Ltd", eventType="ADMINISTRATOR_APPOINTED",
                         dutyStartedAt=received)
    pf.triage(incident, providerName="Aspen Homes Ltd")
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    notice = next(t["id"] for t in pf.tasks(incident) if t["name"] == "pf_notice")
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": day(-10), "noticeAgreed": False,
                                                                "closureDatePastConfirmed": True}})
    assert r.status_code == 422 and "before the notice was received" in r.json["errors"][0]["message"]
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": day(-3), "noticeAgreed": False}})
    assert r.status_code == 422
    assert r.json["errors"] == [{"field": "closureDatePastConfirmed",
                                 "message": r.json["errors"][0]["message"]}]
    assert "already past" in r.json["errors"][0]["message"]
    r = pf.api.post(f"/tasks/{notice}/complete", json={"data": {"closureDate": day(-3), "noticeAgreed": False,
                                                                "closureDatePastConfirmed": True}})
    assert r.status_code == 200, r.json
    assert pf.instance(incident).summary["closureDate"] == day(-3)
