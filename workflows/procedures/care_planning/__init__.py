"""Person-centred care and support planning (DOMAIN.md section C), as a procedure on careflow's runtime.

The diagram (``bpmn/care_support_planning.bpmn``) carries the steps and decisions; this package keeps
the plan as a structured record in its own tables, enforces the line-item state machine and the
separation of duties, and makes the plan's documents.
"""
from __future__ import annotations

from . import models, review_dates  # noqa: F401  (its tables; its service-task handler)
from .procedure import PROCESS_ID, CarePlanning

__all__ = ["PROCESS_ID", "CarePlanning", "procedure"]

procedure = CarePlanning()
