"""The provider register: care homes (residential, nursing) and homecare providers, with vacancies.

Providers come from the CQC care directory CSV (its published column layout: a few preamble lines,
then ``Name, Also known as, Address, Postcode, Phone number, Service's website (if available),
Service types, Date of latest check, Specialisms/services, Provider name, Local authority, Region,
Location URL, CQC Location ID (for office use only), CQC Provider ID (for office use only)``).
What CQC does not publish - vacancies, the council's homecare framework, contact e-mail - is kept
beside it and updated by the council.

The ``match_providers`` handler proposes alternative providers for a person (provider failure:
finding somewhere else to live or someone else to visit) by service type, nursing registration,
area and vacancy. It reads the register; it writes nothing.
"""
from __future__ import annotations

import builtins
import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflows.db import Database
from workflows.models import utcnow

from .commissioning_tables import Provider, ProviderVacancy
from .registry import HandlerContext, HandlerError, handler

CQC_COLUMNS = ("Name", "Also known as", "Address", "Postcode", "Phone number", "Service's website (if available)",
               "Service types", "Date of latest check", "Specialisms/services", "Provider name", "Local authority",
               "Region", "Location URL", "CQC Location ID (for office use only)",
               "CQC Provider ID (for office use only)")
SERVICE_TYPES = ("care_home", "nursing_home", "homecare")
VACANCY_KINDS = ("residential", "nursing", "homecare_hours")
RATING_ORDER = {"outstanding": 0, "good": 1, "requires improvement": 2, "inadequate": 3}
MAX_IMPORT_ROWS = 200_000


class RegisterError(ValueError):
    """A CSV or a vacancy the register cannot take; the message says which line or field."""


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "skipped": self.skipped}


def read_cqc_directory(text: str) -> list[dict[str, str]]:
    """Rows of a CQC directory CSV, preamble skipped; refuses a file without the directory's columns."""
    lines = text.lstrip("\ufeff").splitlines()
    start = next((i for i, line in enumerate(lines[:20]) if line.startswith("Name,")), None)
    if start is None:
        raise RegisterError("This is not a CQC care directory file: no header line starting 'Name,' in the "
                            "first 20 lines")
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    fields = [f.strip() for f in reader.fieldnames or []]
    missing = [c for c in ("Name", "Service types", "Local authority", "CQC Location ID (for office use only)")
               if c not in fields]
    if missing:
        raise RegisterError(f"The CQC directory header lacks: {', '.join(missing)}")
    rows: list[dict[str, str]] = []
    for number, row in enumerate(reader, start=start + 2):
        if len(rows) >= MAX_IMPORT_ROWS:
            raise RegisterError(f"More than {MAX_IMPORT_ROWS} rows; split the file")
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        clean["_line"] = str(number)
        rows.append(clean)
    return rows


def classify(service_types: str) -> tuple[str | None, bool]:
    """(careflow service type, nursing) from the directory's ``Service types`` (pipe separated)."""
    kinds = {k.strip().lower() for k in service_types.split("|")}
    if "nursing homes" in kinds:
        return "nursing_home", True
    if kinds & {"residential homes", "care home"}:
        return "care_home", False
    if "homecare agencies" in kinds:
        return "homecare", False
    return None, False


class ProviderRegister:
    def __init__(self, db: Database) -> None:
        self.db = db

    def import_cqc(self, text: str, *, framework_ids: set[str] | None = None) -> ImportResult:
        """Add or update every care home and homecare location in a CQC directory CSV (one transaction)."""
        result = ImportResult()
        rows = read_cqc_directory(text)
        with self.db.transaction() as session:
            existing = {p.location_id: p for p in session.scalars(select(Provider))}
            for row in rows:
                service_type, nursing = classify(row.get("Service types", ""))
                location_id = row.get("CQC Location ID (for office use only)") or row.get(
                    "CQC Location (for office use only")
                if service_type is None or not location_id:
                    result.skipped += 1
                    continue
                provider = existing.get(location_id)
                if provider is None:
                    provider = Provider(location_id=location_id, specialisms=[])
                    session.add(provider)
                    existing[location_id] = provider
                    result.added += 1
                else:
                    result.updated += 1
                provider.name = row.get("Name") or location_id
                provider.provider_id = row.get("CQC Provider ID (for office use only)") or None
                provider.provider_name = row.get("Provider name") or None
                provider.service_type, provider.nursing = service_type, nursing
                provider.area = row.get("Local authority") or row.get("Local Authority") or None
                provider.region = row.get("Region") or None
                provider.postcode = (row.get("Postcode") or "")[:12] or None
                provider.phone = (row.get("Phone number") or "")[:40] or None
                provider.specialisms = [s.strip() for s in row.get("Specialisms/services", "").split("|") if s.strip()]
                if framework_ids is not None:
                    provider.framework = location_id in framework_ids
                provider.active, provider.updated_at = True, utcnow()
        return result

    def set_details(self, location_id: str, **fields: Any) -> Provider:
        allowed = {"email", "framework", "beds", "rating", "active"}
        with self.db.transaction() as session:
            provider = self._provider(session, location_id)
            for name, value in fields.items():
                if name not in allowed:
                    raise RegisterError(f"'{name}' cannot be set here")
                setattr(provider, name, value)
            provider.updated_at = utcnow()
            return provider

    def set_vacancies(self, location_id: str, vacancies: dict[str, Any]) -> dict[str, int]:
        """Replace the named vacancy counts (``residential``, ``nursing``, ``homecare_hours``)."""
        for kind, value in vacancies.items():
            if kind not in VACANCY_KINDS:
                raise RegisterError(f"Unknown vacancy kind '{kind}' (use {', '.join(VACANCY_KINDS)})")
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
                raise RegisterError(f"Vacancy '{kind}' must be a whole number from 0 to 100000")
        with self.db.transaction() as session:
            provider = self._provider(session, location_id)
            rows = {v.kind: v for v in session.scalars(select(ProviderVacancy).where(
                ProviderVacancy.provider_id == provider.id))}
            for kind, value in vacancies.items():
                row = rows.get(kind) or ProviderVacancy(provider_id=provider.id, kind=kind)
                row.available, row.updated_at = value, utcnow()
                session.add(row)
            session.flush()
            return {v.kind: v.available for v in session.scalars(select(ProviderVacancy).where(
                ProviderVacancy.provider_id == provider.id))}

    def _provider(self, session: Any, location_id: str) -> Provider:
        from workflows.errors import NotFound

        provider = session.scalars(select(Provider).where(Provider.location_id == location_id)).first()
        if provider is None:
            raise NotFound(f"No provider with CQC location id {location_id}")
        return provider

    def list(self, *, service_type: str | None = None, area: str | None = None, limit: int = 200,
             offset: int = 0) -> list[dict[str, Any]]:
        query = select(Provider).where(Provider.active.is_(True)).order_by(Provider.name).limit(limit).offset(offset)
        if service_type:
            query = query.where(Provider.service_type == service_type)
        if area:
            query = query.where(Provider.area == area)
        with self.db.reading() as session:
            providers = list(session.scalars(query))
            return [provider_dict(p, vacancies_of(session, [p.id]).get(p.id, {})) for p in providers]

    def match(self, service_type: str, *, nursing: bool = False, area: str | None = None,
              exclude: builtins.list[str] | None = None, hours_needed: int = 1,
              limit: int = 5) -> builtins.list[dict[str, Any]]:
        """Providers that could take the person now, best first (rating, then most room, then name)."""
        with self.db.reading() as session:
            return match_in(session, service_type, nursing=nursing, area=area, exclude=exclude,
                            hours_needed=hours_needed, limit=limit)


def vacancies_of(session: Any, ids: builtins.list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if ids:
        for v in session.scalars(select(ProviderVacancy).where(ProviderVacancy.provider_id.in_(ids))):
            out.setdefault(v.provider_id, {})[v.kind] = v.available
    return out


def match_in(session: Any, service_type: str, *, nursing: bool = False, area: str | None = None,
             exclude: builtins.list[str] | None = None, hours_needed: int = 1,
             limit: int = 5) -> builtins.list[dict[str, Any]]:
    """:meth:`ProviderRegister.match` inside a session the caller holds (a service task's step)."""
    if service_type not in SERVICE_TYPES:
        raise RegisterError(f"serviceType must be one of {', '.join(SERVICE_TYPES)}")
    kinds: tuple[str, ...]
    types: tuple[str, ...]
    if service_type == "homecare":
        kinds, need, types = ("homecare_hours",), max(1, hours_needed), ("homecare",)
    else:
        kinds, need = ("nursing",) if nursing or service_type == "nursing_home" else ("residential",), 1
        types = ("nursing_home",) if kinds == ("nursing",) else ("care_home", "nursing_home")
    query = select(Provider).where(Provider.active.is_(True), Provider.service_type.in_(types))
    if kinds == ("nursing",):
        query = query.where(Provider.nursing.is_(True))
    if service_type == "homecare":
        query = query.where(Provider.framework.is_(True))  # homecare is bought through the framework
    if area:
        query = query.where(Provider.area == area)
    if exclude:
        query = query.where(Provider.location_id.not_in(exclude))
    providers = list(session.scalars(query))
    room = vacancies_of(session, [p.id for p in providers])
    fits = [(p, room.get(p.id, {})) for p in providers if room.get(p.id, {}).get(kinds[0], 0) >= need]
    fits.sort(key=lambda pr: (RATING_ORDER.get((pr[0].rating or "").lower(), 9), -pr[1].get(kinds[0], 0),
                              pr[0].name))
    return [provider_dict(p, v) for p, v in fits[:max(1, min(limit, 50))]]


def provider_dict(p: Provider, vacancies: dict[str, int]) -> dict[str, Any]:
    return {"locationId": p.location_id, "name": p.name, "providerName": p.provider_name,
            "serviceType": p.service_type, "nursing": p.nursing, "framework": p.framework, "area": p.area,
            "region": p.region, "postcode": p.postcode, "phone": p.phone, "email": p.email, "rating": p.rating,
            "specialisms": p.specialisms or [], "vacancies": vacancies}


@handler("match_providers")
def match_providers(inputs: dict[str, Any], context: HandlerContext) -> dict[str, Any]:
    """Inputs: ``serviceType`` (care_home | nursing_home | homecare), ``nursing``, ``area``,
    ``excludeLocationIds`` (e.g. the failing provider), ``hoursNeeded`` (homecare), ``limit``.
    Output: ``alternatives``, a list of providers with their vacancies, best first."""
    exclude = inputs.get("excludeLocationIds") or []
    if isinstance(exclude, str):
        exclude = [exclude]
    if context.session is None:
        raise HandlerError("match_providers runs only inside a step (it reads the provider register)")
    try:
        found = match_in(
            context.session, str(inputs.get("serviceType") or ""), nursing=bool(inputs.get("nursing")),
            area=inputs.get("area") or None, exclude=[str(e) for e in exclude],
            hours_needed=int(inputs.get("hoursNeeded") or 1), limit=int(inputs.get("limit") or 5))
    except (RegisterError, TypeError, ValueError) as exc:
        raise HandlerError(f"match_providers: {exc}") from None
    return {"alternatives": found, "alternativesFound": len(found)}
