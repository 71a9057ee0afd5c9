"""The provider register and commissioning requests: tables of commissioning, which both procedures use.

They share the runtime's metadata (``workflows.models.Base``) so one migration history covers the
whole database, but the runtime itself never reads them: the handlers and the app do.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.models import Base, utcnow

__all__ = ["CommissioningRequest", "Provider", "ProviderVacancy"]


class Provider(Base):
    """A regulated location in the council's provider register (CQC care directory layout)."""

    __tablename__ = "provider"
    __table_args__ = (Index("ix_provider_type_area", "service_type", "area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[str] = mapped_column(String(40), unique=True)  # CQC Location ID
    provider_id: Mapped[str | None] = mapped_column(String(40))        # CQC Provider ID
    name: Mapped[str] = mapped_column(String(300))
    provider_name: Mapped[str | None] = mapped_column(String(300))
    service_type: Mapped[str] = mapped_column(String(40))  # care_home | nursing_home | homecare
    nursing: Mapped[bool] = mapped_column(Boolean, default=False)
    framework: Mapped[bool] = mapped_column(Boolean, default=False)  # on the council's homecare framework
    beds: Mapped[int | None] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(120))  # local authority or council area
    region: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[str | None] = mapped_column(String(40))
    specialisms: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderVacancy(Base):
    """What a provider can take now: beds (residential, nursing) or homecare hours a week."""

    __tablename__ = "provider_vacancy"
    __table_args__ = (UniqueConstraint("provider_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # residential | nursing | homecare_hours
    available: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommissioningRequest(Base):
    """A request to a provider to place a person: raised -> acknowledged -> placed | declined."""

    __tablename__ = "commissioning_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)  # the outbox idempotency key
    instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instance.id", ondelete="SET NULL"), index=True)
    case_reference: Mapped[str | None] = mapped_column(String(120), index=True)
    person_reference: Mapped[str | None] = mapped_column(String(120))
    person_name: Mapped[str | None] = mapped_column(String(300))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(40))
    nursing: Mapped[bool] = mapped_column(Boolean, default=False)
    area: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20), default="raised")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
