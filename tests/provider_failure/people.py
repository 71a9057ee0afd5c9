"""Building affected people (the provider's list) and their PP-01 person records for the scenarios."""
from __future__ import annotations

from typing import Any

# PP-01 facts the worker confirms on the record form (everything else stays as the provider's list had it).
RECORD_FLAGS = ("riskToLife", "immediateSignificantHealthRisk", "safeguardingRisk", "significantWellbeingImpact",
                "providerArrangementSatisfactory", "personArrangesOwn", "placingAuthorityCanArrangeBeforeCessation",
                "lacksCapacity", "complexNeeds", "terminallyIll", "receivesCommunityNursing", "nursingHomeOrFNC",
                "s117", "s117ResponsibleAuthorityIsThisCouncil", "hasCarerOrRepresentative")
# Upload columns the provider's list can carry (workflows.procedures.provider_failure.people.PERSON_SCHEMA).
LIST_FIELDS = ("personRef", "personName", "role", "fundingCategory", "serviceType", "placingAuthorityName",
               "receivesCommunityNursing", "nursingHomeOrFNC", "hasCarerOrRepresentative", "lacksCapacity",
               "complexNeeds", "s117", "riskToLife", "immediateSignificantHealthRisk", "safeguardingRisk",
               "significantWellbeingImpact", "personArrangesOwn", "placingAuthorityCanArrangeBeforeCessation",
               "providerArrangementSatisfactory")


def person(ref: str, name: str, funding: str, service: str, basis: str, **facts: Any) -> dict[str, Any]:
    """One affected person: what the provider's list says plus what the worker records (``basis``)."""
    return {"personRef": ref, "personName": name, "role": facts.pop("role", "ADULT"), "fundingCategory": funding,
            "serviceType": service, "personLegalBasis": basis, **facts}


def listed(p: dict[str, Any]) -> dict[str, Any]:
    """The row as the provider's list has it (no legal basis: the council decides that)."""
    return {k: v for k, v in p.items() if k in LIST_FIELDS}


def record(p: dict[str, Any]) -> dict[str, Any]:
    """The PP-01 form as the worker submits it for ``p``."""
    out = {k: p[k] for k in ("personName", "role", "fundingCategory", "serviceType", "personLegalBasis")}
    out.update({f: bool(p.get(f, False)) for f in RECORD_FLAGS})
    if p.get("placingAuthorityName"):
        out["placingAuthorityName"] = p["placingAuthorityName"]
    return out
