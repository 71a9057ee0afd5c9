"""The plan's documents: an accessible HTML copy and a tagged PDF made from the same HTML (PDF/UA),
stored with a content hash; and uploaded FIN107s and signed agreements, with size and type limits."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import CareflowError, ValidationFailed
from workflows.outbox import ATTACHMENTS, Attachment

from .models import CarePlan, PlanDocument
from .money import show
from .plans import totals

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_KINDS = ("FIN107", "SIGNED_AGREEMENT")
# Accepted uploads by their first bytes, not by what the browser says they are.
SIGNATURES = {b"%PDF-": ("application/pdf", ".pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
              b"\xff\xd8\xff": ("image/jpeg", ".jpg")}
OPTION_NAMES = {"DIRECT_PAYMENT": "Direct payment", "DP_MANAGED_ACCOUNT": "Direct payment (managed account)",
                "ISF": "Individual service fund", "COUNCIL_MANAGED": "Council-managed"}
_env = Environment(loader=FileSystemLoader(str(Path(__file__).with_name("templates"))),
                   autoescape=select_autoescape(["html"]))


class TooLarge(CareflowError):
    status = 413


def render_html(plan: CarePlan, *, easy_read: bool = False) -> str:
    narrative = [("How your eligible needs are met", plan.how_needs_met),
                 ("Information and advice", plan.information_advice), ("Other services", plan.other_services),
                 ("What others will contribute", plan.contributions),
                 ("How changes are notified", plan.change_notification),
                 ("Who manages the plan", plan.control_mechanism), ("Reviews: who and when", plan.review_arrangements)]
    if plan.dp_spending_breakdown:
        narrative.append(("Direct payment spending", plan.dp_spending_breakdown))
    return _env.get_template("plan_copy.html").render(
        plan=plan, totals=totals(plan), narrative=narrative, easy_read=easy_read,
        status=plan.status.replace("_", " ").lower(),
        signed=plan.signed_off_at.strftime("%d %B %Y") if plan.signed_off_at else None,
        money=show, yes_no=lambda v: "Not stated" if v is None else ("Yes" if v else "No"),
        option_name=lambda v: OPTION_NAMES.get(v, v))


def render_pdf(html: str) -> bytes:
    """A tagged PDF (PDF/UA) from the copy's HTML, so screen readers can follow it."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf(pdf_variant="pdf/ua-1"))


def _store(session: Session, plan: CarePlan, kind: str, filename: str, media_type: str, content: bytes,
           actor: str, signed: bool = False) -> PlanDocument:
    doc = PlanDocument(case_reference=plan.case_reference, plan_id=plan.id, kind=kind, filename=filename,
                       media_type=media_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                       content=content, signed=signed, uploaded_by=actor)
    session.add(doc)
    session.flush()
    return doc


def store_plan_copy(session: Session, plan: CarePlan, actor: str) -> list[PlanDocument]:
    """The plan copy (CSP-21) as HTML and as PDF from the same HTML; the easy-read format if asked for."""
    easy = any(r.get("format") == "EASY_READ" for r in plan.copy_recipients or [])
    html = render_html(plan, easy_read=easy)
    stem = f"care-plan-{plan.case_reference}-v{plan.version}"
    made = [_store(session, plan, "PLAN_COPY_HTML", f"{stem}.html", "text/html; charset=utf-8",
                   html.encode("utf-8"), actor)]
    made.append(_store(session, plan, "PLAN_COPY_PDF", f"{stem}.pdf", "application/pdf", render_pdf(html), actor))
    return made


STORE = "care_plan_document"  # how an outbox message refers to one of these documents
COPY_KINDS = ("PLAN_COPY_PDF", "PLAN_COPY_HTML")


def attach_plan_copy(session: Session, payload: dict[str, Any], case_reference: str) -> dict[str, Any]:
    """M-C8 carries the copy of the plan version it names, PDF and HTML, by reference to the stored documents."""
    version = payload.get("planVersion")
    docs = session.scalars(select(PlanDocument).join(CarePlan, CarePlan.id == PlanDocument.plan_id).where(
        PlanDocument.case_reference == case_reference, CarePlan.version == version,
        PlanDocument.kind.in_(COPY_KINDS)).order_by(PlanDocument.id.desc())).all()
    latest: dict[str, PlanDocument] = {}
    for doc in docs:  # newest first: a version's copy made again replaces the earlier one
        latest.setdefault(doc.kind, doc)
    refs = [{"store": STORE, "id": latest[k].id} for k in COPY_KINDS if k in latest]
    return {**payload, ATTACHMENTS: refs} if refs else payload


def stored_attachment(session: Session, reference: Any) -> Attachment | None:
    """The outbox's view of a stored document: its bytes, type and the hash recorded when it was stored."""
    if reference.get("store") != STORE:
        return None
    ident = reference.get("id")
    doc = session.get(PlanDocument, ident) if isinstance(ident, int) else None
    if doc is None:
        return None
    return Attachment(doc.filename, doc.media_type, bytes(doc.content), doc.sha256)


def store_upload(session: Session, plan: CarePlan, kind: str, filename: str, content: bytes, signed: bool,
                 actor: str) -> PlanDocument:
    """A FIN107 or signed agreement: PDF, PNG or JPEG, at most 5 MB."""
    if kind not in UPLOAD_KINDS:
        raise ValidationFailed("Say what the document is", [{"field": "kind",
                                                             "message": f"Choose one of {', '.join(UPLOAD_KINDS)}"}])
    if not content:
        raise ValidationFailed("The file is empty", [{"field": "file", "message": "Choose a file with content"}])
    if len(content) > MAX_UPLOAD_BYTES:
        raise TooLarge("The file is larger than 5 MB; scan it at a lower resolution or as a PDF")
    found = next((sig for sig in SIGNATURES if content.startswith(sig)), None)
    if found is None:
        raise ValidationFailed("The file must be a PDF, PNG or JPEG",
                               [{"field": "file", "message": "Upload a PDF, PNG or JPEG file"}])
    media_type, ext = SIGNATURES[found]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(filename or "document").stem)[:80] or "document"
    return _store(session, plan, kind, f"{kind.lower()}-{safe}{ext}", media_type, content, actor, signed=signed)


def list_documents(session: Session, case_reference: str) -> list[PlanDocument]:
    return list(session.scalars(select(PlanDocument).where(PlanDocument.case_reference == case_reference)
                                .order_by(PlanDocument.created_at, PlanDocument.id)))


def document_dict(doc: PlanDocument) -> dict[str, Any]:
    return {"id": doc.id, "kind": doc.kind, "filename": doc.filename, "mediaType": doc.media_type, "size": doc.size,
            "sha256": doc.sha256, "signed": doc.signed, "planId": doc.plan_id, "uploadedBy": doc.uploaded_by,
            "createdAt": doc.created_at.isoformat()}
