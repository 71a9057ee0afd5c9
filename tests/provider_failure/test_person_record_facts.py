"""Optional yes/no questions left empty on the person forms: the provider's list still counts, unanswered
questions stay unknown (null, issue 11), and the advocacy tables decide on them (no rule matches an unknown
fact, except where the law presumes an answer: capacity)."""
from __future__ import annotations

from .conftest import PF, day


def test_empty_answers_keep_the_list_and_presumptions(pf: PF) -> None:
    incident = pf.notify("PRV-EMPTY", providerName="Hollyhock Care Ltd", eventType="WINDING_UP_ORDER")
    pf.triage(incident, providerName="Hollyhock Care Ltd", serviceType="HOMECARE", eventType="WINDING_UP_ORDER")
    pf.open_closure(incident, day(20))
    r = pf.add_people(incident, [{"personRef": "H1", "personName": "Hana Example", "role": "ADULT",
                                  "fundingCategory": "LCC_ARRANGED", "serviceType": "HOMECARE",
                                  "receivesCommunityNursing": True, "complexNeeds": True}])
    assert r.status_code == 201
    case = pf.children(incident)["H1"].id
    # Only the required questions answered on PP-01 and PP-06.
    pf.complete(case, "pp_record", {"fundingCategory": "LCC_ARRANGED", "serviceType": "HOMECARE",
                                    "personLegalBasis": "S18_EXISTING", "riskToLife": False,
                                    "immediateSignificantHealthRisk": False, "safeguardingRisk": False,
                                    "significantWellbeingImpact": False, "providerArrangementSatisfactory": False,
                                    "personArrangesOwn": False})
    pf.complete(case, "pp_involve", {"substantialDifficultyAny": True, "hasAppropriateCandidate": True,
                                     "candidateAbleAndAvailable": True})
    rules = pf.rules(case)
    assert rules["AllocateWorker"] == [4]  # complex needs, from the provider's list
    # Whether the candidate is paid or implicated was not answered: the table cannot find them appropriate
    # (no rule matches), so there is no appropriate individual and an advocate is required (DMN-05 rule 3).
    assert rules["AppropriateIndividualTest"] == []
    assert rules["IndependentAdvocateRequired"] == [3]
    assert [m.recipient for m in pf.outbox([case]) if m.template == "M8"] == ["ICB_DISTRICT_NURSING"]
    data = pf.data(case)
    assert data["terminallyIll"] is None and data["lacksCapacity"] is None  # unknown, not "No"
    assert data["capacityPresumed"] is True  # capacity presumed for the decisions (MCA 2005 s.1(2))
