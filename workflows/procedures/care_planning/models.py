"""The care and support plan as a structured record (DOMAIN.md C.4, C.5, C.6), in its own tables.

A case (``case_reference``) has numbered plan versions; a revision opens a new version and keeps the
old one readable. Money is held in whole pence, never as floating point.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.models import Base, utcnow

PLAN_STATUSES = ("DRAFT", "SUBMITTED", "VALIDATED", "SIGNED_OFF", "SIGNED_OFF_WITH_DISPUTE", "SUPERSEDED")
BUDGET_OPTIONS = ("DIRECT_PAYMENT", "DP_MANAGED_ACCOUNT", "ISF", "COUNCIL_MANAGED")
LINE_STATUSES = ("PROPOSED", "PROVISIONED", "ENDED")
APPROVALS = ("PENDING", "APPROVED", "REJECTED")


class CarePlan(Base):
    __tablename__ = "care_plan"
    __table_args__ = (UniqueConstraint("case_reference", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(30), default="DRAFT")
    person_ref: Mapped[str | None] = mapped_column(String(80))
    person_name: Mapped[str | None] = mapped_column(String(200))
    plan_for: Mapped[str] = mapped_column(String(10), default="ADULT")  # ADULT | CARER
    written_by: Mapped[str | None] = mapped_column(String(200))  # who wrote it: the person, family, worker
    drafted_by: Mapped[str | None] = mapped_column(String(80))  # the careflow user who submitted it
    approved_by: Mapped[str | None] = mapped_column(String(80))
    indicative_weekly_pence: Mapped[int | None] = mapped_column(Integer)
    person_contribution_weekly_pence: Mapped[int | None] = mapped_column(Integer)
    how_needs_met: Mapped[str | None] = mapped_column(Text)
    information_advice: Mapped[str | None] = mapped_column(Text)
    strengths: Mapped[str | None] = mapped_column(Text)
    other_services: Mapped[str | None] = mapped_column(Text)
    contributions: Mapped[str | None] = mapped_column(Text)
    change_notification: Mapped[str | None] = mapped_column(Text)
    control_mechanism: Mapped[str | None] = mapped_column(Text)
    review_arrangements: Mapped[str | None] = mapped_column(Text)
    progression: Mapped[str | None] = mapped_column(Text)
    carer_wishes: Mapped[str | None] = mapped_column(Text)
    saving_purpose: Mapped[str | None] = mapped_column(Text)
    statutory_obligations: Mapped[str | None] = mapped_column(Text)
    dp_spending_breakdown: Mapped[str | None] = mapped_column(Text)
    dp_frequency: Mapped[str | None] = mapped_column(String(80))
    stored_externally: Mapped[bool | None] = mapped_column(Boolean)
    storage_location: Mapped[str | None] = mapped_column(String(300))
    unique_or_novel: Mapped[bool | None] = mapped_column(Boolean)
    copy_recipients: Mapped[list[Any] | None] = mapped_column(default=None)  # [{name, relationship, recipient, format}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    signed_off_at: Mapped[datetime | None]

    needs: Mapped[list[PlanNeed]] = relationship(cascade="all, delete-orphan", order_by="PlanNeed.id")
    outcomes: Mapped[list[PlanOutcome]] = relationship(cascade="all, delete-orphan", order_by="PlanOutcome.id")
    risks: Mapped[list[PlanRisk]] = relationship(cascade="all, delete-orphan", order_by="PlanRisk.id")
    options: Mapped[list[PlanOption]] = relationship(cascade="all, delete-orphan", order_by="PlanOption.id")
    line_items: Mapped[list[LineItem]] = relationship(cascade="all, delete-orphan", order_by="LineItem.id")
    overrides: Mapped[list[PlanOverride]] = relationship(cascade="all, delete-orphan", order_by="PlanOverride.id")


class PlanNeed(Base):
    """A need the assessment identified, eligible or not (V01, V02), and how it is met (V03)."""

    __tablename__ = "care_plan_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    how_met: Mapped[str | None] = mapped_column(Text)


class PlanOutcome(Base):
    """An outcome the person wants, how it is measured and how often progress is reviewed (V04)."""

    __tablename__ = "care_plan_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(Text)
    timescale: Mapped[str | None] = mapped_column(String(120))


class PlanRisk(Base):
    """A risk, how it is managed, and the contingency with an emergency contact (V09, V10)."""

    __tablename__ = "care_plan_risk"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    risk: Mapped[str] = mapped_column(Text)
    management: Mapped[str | None] = mapped_column(Text)
    contingency: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))


class PlanOption(Base):
    """An option considered, chosen or rejected, with its estimated weekly cost and why (V11, Davey)."""

    __tablename__ = "care_plan_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    weekly_cost_pence: Mapped[int | None] = mapped_column(Integer)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    rationale: Mapped[str | None] = mapped_column(Text)


class LineItem(Base):
    """A costed plan line item (CPLI, C.6): PROPOSED (approval PENDING/APPROVED/REJECTED) ->
    PROVISIONED -> ENDED."""

    __tablename__ = "care_plan_line_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    budget_option: Mapped[str] = mapped_column(String(30))
    provider: Mapped[str | None] = mapped_column(String(200))
    weekly_cost_pence: Mapped[int] = mapped_column(Integer)
    dp_on_costs_weekly_pence: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str | None] = mapped_column(String(120))
    carer_respite: Mapped[bool] = mapped_column(Boolean, default=False)
    brokered: Mapped[bool] = mapped_column(Boolean, default=False)
    nhs_responsibility: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="PROPOSED")
    approval: Mapped[str] = mapped_column(String(20), default="PENDING")
    activated_by: Mapped[str | None] = mapped_column(String(80))
    activated_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class PlanOverride(Base):
    """A worker's note overriding a WARN rule (C.5); kept with the plan version."""

    __tablename__ = "care_plan_override"
    __table_args__ = (UniqueConstraint("plan_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanDocument(Base):
    """A stored document of a case: a plan copy (HTML or PDF), a FIN107, a signed agreement."""

    __tablename__ = "care_plan_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(80), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("care_plan.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # PLAN_COPY_HTML | PLAN_COPY_PDF | FIN107 | SIGNED_AGREEMENT
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerDelegation(Base):
    """A worker's budget delegation (DMN-07 inputs), held in careflow and edited by a manager."""

    __tablename__ = "worker_delegation"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    self_delegation: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_limit_pence: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
