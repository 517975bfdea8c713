"""The service-task operations a diagram may call.

Internal operations touch only our own database and run inside the command's transaction (their results are
recorded as events, so a replay serves them back). External operations talk to the population registry:
they become jobs and their results come back later as recorded commands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.domain.deadlines import is_registration_late, processing_working_days
from app.domain.findings import Finding
from app.domain.kinship import FunctionKinshipGraph
from app.domain.rules import RuleContext, evaluate_birth, evaluate_death, evaluate_marriage
from app.domain.rules.fields import parse_date, parse_moment
from app.engine.scripting import DEFERRED, ServiceDispatcher
from app.models import Dossier, RegisterBook, RegisterEntry, db
from app.services.audit import PendingEvent
from app.services.runtime import runtime

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
EXTERNAL_OPERATIONS = frozenset(
    {
        "registry/lookup_parties",
        "registry/register_birth",
        "registry/register_marriage",
        "registry/register_death",
    }
)
PARTY_ROLES = {
    "birth": ("mother", "father", "requester"),
    "marriage": ("bride", "groom", "requester"),
    "death": ("deceased", "requester"),
}
EVENT_DATE_PATH = {"birth": ("child", "birth_date"), "death": ("death", "at")}
INACTIVE_STATUSES = ("refused", "receipt_refused", "withdrawn")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def event_date(procedure: str, data: dict[str, Any]) -> date | None:
    path = EVENT_DATE_PATH.get(procedure)
    if path is None:
        return None
    value = (data.get(path[0]) or {}).get(path[1])
    if procedure == "death":
        moment = parse_moment(value)
        return moment[0] if moment else None
    return parse_date(value)


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
    """Run the procedure's rules (KS-/KH-/KT-) against the dossier data and the recorded lookups."""
    roles = {k: v for k, v in lookups.items() if k != "family"}
    existing = _existing_registrations(dossier) if dossier.subject_key else []
    ctx = RuleContext(
        registration_date=local_date(now),
        commune_code=dossier.commune_code,
        lookups=roles,
        officer_personal_id=officer_personal_id,
        kinship=kinship_from_lookups(lookups),
        existing_births=existing if dossier.procedure == "birth" else (),
        existing_deaths=existing if dossier.procedure == "death" else (),
        calendar=runtime().calendar,
    )
    evaluate = {"birth": evaluate_birth, "marriage": evaluate_marriage, "death": evaluate_death}[
        dossier.procedure
    ]
    return evaluate(data, ctx)


def _existing_registrations(dossier: Dossier) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Dossier.code, Dossier.data).where(
            Dossier.subject_key == dossier.subject_key,
            Dossier.id != dossier.id,
            Dossier.procedure == dossier.procedure,
            Dossier.status == "completed",
        )
    ).all()
    out = []
    for code, data in rows:
        child = data.get("child") or data.get("deceased") or {}
        out.append(
            {
                "code": code,
                "full_name": child.get("full_name"),
                "birth_date": child.get("birth_date"),
                "mother_personal_id": (data.get("mother") or {}).get("personal_id"),
            }
        )
    return out


class CommandDispatcher(ServiceDispatcher):
    """Runs internal operations for one command and records their results; defers external ones."""

    def __init__(self, dossier: Dossier, now: datetime) -> None:
        self.dossier = dossier
        self.now = now
        self.events: list[PendingEvent] = []

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in EXTERNAL_OPERATIONS:
            return DEFERRED
        handler = INTERNAL_OPERATIONS.get(operation)
        if handler is None:
            raise ValueError(f"unknown service operation {operation}")
        result = handler(self, task.data, params)
        self.events.append(
            PendingEvent(
                "internal_result", "system", task.task_spec.name, {"operation": operation, "result": result}
            )
        )
        return result


class ReplayDispatcher(ServiceDispatcher):
    """Serves recorded internal results back, in order, while a dossier is re-executed."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        self.recorded = recorded

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in EXTERNAL_OPERATIONS:
            return DEFERRED
        if not self.recorded or self.recorded[0]["operation"] != operation:
            raise LookupError(f"no recorded result for {operation}")
        return self.recorded.pop(0)["result"]


# -- internal operations ----------------------------------------------------------------------------------
def _rules(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    findings = evaluate_rules(d.dossier, data.get("dossier") or {}, data.get("lookups") or {}, d.now)
    d.dossier.findings = [f.to_dict() for f in findings]
    return {"findings": d.dossier.findings}


def _accept(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Receipt: the due date (C7, working days), the late flag and the fee; then the appointment slip."""
    rt = runtime()
    dossier = d.dossier
    form = dossier_data = data.get("dossier") or {}
    needs_verification = bool((data.get("verification") or {}).get("needed"))
    days = processing_working_days(dossier.procedure, needs_verification=needs_verification)
    due = rt.calendar.due_at(dossier.received_at, days)
    happened = event_date(dossier.procedure, dossier_data)
    late = bool(
        happened
        and is_registration_late(dossier.procedure, happened, local_date(dossier.received_at), rt.calendar)
    )
    fee = rt.fees.compute_fee(
        dossier.procedure, late=late, copies=int(form.get("copies") or 0), exemption=form.get("fee_exemption")
    )
    dossier.due_at, dossier.late = due, late
    result = {
        "due_at": due.isoformat(),
        "late": late,
        "fee": {
            "amount": fee.amount,
            "exempt_reason": fee.exempt_reason,
            "lines": [list(line) for line in fee.lines],
        },
    }
    dossier.result = {**dossier.result, "fee": result["fee"]}
    from app.services.documents import issue_documents

    result["documents"] = issue_documents(dossier, "appointment_slip", {**data, "acceptance": result}, d.now)
    return result


def _issue(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from app.services.documents import issue_documents

    return {"documents": issue_documents(d.dossier, str(params["kind"]), data, d.now)}


def _register(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The next entry of this commune's book for the year; the UPDATE takes the book's row lock (no gaps)."""
    kind = str(params["kind"])
    dossier = d.dossier
    registered_on = local_date(d.now)
    book = _open_book(dossier.commune_code, kind, registered_on)
    number = db.session.execute(
        update(RegisterBook)
        .where(RegisterBook.id == book.id, RegisterBook.closed_at.is_(None))
        .values(last_number=RegisterBook.last_number + 1)
        .returning(RegisterBook.last_number)
    ).scalar_one_or_none()
    if number is None:
        raise ValueError(f"Sổ {book.number} đã khóa, không thể ghi thêm.")
    classification = _classification(dossier, data)
    summary = _register_summary(dossier.procedure, data.get("dossier") or {})
    db.session.add(
        RegisterEntry(
            book_id=book.id,
            number=number,
            dossier_id=dossier.id,
            registered_on=registered_on,
            classification=classification,
            summary=summary,
        )
    )
    entry = {
        "book": book.number,
        "number": number,
        "registered_on": registered_on.isoformat(),
        "classification": classification,
    }
    dossier.result = {
        **dossier.result,
        "register": {"book": book.number, "number": number},
        "registered_on": registered_on.isoformat(),
        "classification": classification,
    }
    return entry


def _open_book(commune_code: str, kind: str, on: date) -> RegisterBook:
    book = db.session.scalars(
        select(RegisterBook).where(
            RegisterBook.commune_code == commune_code, RegisterBook.kind == kind, RegisterBook.year == on.year
        )
    ).first()
    if book is None:
        book = RegisterBook(
            commune_code=commune_code,
            kind=kind,
            year=on.year,
            number=f"01/{on.year}",
            opened_on=on,
            last_number=0,
        )
        db.session.add(book)
        db.session.flush()
    return book


def _classification(dossier: Dossier, data: dict[str, Any]) -> str:
    special = (data.get("dossier") or {}).get("special_case")
    if dossier.procedure == "birth" and special == "abandoned":
        return "tre_bi_bo_roi"
    if dossier.procedure == "birth" and special == "parents_unknown":
        return "chua_xac_dinh_cha_me"
    if dossier.procedure == "marriage":
        return "dang_ky_moi"
    return "qua_han" if dossier.late else "dung_han"


def _register_summary(procedure: str, data: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "birth": ("child", "mother", "father", "requester"),
        "marriage": ("bride", "groom"),
        "death": ("deceased", "death", "death_notice", "requester"),
    }[procedure]
    return {k: data.get(k) for k in keys}


INTERNAL_OPERATIONS: dict[str, Callable[[CommandDispatcher, dict[str, Any], dict[str, Any]], Any]] = {
    "rules/evaluate": _rules,
    "dossier/accept": _accept,
    "documents/issue": _issue,
    "register/enter": _register,
}
KNOWN_OPERATIONS = frozenset(INTERNAL_OPERATIONS) | EXTERNAL_OPERATIONS
