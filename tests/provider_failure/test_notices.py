"""Notices and messages about one provider (issue 11): correlation keys as the README says them, further
notices recorded on the incident and decided again (B.2, PF-04), cancelling an incident opened by mistake."""
from __future__ import annotations

from .conftest import PF


def test_correlation_keys_alone_join_the_open_incident(pf: PF) -> None:
    """Following the README: the provider reference is sent as a correlation key, not in the payload."""
    first = pf.message("provider_failure_notified", {"providerRef": "PRV-KEYS"},
                       {"providerName": "Rowan Court Ltd", "eventType": "WINDING_UP_PETITION_ONLY",
                        "notificationSource": "Companies House watch"})
    [incident] = first["started"]
    assert pf.instance(incident).summary["providerRef"] == "PRV-KEYS"
    second = pf.message("provider_failure_notified", {"providerRef": "PRV-KEYS"},
                        {"eventType": "WINDING_UP_ORDER", "notificationSource": "administrator"})
    assert second == {"correlated": [incident], "started": []}
