"""rules/evaluate: the procedure's rules (KS-/KH-/KT-) against the dossier data and the recorded lookups."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from app.domain.calendar import local_date
from app.domain.findings import Finding, blocking
from app.domain.kinship import FunctionKinshipGraph
from app.domain.rules import RuleContext
from app.models import Attachment, Dossier, DossierParty, RegisterEntry, db
from app.procedures import get as procedure_of
from app.services import locked_rows
from app.services.collaborators import collaborators
from app.services.errors import Invalid

if TYPE_CHECKING:
    from app.services.operations.dispatch import CommandDispatcher


INACTIVE_STATUSES = ("refused", "receipt_refused", "withdrawn")
# lookup entries that are not a party's record
NOT_ROLES = ("family", "official_family", "marital_verification", "registry_births")


def kinship_from_lookups(lookups: dict[str, Any]) -> FunctionKinshipGraph:
    """A kinship graph over the records the lookup job fetched (and the deciding official's family, if any).

    Marriages count from either side and include former ones (`former_spouse_personal_ids`, and the late
    spouse a widowed person keeps as `spouse_personal_id`), adoptions from the adoptive-parent fields.
    """
    family: dict[str, dict[str, Any]] = {}
    for source in (lookups.get("family"), lookups.get("official_family")):
        if isinstance(source, dict):
            family.update({k: v for k, v in source.items() if isinstance(v, dict)})
    for value in lookups.values():
        if isinstance(value, dict) and value.get("personal_id"):
            family.setdefault(value["personal_id"], value)
    married: dict[str, set[str]] = {}
    for pid, rec in family.items():
        others = [rec.get("spouse_personal_id"), *(rec.get("former_spouse_personal_ids") or [])]
        for other in others:
            if isinstance(other, str) and other and other != pid:
                married.setdefault(pid, set()).add(other)
                married.setdefault(other, set()).add(pid)

    def parents(pid: str) -> tuple[str | None, str | None]:
        rec = family.get(pid) or {}
        return rec.get("mother_personal_id"), rec.get("father_personal_id")

    def adoptive(pid: str) -> list[str]:
        rec = family.get(pid) or {}
        return [
            p for p in (rec.get("adoptive_mother_personal_id"), rec.get("adoptive_father_personal_id")) if p
        ]

    def spouses(pid: str) -> list[str]:
        return sorted(married.get(pid, ()))

    return FunctionKinshipGraph(parents=parents, adoptive_parents=adoptive, spouses=spouses)


def evaluate_rules(
    dossier: Dossier,
    data: dict[str, Any],
    lookups: dict[str, Any],
    now: datetime,
    officer_personal_id: str | None = None,
    official_family: dict[str, Any] | None = None,
) -> list[Finding]:
    """Run the procedure's rules (KS-/KH-/KT-) against the dossier data and the recorded lookups.

    Besides the registry records, the rules see the kinds of the attached files, the other commune's reply
    to a marital-status verification (kept in `lookups["marital_verification"]`), and the dossier-level
    flags recorded by the process itself (e.g. C11: a supplement request issued late).
    """
    procedure = procedure_of(dossier.procedure)
    if official_family:  # the deciding official's own family links, looked up before the command
        lookups = {**lookups, "official_family": official_family}
    births = lookups.get("registry_births")
    roles = {k: v for k, v in lookups.items() if k not in NOT_ROLES}
    verification = lookups.get("marital_verification")
    existing = _existing_registrations(dossier)
    ctx = RuleContext(
        registration_date=local_date(now),
        commune_code=dossier.commune_code,
        received_on=local_date(dossier.received_at) if dossier.received_at else None,
        lookups=roles,
        officer_personal_id=officer_personal_id,
        kinship=kinship_from_lookups(lookups),
        registry_births=tuple(b for b in births if isinstance(b, dict)) if isinstance(births, list) else (),
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
    locked = locked_rows.attachments(dossier)  # read with the dossier lock
    if locked is not None:
        return frozenset(kind for _, kind, _ in locked)
    return frozenset(db.session.scalars(select(Attachment.kind).where(Attachment.dossier_id == dossier.id)))


def _existing_registrations(dossier: Dossier) -> list[dict[str, Any]]:
    """Registrations (register entries) of the same subject, or naming one of the parties (the procedure's
    party_id_paths), as the procedure's duplicate rules compare them."""
    procedure = procedure_of(dossier.procedure)
    describe = procedure.existing_record
    if describe is None:
        return []
    if dossier.subject_key:
        same = Dossier.subject_key == dossier.subject_key
    else:
        ids = _party_ids(dossier)
        if not ids:
            return []
        same = Dossier.id.in_(select(DossierParty.dossier_id).where(DossierParty.personal_id.in_(ids)))
    # registered = entered in the register book (LHT Art. 5(4)), from the entry on: a dossier still awaiting
    # signature, handover or collection counts; one refused after the entry (entry voided) does not
    rows = db.session.execute(
        select(Dossier.code, Dossier.data)
        .join(RegisterEntry, RegisterEntry.dossier_id == Dossier.id)
        .where(
            same,
            Dossier.id != dossier.id,
            Dossier.procedure == dossier.procedure,
            Dossier.status.not_in(INACTIVE_STATUSES),
        )
    ).all()
    return [describe(code, data) for code, data in rows]


def _party_ids(dossier: Dossier) -> list[str]:
    """The personal ids in the procedure's party fields (marriage: bride and groom), sorted."""
    return procedure_of(dossier.procedure).party_ids(dossier.data if isinstance(dossier.data, dict) else {})


def subject_lock_ids(dossier: Dossier) -> list[int]:
    """The transaction locks one registration of this event takes: its subject (the child, the deceased) or
    each marrying party, as 64-bit ids, in a fixed order (two entries lock them in the same order)."""
    names = [dossier.subject_key] if dossier.subject_key else [f"party|{pid}" for pid in _party_ids(dossier)]
    ids = {int.from_bytes(hashlib.sha256(n.encode()).digest()[:8], "big", signed=True) for n in names}
    return sorted(ids)


def _lock_subjects(dossier: Dossier) -> None:
    """Each command locks only its own dossier's row, so on PostgreSQL two dossiers of the same child or the
    same bride could be entered at once, neither seeing the other's uncommitted entry. The entry first takes a
    transaction lock per subject: the second waits for the first to commit, then reads its entry and is
    refused. (SQLite runs one write transaction at a time already.)"""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for lock_id in subject_lock_ids(dossier):
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def run_rules(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    findings = evaluate_rules(d.dossier, data.get("dossier") or {}, data.get("lookups") or {}, d.now)
    d.dossier.findings = [f.to_dict() for f in findings]
    return {"findings": d.dossier.findings}


# LHT Art. 5(4) (C12): each event is registered once; the rules that find it registered already
ONCE_ONLY_RULES = frozenset({"KS-10", "KH-04", "KT-06"})


def refuse_if_registered_meanwhile(dossier: Dossier, data: dict[str, Any], now: datetime) -> None:
    """At the register entry: a registration of the same child, deceased or marrying party completed since
    this dossier was approved (two dossiers in flight at once) stops the entry; the approval saw neither."""
    _lock_subjects(dossier)
    findings = evaluate_rules(dossier, data.get("dossier") or {}, data.get("lookups") or {}, now)
    found = [f for f in blocking(findings) if f.rule in ONCE_ONLY_RULES]
    if found:
        raise Invalid(
            "Chưa thể ghi sổ: sự kiện hộ tịch này đã được đăng ký ở hồ sơ khác sau khi hồ sơ được phê duyệt.",
            rules=sorted({f.rule for f in found}),
            extra={"findings": [f.to_dict() for f in found]},
        )
