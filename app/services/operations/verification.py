"""verification/request and verification/resume (marital status; the wait pauses the clock, C8) and
deadline/extend (5 working days when the conditions need verification)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.calendar import local_date
from app.domain.deadlines import (
    apology_due_at,
    draft_confirmation_extension,
    processing_working_days,
    verification_reply_due_at,
)
from app.procedures import get as procedure_of
from app.services.collaborators import collaborators
from app.services.dossier_result import record_result

if TYPE_CHECKING:
    from app.services.operations.dispatch import CommandDispatcher


def request_verification(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> Any:
    """Ask the commune of residence to verify marital status (NĐ 123 Art. 3 as amended by NĐ 07/2025).

    The reply is due in 3 working days and the wait does not count (C8): the clock pauses from the first
    request until the reply (or the officer's decision to go on without it). Meanwhile the appointment is
    moved by the working days the reply may take.
    """
    rt = collaborators()
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
    record_result(dossier, verification=verification)
    return request


def resume_verification(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> Any:
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
    record_result(dossier, verification=verification, deadline=deadline, original_due_at=due.isoformat())
    return {
        "due_at": due.isoformat(),
        "apology_at": _apology_at(deadline, due).isoformat(),
        "paused_working_days": paused,
        "answered": isinstance(reply, dict),
    }


def extend_deadline(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The officer found that the conditions need verification: the limit becomes 5 working days
    (LHT Art. 18(2) for marriage; portal case 1.000656.01 for death), counted from the same start."""
    dossier = d.dossier
    deadline = dict(dossier.result.get("deadline") or {})
    days = processing_working_days(procedure_of(dossier.procedure).limits, needs_verification=True)
    deadline["working_days"] = max(int(deadline.get("working_days") or 1), days)
    deadline.setdefault("start", dossier.received_at.isoformat())
    due = _statutory_due(deadline, int(deadline.get("paused_working_days") or 0))
    dossier.due_at = due
    record_result(dossier, deadline=deadline, original_due_at=due.isoformat())
    return {
        "due_at": due.isoformat(),
        "apology_at": _apology_at(deadline, due).isoformat(),
        "working_days": deadline["working_days"],
    }


def add_confirmation_time(
    d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The electronic draft goes to the citizen, who has 1 day to confirm (silence = consent, S1–S3).

    That day is the citizen's, not the office's: like a verification wait (C8) it does not count toward the
    processing time, and the portal lists the online case with one more day. The working hours it covers are
    added to the due date when the draft is sent, so the appointment is known at once and an early answer
    only leaves the office more time; a dossier is never late because the citizen took the day.
    """
    rt = collaborators()
    dossier = d.dossier
    deadline = dict(dossier.result.get("deadline") or {})
    hours = draft_confirmation_extension(d.now, rt.calendar)
    original = dossier.result.get("original_due_at")
    statutory = datetime.fromisoformat(original) if original else dossier.due_at or d.now
    due = rt.calendar.add_working_hours(statutory, hours)
    if dossier.due_at is None or dossier.due_at < due:
        dossier.due_at = due
    deadline["confirmation_working_hours"] = round(
        float(deadline.get("confirmation_working_hours") or 0) + hours, 4
    )
    record_result(dossier, deadline=deadline, original_due_at=due.isoformat())
    return {
        "due_at": due.isoformat(),
        "apology_at": _apology_at(deadline, due).isoformat(),
        "confirmation_working_hours": hours,
    }


def _apology_at(deadline: dict[str, Any], due: datetime) -> datetime:
    return apology_due_at(due, int(deadline.get("working_days") or 1), collaborators().calendar)


def _statutory_due(deadline: dict[str, Any], paused_working_days: int) -> datetime:
    start = datetime.fromisoformat(deadline["start"])
    days = int(deadline.get("working_days") or 1)
    return collaborators().calendar.due_at(start, days, paused_working_days=paused_working_days)


def _working_days_paused(since: datetime, until: datetime) -> int:
    """Working days after the day the pause began, up to and including the day it ends (C8)."""
    return max(0, collaborators().calendar.working_days_between(local_date(since), local_date(until)))
