"""careflow's runtime: the generic engine every procedure runs on (no Flask, no procedure named).

The public API other packages use is re-exported here; nothing outside a module imports its
private names.
"""
from __future__ import annotations

from .db import Database
from .errors import CareflowError, Conflict, Forbidden, NotFound, Unauthorised, ValidationFailed
from .forms import FormLibrary
from .identity import MANAGER_ROLES, OVERSIGHT_ROLES, Principal
from .library import ProcessLibrary
from .procedure import Procedure
from .runtime import NewCase, Runtime, may_work
from .service_tasks import Handler, HandlerContext, HandlerError, HandlerLookup
from .spiff_bridge import StepContext

__all__ = [
    "MANAGER_ROLES", "OVERSIGHT_ROLES", "CareflowError", "Conflict", "Database", "Forbidden", "FormLibrary",
    "Handler", "HandlerContext", "HandlerError", "HandlerLookup", "NewCase", "NotFound", "Principal",
    "ProcessLibrary", "Procedure", "Runtime", "StepContext", "Unauthorised", "ValidationFailed", "may_work",
]
