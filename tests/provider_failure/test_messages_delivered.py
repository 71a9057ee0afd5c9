"""A care home closes after administration and every message the case sends is delivered: the outbox
sends through a real local SMTP server (aiosmtpd) and renders every record, and nothing fails."""
from __future__ import annotations

from collections import Counter
from typing import Any

from tests.timers.servers import SmtpSink

from .conftest import PF, at_day, day
from .delivery import deliver_everything, failed_deliveries, smtp_server  # noqa: F401  (the smtp fixture)
from .people import listed, person, record

HOME = "CARE_HOME_RESIDENTIAL"
W1 = "Cyngor Sir Enghraifft (W1)"
ADVOCACY_NEEDED = {"substantialDifficultyAny": True, "hasAppropriateCandidate": False,
                   "lacksCapacityForAccommodationDecision": True, "onlyPaidCarersToConsult": True}


def residents() -> list[dict]:
    return [
        person("SF1", "Iris Example", "SELF_FUNDED", HOME, "S48", personArrangesOwn=True),
        person("SF2", "Owen Example", "SELF_FUNDED", HOME, "S48"),
        person("WL1", "Megan Enghraifft", "WALES_LA", HOME, "PLACING_AUTHORITY_LEAD", placingAuthorityName=W1,
               placingAuthorityCanArrangeBeforeCessation=True),
        person("WL2", "Rhys Enghraifft", "WALES_LA", HOME, "PLACING_AUTHORITY_LEAD", placingAuthorityName=W1),
        person("CHC1", "Nora Example", "NHS_CHC", HOME, "NHS"),
        person("LCC1", "Arthur Sample", "LCC_ARRANGED", HOME, "S18_EXISTING", lacksCapacity=True,
               nursingHomeOrFNC=True, receivesCommunityNursing=True, hasCarerOrRepresentative=True,
               safeguardingRisk=True),
    ]


def test_a_closure_delivers_every_message_through_smtp(pf: PF, smtp: SmtpSink) -> None:
    incident = pf.notify("PRV-ROWAN", providerName="Rowan Court Care Ltd", eventType="ADMINISTRATOR_APPOINTED",
                         notificationSource="administrator")
    pf.triage(incident, providerName="Rowan Court Care Ltd", cqcProviderId="1-000000001",
              expectedCessationDate=day(21), approximatePeople=6)
    case = pf.instance(incident).case_reference
    pf.message("safeguarding_concern", {"caseReference": case},
               {"concern": "Night staffing below safe levels", "risk": "HIGH", "peopleAffected": 6,
                "raisedBy": "Administrator"})
    for task in [t for t in pf.tasks(incident) if t["name"] == "pf_sg_review"]:
        pf.api.post(f"/tasks/{task['id']}/complete", json={"data": {"enquiryRequested": True}})
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    pf.complete(incident, "pf_notice", {"closureDate": day(21), "noticeAgreed": True})
    pf.complete(incident, "pf_provision", {"extraProvisionBy": "COUNCIL_IN_HOUSE", "inHouseCost": 1250.5,
                                           "movesCompleted": 0})
    people = residents()
    assert pf.add_people(incident, [listed(p) for p in people]).status_code == 201
    cases = pf.children(incident)
    for p in people:
        answers = {"pp_involve": ADVOCACY_NEEDED} if p["personRef"] == "LCC1" else {}
        pf.work_person(cases[p["personRef"]].id, record(p), answers)
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    assert pf.instance(incident).status == "completed"

    messages = deliver_everything(pf, smtp)
    assert failed_deliveries(messages) == []
    sent = Counter(m.template for m in messages)
    for name in ("M1_ProviderFailureAlert", "M2_ProviderFailureNotice", "M4_NeighbourAuthorityAlert",
                 "M5_InformationRequest", "M10_SafeguardingReferral", "M12_RechargeInvoice", "M13_ProviderCharge",
                 "M16_PersonInformationPack", "M3", "M7", "M8", "M1/M8", "M9", "M10", "M11", "M16",
                 "care_navigation_request", "person_charge", "charging_record", "person_case_handover"):
        assert sent[name] >= 1, (name, sorted(sent))
    emails = [m for m in messages if m.channel == "email"]
    assert len(smtp.messages) == len(emails)

    by_subject = {subject(mail): mail for mail in smtp.messages}
    m1 = by_subject["Rowan Court Care Ltd is closing: health needs of its residents (" + case + ")"]
    assert m1["To"] == "provider.failure@icb.example.org"
    body = text(m1)
    assert "Type of service: residential care home" in body and "$" not in body
    assert "temporary duty to meet people's needs when a provider fails (Care Act 2014, section 48)" in body
    m2 = by_subject["Provider failure notice: Rowan Court Care Ltd (CQC provider ID 1-000000001)"]
    assert m2["To"] == "market.oversight@cqc.example.org"
    assert "What has happened: an administrator has been appointed" in text(m2)
    m4 = [mail for mail in smtp.messages
          if subject(mail) == f"Rowan Court Care Ltd is failing: your residents may be affected ({case})"]
    assert sorted(mail["To"] for mail in m4) == ["adult.social.care@blackburn-with-darwen.example.org",
                                                 "adult.social.care@blackpool.example.org"]
    assert "To Blackpool Council" in text(next(mail for mail in m4 if "blackpool.example" in mail["To"]))
    # Dates as words: the expected closure date the quality lead recorded at triage.
    assert all(f"Expected closure date: {day_words(day(21))}" in text(mail) for mail in [m1, m2, *m4])
    assert pf.runtime.fire_due_timers(now=at_day(60)) == 0


def subject(mail: Any) -> str:
    """The Subject as written (the parser keeps the folding of a long header)."""
    return str(mail["Subject"]).replace("\r\n", "").replace("\n", "").strip()


def text(mail: Any) -> str:
    return mail.get_payload(decode=True).decode("utf-8")


def day_words(iso: str) -> str:
    from datetime import date

    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"
