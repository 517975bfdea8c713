"""rules/evaluate: the procedure's rules (KS-/KH-/KT-) against the dossier data and the recorded lookups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.domain.calendar import local_date
from app.domain.findings import Finding
from app.domain.kinship import FunctionKinshipGraph
from app.domain.rules import RuleContext
from app.models import Attachment, Dossier, db
from app.procedures import get as procedure_of
from app.services.collaborators import collaborators

if TYPE_CHECKING:
    from app.services.operations.dispatch import CommandDispatcher


INACTIVE_STATUSES = ("refused", "receipt_refused", "withdrawn")


def kinship_from_lookups(lookups: dict[str, Any]) -> FunctionKinshipGraph:
    """A kinship graph over the family records the lookup job fetched (parents up to three generations)."""
    family: dict[str, dict[str, Any]] = dict(lookups.get("family") or {})
    for value in lookups.values():
        if isinstance(value, dict) and value.get("personal_id"):
            family.setdefault(value["personal_id"], value)

    def parents(pid: str) -> tuple[str | None, str | None]:
        rec = family.get(pid) or {}
        return rec.get("mother_personal_id"), rec.get("father_personal_id")

    def spouses(pid: str) -> list[str]:
        rec = family.get(pid) or {}
        return [rec["spouse_personal_id"]] if rec.get("spouse_personal_id") else []

    return FunctionKinshipGraph(parents=parents, spouses=spouses)


def evaluate_rules(
    dossier: Dossier,
    data: dict[str, Any],
    lookups: dict[str, Any],
    now: datetime,
    officer_personal_id: str | None = None,
) -> list[Finding]:
    """Run the procedure's rules (KS-/KH-/KT-) against the dossier data and the recorded lookups.

    Besides the registry records, the rules see the kinds of the attached files, the other commune's reply
    to a marital-status verification (kept in `lookups["marital_verification"]`), and the dossier-level
    flags recorded by the process itself (e.g. C11: a supplement request issued late).
    """
    procedure = procedure_of(dossier.procedure)
    roles = {k: v for k, v in lookups.items() if k not in ("family", "marital_verification")}
    verification = lookups.get("marital_verification")
    existing = _existing_registrations(dossier) if dossier.subject_key else []
    ctx = RuleContext(
        registration_date=local_date(now),
        commune_code=dossier.commune_code,
        lookups=roles,
        officer_personal_id=officer_personal_id,
        kinship=kinship_from_lookups(lookups),
        calendar=collaborators().calendar,
        attachments=_attachment_kinds(dossier),
        marital_verification=verification if isinstance(verification, dict) else None,
    )
    findings = procedure.evaluate(data, ctx, existing)
    for flag in dossier.result.get("flags") or []:
        findings.append(Finding(flag["rule"], "flag", flag["message"], flag.get("field")))
    return findings


def _attachment_kinds(dossier: Dossier) -> frozenset[str]:
    if dossier.id is None:
        return frozenset()
    return frozenset(db.session.scalars(select(Attachment.kind).where(Attachment.dossier_id == dossier.id)))


def _existing_registrations(dossier: Dossier) -> list[dict[str, Any]]:
    """Completed registrations of the same subject, as the procedure's duplicate rules compare them."""
    describe = procedure_of(dossier.procedure).existing_record
    if describe is None:
        return []
    rows = db.session.execute(
        select(Dossier.code, Dossier.data).where(
            Dossier.subject_key == dossier.subject_key,
            Dossier.id != dossier.id,
            Dossier.procedure == dossier.procedure,
            Dossier.status == "completed",
        )
    ).all()
    return [describe(code, data) for code, data in rows]


def run_rules(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    findings = evaluate_rules(d.dossier, data.get("dossier") or {}, data.get("lookups") or {}, d.now)
    d.dossier.findings = [f.to_dict() for f in findings]
    return {"findings": d.dossier.findings}
