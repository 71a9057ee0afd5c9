"""Optional yes/no questions left empty on the person forms: the provider's list still counts, and the
advocacy tables still decide (they match no rule on an unanswered question)."""
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
    assert rules["AppropriateIndividualTest"] == [6]  # capacity and consent presumed until recorded otherwise
    assert rules["IndependentAdvocateRequired"] == [6]  # the appropriate individual supports involvement
    assert [m.recipient for m in pf.outbox([case]) if m.template == "M8"] == ["ICB_DISTRICT_NURSING"]
    data = pf.data(case)
    assert data["terminallyIll"] is False and data["lacksCapacity"] is False
