"""Facts nobody has answered stay unknown (issue 11): no radio is pre-selected, imported facts fill their own
questions, a form starts from its own task's fields, an unknown fact reaches the decisions as null, and the
presumption of capacity (Mental Capacity Act 2005 s.1(2)) is applied by the decision and explained."""
from __future__ import annotations

import re
from typing import Any

from tests.web.support import PASSWORD, sign_in
from workflows.identity import add_user

from .conftest import FACTS, PF, day

REQUIRED_RECORD = {"fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL",
                   "personLegalBasis": "S18_EXISTING", "riskToLife": False, "immediateSignificantHealthRisk": False,
                   "safeguardingRisk": False, "significantWellbeingImpact": False,
                   "providerArrangementSatisfactory": False, "personArrangesOwn": False}


def web_worker(pf: PF) -> Any:
    add_user(pf.services.db, "wren.worker", "caseworker", ["allocated_worker", "qiss", "sqip"],
             display_name="Wren Worker", password=PASSWORD, exist_ok=True)
    client = pf.app.test_client()
    sign_in(client, "wren.worker")
    return client


def checked(html: str, name: str) -> list[str]:
    """The values of the radios named ``name`` that the page shows selected."""
    found = []
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and 'type="radio"' in tag and "checked" in tag:
            found.append(re.search(r'value="([^"]*)"', tag).group(1))
    return found


def task_id(pf: PF, instance_id: str, name: str) -> str:
    return next(t["id"] for t in pf.tasks(instance_id) if t["name"] == name)


def closing(pf: PF, ref: str) -> str:
    incident = pf.notify(ref, providerName="Oakfield House Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident)
    pf.open_closure(incident, day(21))
    return incident


def test_imported_lack_of_capacity_is_shown_and_decided_never_turned_into_capacity(pf: PF) -> None:
    incident = closing(pf, "PRV-CAP")
    pf.add_people(incident, [{"personRef": "MRA", "personName": "Arthur Example", "role": "ADULT",
                              "fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL",
                              "lacksCapacity": True}])
    case = pf.children(incident)["MRA"].id
    web = web_worker(pf)
    record = task_id(pf, case, "pp_record")
    assert pf.api.get(f"/tasks/{record}").json["formValues"]["lacksCapacity"] is True
    page = web.get(f"/tasks/{record}").text
    assert checked(page, "lacksCapacity") == ["yes"]  # the imported fact fills its own question
    assert checked(page, "riskToLife") == [] and checked(page, "terminallyIll") == []  # nobody answered these
    pf.complete(case, "pp_record", REQUIRED_RECORD)  # the worker leaves the capacity question as imported
    involve = task_id(pf, case, "pp_involve")
    values = pf.api.get(f"/tasks/{involve}").json["formValues"]
    assert "personHasCapacityToChoose" not in values and "bestInterestsToUseCandidate" not in values
    assert checked(web.get(f"/tasks/{involve}").text, "personHasCapacityToChoose") == []  # not "has capacity: Yes"
    pf.complete(case, "pp_involve", {"substantialDifficultyAny": True, "hasAppropriateCandidate": False,
                                     "onlyPaidCarersToConsult": True})
    rules = pf.rules(case)
    assert rules["IndependentAdvocateRequired"] == [2]  # E1, Mr A: an advocate, and consider an IMCA
    assert rules["AllocateWorker"] == [2]  # lacks capacity: a social worker
    data = pf.data(case)
    assert data["advocateRequired"] is True and data["considerIMCA"] is True
    assert data["lacksCapacity"] is True and data["personHasCapacityToChoose"] is False  # as recorded, not "Yes"
    assert not data.get("capacityPresumed")


def test_unknown_capacity_is_presumed_by_the_decision_and_explained(pf: PF) -> None:
    incident = closing(pf, "PRV-PRESUME")
    pf.add_people(incident, [{"personRef": "P1", "personName": "Pia Example", "role": "ADULT",
                              "fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL"}])
    case = pf.children(incident)["P1"].id
    pf.complete(case, "pp_record", REQUIRED_RECORD)
    pf.complete(case, "pp_involve", {"substantialDifficultyAny": True, "hasAppropriateCandidate": True,
                                     "candidatePaidOrProfessionalCarer": False,
                                     "candidateImplicatedInSafeguarding": False, "candidateAbleAndAvailable": True,
                                     "personConsentsToCandidate": True})
    data = pf.data(case)
    assert data["personHasCapacityToChoose"] is None and data["lacksCapacity"] is None  # still unanswered
    assert data["capacityPresumed"] is True and "Mental Capacity Act 2005 s.1(2)" in data["capacityExplanation"]
    [test] = [d for d in pf.decisions([case]) if d.decision_id == "AppropriateIndividualTest"]
    [(label, value)] = [(k, v) for k, v in test.inputs.items() if k.startswith("Person has capacity")]
    assert value is True and "Mental Capacity Act 2005 s.1(2)" in label  # the decision applied the presumption
    assert pf.rules(case)["AppropriateIndividualTest"] == [6]
    # Facts nobody gave reach the decisions as null; the tables decide (DMN-02: no rule on them, rule 9).
    [urgency] = [d for d in pf.decisions([case]) if d.decision_id == "UrgencyOfNeeds"]
    assert urgency.inputs["Terminally ill"] is None and pf.rules(case)["UrgencyOfNeeds"] == [9]


def test_a_task_form_starts_from_its_own_fields(pf: PF) -> None:
    incident = pf.notify("PRV-NOTES", providerName="Birch House Ltd", eventType="ADMINISTRATOR_APPOINTED")
    verify = task_id(pf, incident, "pf_verify")
    assert pf.api.get(f"/tasks/{verify}").json["formValues"]["providerName"] == "Birch House Ltd"  # the notice
    pf.complete(incident, "pf_verify", {**FACTS, "providerName": "Birch House Ltd"})
    pf.complete(incident, "pf_provider_response", {"informationReceived": True,
                                                   "notes": "List arrived late; two names misspelt"})
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    pf.complete(incident, "pf_notice", {"closureDate": day(21), "noticeAgreed": True})
    provision = task_id(pf, incident, "pf_provision")
    assert "notes" not in pf.api.get(f"/tasks/{provision}").json["formValues"]
    page = web_worker(pf).get(f"/tasks/{provision}").text
    assert "two names misspelt" not in page
