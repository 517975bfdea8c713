"""The service-task operations a diagram may call.

Internal operations touch only our own database and run inside the command's transaction (their results are
recorded as events, so a replay serves them back). External operations talk to the population registry:
they become jobs and their results come back later as recorded commands.

Internal: rules/evaluate, dossier/accept (due date, fee, appointment slip), documents/issue (also the
apology's new appointment, the C11 timeliness of a supplement request and the on-time outcome),
register/enter, notice/post (abandoned child, 7 days), verification/request and verification/resume
(marital-status verification; the wait pauses the clock, C8), deadline/extend (5 working days when the
conditions need verification). External: registry/lookup_parties, registry/register_birth|marriage|death.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.domain.calendar import LOCAL_TZ
from app.domain.deadlines import (
    is_registration_late,
    processing_working_days,
    supplement_request_due_at,
    verification_reply_due_at,
)
from app.domain.findings import Finding
from app.domain.kinship import FunctionKinshipGraph
from app.domain.rules import RuleContext
from app.engine.scripting import DEFERRED, ServiceDispatcher
from app.models import Attachment, Dossier, db
from app.procedures import LOOKUP_OPERATION, all_procedures
from app.procedures import get as procedure_of
from app.services.audit import PendingEvent
from app.services.register_entries import enter_in_register
from app.services.runtime import runtime


class _ExternalOperations(Set[str]):
    """The party lookup and every registered procedure's registry operations (read when asked, so a
    procedure registered later is included)."""

    def _current(self) -> frozenset[str]:
        ops = {LOOKUP_OPERATION}
        for procedure in all_procedures():
            ops.update(procedure.registry_operations)
        return frozenset(ops)

    def __contains__(self, operation: object) -> bool:
        return operation in self._current()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._current()))

    def __len__(self) -> int:
        return len(self._current())


EXTERNAL_OPERATIONS: Set[str] = _ExternalOperations()
INACTIVE_STATUSES = ("refused", "receipt_refused", "withdrawn")
# NĐ 123/2015 Art. 14(1): the finding of an abandoned child is posted for 7 consecutive days.
POSTING_DAYS = 7


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


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
        calendar=runtime().calendar,
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


def task_due_at(dossier: Dossier, info: Any, now: datetime) -> datetime:
    """An open task's due date: its own limit (`due_working_days` on the user task) counted from now, else
    the dossier's due date, else (before acceptance) one working day from now (C7)."""
    calendar = runtime().calendar
    if info is not None and getattr(info, "due_working_days", None):
        return calendar.due_at(now, int(info.due_working_days))
    return dossier.due_at or calendar.due_at(now, 1)


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
    """Receipt: the due date (C7, working days), the late flag and the fee; then the appointment slip.

    The processing time counts from the (re)receipt of the complete dossier: the submission, the latest
    supplement, or the end of an abandoned child's posting. The statutory due date is kept apart as
    `result["original_due_at"]`: an apology slip moves the appointment, never the on-time yardstick.
    """
    rt = runtime()
    dossier = d.dossier
    procedure = procedure_of(dossier.procedure)
    form = data.get("dossier") or {}
    needs_verification = bool((data.get("verification") or {}).get("needed"))
    days = processing_working_days(procedure.limits, needs_verification=needs_verification)
    start = processing_start(dossier, data)
    due = rt.calendar.due_at(start, days)
    happened = procedure.event_date(form)
    late = bool(
        happened
        and is_registration_late(procedure.limits, happened, local_date(dossier.received_at), rt.calendar)
    )
    fee = rt.fees.compute_fee(
        procedure.fee, late=late, copies=int(form.get("copies") or 0), exemption=form.get("fee_exemption")
    )
    dossier.due_at, dossier.late = due, late
    result = {
        "due_at": due.isoformat(),
        "late": late,
        "working_days": days,
        "fee": {
            "amount": fee.amount,
            "exempt_reason": fee.exempt_reason,
            "lines": [list(line) for line in fee.lines],
        },
    }
    dossier.result = {
        **dossier.result,
        "fee": result["fee"],
        "original_due_at": due.isoformat(),
        "deadline": {"start": start.isoformat(), "working_days": days, "paused_working_days": 0},
    }
    from app.services.documents import issue_documents

    result["documents"] = issue_documents(dossier, "appointment_slip", {**data, "acceptance": result}, d.now)
    return result


def processing_start(dossier: Dossier, data: dict[str, Any]) -> datetime:
    """When the processing time starts: the latest of receipt, last supplement and the end of a posting."""
    moments = [dossier.received_at]
    supplemented = (data.get("supplement") or {}).get("received_at")
    for value in (supplemented, (data.get("posting") or {}).get("ends_at")):
        if isinstance(value, str):
            moments.append(datetime.fromisoformat(value))
    return max(moments)


def _issue(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Issue a document; a few kinds also move the dossier: apology (new appointment), supplement request
    (C11 timeliness), the certificate or refusal letter (the dossier is resolved: on time or not)."""
    from app.services.documents import issue_documents, resolves_dossier

    kind = str(params["kind"])
    dossier = d.dossier
    out: dict[str, Any] = {}
    if kind == "apology_slip":
        # C10: the slip gives a new appointment; the statutory due date stays in result["original_due_at"]
        new_due = runtime().calendar.due_at(d.now, 1)
        data = {**data, "new_due_at": new_due.isoformat()}
        dossier.due_at = new_due
        dossier.result = {
            **dossier.result,
            "apology": {"issued_at": d.now.isoformat(), "new_due_at": new_due.isoformat()},
        }
        out["new_due_at"] = new_due.isoformat()
    elif kind == "supplement_request":
        out["on_time"] = _check_supplement_timeliness(dossier, data, d.now)
    out["documents"] = issue_documents(dossier, kind, data, d.now)
    if resolves_dossier(dossier.procedure, kind):
        original = dossier.result.get("original_due_at")
        on_time = d.now <= datetime.fromisoformat(original) if original else None
        extra: dict[str, Any] = {"resolved_at": d.now.isoformat(), "on_time": on_time}
        if kind == "refusal_letter":
            src = data.get("officer_examine") or {}
            extra["refused"] = True
            extra["reasons"] = list(src.get("reasons") or []) + ([src["note"]] if src.get("note") else [])
        dossier.result = {**dossier.result, **extra}
    return out


def _check_supplement_timeliness(dossier: Dossier, data: dict[str, Any], now: datetime) -> bool:
    """C11 (NQ 66.7/2025): a supplement request is due within 8 working hours of an online submission (1
    working day otherwise), counted from the receipt or the latest supplement; a late one is flagged."""
    received = dossier.received_at
    latest = (data.get("supplement") or {}).get("received_at")
    if isinstance(latest, str):
        received = datetime.fromisoformat(latest)
    due = supplement_request_due_at(received, dossier.channel, runtime().calendar)
    if now <= due:
        return True
    limit = "8 giờ làm việc" if dossier.channel == "online" else "1 ngày làm việc"
    flag = {
        "rule": "C11",
        "severity": "flag",
        "message": f"Yêu cầu bổ sung hồ sơ phát hành lúc {now.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}, quá hạn "
        f"{limit} kể từ khi nhận hồ sơ (hạn {due.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}).",
        "field": None,
    }
    dossier.result = {**dossier.result, "flags": [*(dossier.result.get("flags") or []), flag]}
    dossier.findings = [*(dossier.findings or []), flag]
    return False


def _post_notice(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """NĐ 123/2015 Art. 14: post the finding of an abandoned child; the first posting stands (idempotent)."""
    existing = d.dossier.result.get("posting")
    if existing:
        return dict(existing)
    days = int(params.get("days") or POSTING_DAYS)
    posting = {
        "started_at": d.now.isoformat(),
        "ends_at": (d.now + timedelta(days=days)).isoformat(),
        "days": days,
    }
    d.dossier.result = {**d.dossier.result, "posting": posting}
    return posting


def _verification_request(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> Any:
    """Ask the commune of residence to verify marital status (NĐ 123 Art. 3 as amended by NĐ 07/2025).

    The reply is due in 3 working days and the wait does not count (C8): the clock pauses from the first
    request until the reply (or the officer's decision to go on without it). Meanwhile the appointment is
    moved by the working days the reply may take.
    """
    rt = runtime()
    dossier = d.dossier
    due = verification_reply_due_at(d.now, rt.calendar)
    findings = (data.get("rule_check") or {}).get("findings") or []
    parties = sorted(
        {
            str(f.get("field") or "").split(".")[0]
            for f in findings
            if f.get("rule") == "KH-04" and f.get("severity") == "route" and f.get("field")
        }
    )
    form, lookups = data.get("dossier") or {}, data.get("lookups") or {}
    to = []
    for role in parties:
        found = lookups.get(role)
        record: dict[str, Any] = found if isinstance(found, dict) else {}
        to.append(record.get("residence_commune_code") or (form.get(role) or {}).get("residence") or "")
    verification = dict(dossier.result.get("verification") or {})
    requests = [*(verification.get("requests") or [])]
    request = {
        "number": len(requests) + 1,
        "subject": str(params.get("subject") or "marital_status"),
        "parties": parties,
        "to": to,
        "sent_at": d.now.isoformat(),
        "due_at": due.isoformat(),
    }
    requests.append(request)
    paused_since = verification.get("paused_since") or d.now.isoformat()
    verification.update(requests=requests, status="pending", paused_since=paused_since)
    deadline = dict(dossier.result.get("deadline") or {})
    if deadline:
        pause = _working_days_paused(datetime.fromisoformat(paused_since), due)
        dossier.due_at = _statutory_due(deadline, int(deadline.get("paused_working_days") or 0) + pause)
    dossier.result = {**dossier.result, "verification": verification}
    return request


def _verification_resume(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> Any:
    """End the verification pause: the due date is extended by the working days spent waiting (C8)."""
    dossier = d.dossier
    verification = dict(dossier.result.get("verification") or {})
    since = verification.pop("paused_since", None)
    paused = _working_days_paused(datetime.fromisoformat(since), d.now) if since else 0
    reply = data.get("verification_reply")
    verification.update(
        status="answered" if isinstance(reply, dict) else "no_reply",
        resumed_at=d.now.isoformat(),
        paused_working_days=int(verification.get("paused_working_days") or 0) + paused,
    )
    if isinstance(reply, dict):
        verification["reply"] = reply
    deadline = dict(dossier.result.get("deadline") or {})
    deadline["paused_working_days"] = int(deadline.get("paused_working_days") or 0) + paused
    due = _statutory_due(deadline, deadline["paused_working_days"])
    dossier.due_at = due
    dossier.result = {
        **dossier.result,
        "verification": verification,
        "deadline": deadline,
        "original_due_at": due.isoformat(),
    }
    return {"due_at": due.isoformat(), "paused_working_days": paused, "answered": isinstance(reply, dict)}


def _extend_deadline(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The officer found that the conditions need verification: the limit becomes 5 working days
    (LHT Art. 18(2) for marriage; portal case 1.000656.01 for death), counted from the same start."""
    dossier = d.dossier
    deadline = dict(dossier.result.get("deadline") or {})
    days = processing_working_days(procedure_of(dossier.procedure).limits, needs_verification=True)
    deadline["working_days"] = max(int(deadline.get("working_days") or 1), days)
    deadline.setdefault("start", dossier.received_at.isoformat())
    due = _statutory_due(deadline, int(deadline.get("paused_working_days") or 0))
    dossier.due_at = due
    dossier.result = {**dossier.result, "deadline": deadline, "original_due_at": due.isoformat()}
    return {"due_at": due.isoformat(), "working_days": deadline["working_days"]}


def _statutory_due(deadline: dict[str, Any], paused_working_days: int) -> datetime:
    start = datetime.fromisoformat(deadline["start"])
    days = int(deadline.get("working_days") or 1)
    return runtime().calendar.due_at(start, days, paused_working_days=paused_working_days)


def _working_days_paused(since: datetime, until: datetime) -> int:
    """Working days after the day the pause began, up to and including the day it ends (C8)."""
    return max(0, runtime().calendar.working_days_between(local_date(since), local_date(until)))


def _register(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return enter_in_register(d.dossier, str(params["kind"]), data, d.now)


INTERNAL_OPERATIONS: dict[str, Callable[[CommandDispatcher, dict[str, Any], dict[str, Any]], Any]] = {
    "rules/evaluate": _rules,
    "dossier/accept": _accept,
    "documents/issue": _issue,
    "register/enter": _register,
    "notice/post": _post_notice,
    "verification/request": _verification_request,
    "verification/resume": _verification_resume,
    "deadline/extend": _extend_deadline,
}


def is_known_operation(operation: str) -> bool:
    """An operation a diagram may call: an internal one, or an external one of a registered procedure."""
    return operation in INTERNAL_OPERATIONS or operation in EXTERNAL_OPERATIONS
