"""dossier/accept: the due date in working days (C7), the late flag and the fee, then the appointment slip;
and the due date of an open task."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.calendar import local_date
from app.domain.deadlines import (
    apology_due_at,
    is_registration_late,
    processing_working_days,
)
from app.models import Dossier
from app.procedures import get as procedure_of
from app.services.collaborators import collaborators
from app.services.documents import issue_documents
from app.services.dossier_result import record_result

if TYPE_CHECKING:
    from app.services.operations.dispatch import CommandDispatcher


def task_due_at(dossier: Dossier, info: Any, now: datetime) -> datetime:
    """An open task's due date: its own limit (`due_working_days` on the user task) counted from now, else
    the dossier's due date, else (before acceptance) one working day from now (C7)."""
    calendar = collaborators().calendar
    if info is not None and getattr(info, "due_working_days", None):
        return calendar.due_at(now, int(info.due_working_days))
    return dossier.due_at or calendar.due_at(now, 1)


def accept(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Receipt: the due date (C7, working days), the late flag and the fee; then the appointment slip.

    The processing time counts from the (re)receipt of the complete dossier: the submission, the latest
    supplement, or the end of an abandoned child's posting. The statutory due date is kept apart as
    `result["original_due_at"]`: an apology slip moves the appointment, never the on-time yardstick.
    """
    rt = collaborators()
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
    fee_record: dict[str, Any] = {
        "amount": fee.amount,
        "exempt_reason": fee.exempt_reason,
        "lines": [list(line) for line in fee.lines],
    }
    result = {
        "due_at": due.isoformat(),
        # the diagrams' timers send the apology slip here if the result is not ready by then (C10)
        "apology_at": apology_due_at(due, days, rt.calendar).isoformat(),
        "late": late,
        "working_days": days,
        "fee": fee_record,
    }
    record_result(
        dossier,
        fee=fee_record,
        original_due_at=due.isoformat(),
        deadline={"start": start.isoformat(), "working_days": days, "paused_working_days": 0},
    )
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
