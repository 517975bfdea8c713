"""documents/issue (with what some kinds change on the dossier) and notice/post (an abandoned child)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.domain.calendar import LOCAL_TZ
from app.domain.deadlines import (
    apology_due_at,
    supplement_request_due_at,
)
from app.models import Dossier
from app.procedures.documents import signer
from app.services.collaborators import collaborators
from app.services.documents import issue_documents, resolves_dossier, sign_issued
from app.services.dossier_result import Flag, add_flags, record_result
from app.services.operations.verification import add_confirmation_time

if TYPE_CHECKING:
    from app.services.operations.dispatch import CommandDispatcher


# NĐ 123/2015 Art. 14(1): the finding of an abandoned child is posted for 7 consecutive days.
POSTING_DAYS = 7


def issue(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Issue a document; a few kinds also move the dossier: apology (new appointment), supplement request
    (C11 timeliness), the electronic draft (the citizen's confirmation day is added to the due date), the
    certificate or refusal letter (the dossier is resolved: on time or not)."""
    kind = str(params["kind"])
    dossier = d.dossier
    out: dict[str, Any] = {}
    if kind == "apology_slip":
        # The diagrams arm this at every step the dossier waits; it is sent once per appointment about to be
        # missed, never for a result already issued
        skip = apology_not_needed(dossier, d.now)
        if skip:
            return {"issued": False, "reason": skip, "documents": []}
        # C10: the slip gives a new appointment; the statutory due date stays in result["original_due_at"]
        # a working day after the appointment it replaces (sent before it, the slip must move it)
        calendar = collaborators().calendar
        new_due = max(calendar.due_at(d.now, 1), calendar.due_at(dossier.due_at or d.now, 1))
        data = {**data, "new_due_at": new_due.isoformat()}
        dossier.due_at = new_due
        record_result(dossier, apology={"issued_at": d.now.isoformat(), "new_due_at": new_due.isoformat()})
        out["new_due_at"] = new_due.isoformat()
    elif kind == "supplement_request":
        out["on_time"] = _check_supplement_timeliness(dossier, data, d.now)
    elif kind.endswith("_draft"):
        # the electronic draft sent for confirmation: the citizen's day is added to the due date (the
        # diagrams keep this result as `deadline`, which their apology timers read)
        out.update(add_confirmation_time(d, data, params))
    out["documents"] = issue_documents(dossier, kind, data, d.now)
    # Luật Hộ tịch Art. 16(2), 34(2): printed with its Số and Quyển số before the chairman signs; the dossier
    # is resolved when the chairman signs and issues it (documents/sign)
    # (an electronic draft sent for confirmation resolves nothing)
    draft = kind.endswith("_draft")
    if resolves_dossier(dossier.procedure, kind) and not draft and not params.get("before_signature"):
        original = dossier.result.get("original_due_at")
        on_time = d.now <= datetime.fromisoformat(original) if original else None
        extra: dict[str, Any] = {"resolved_at": d.now.isoformat(), "on_time": on_time}
        if kind == "refusal_letter":
            extra["refused"] = True
            extra["reasons"] = refusal_reasons(data)
        record_result(dossier, **extra)
    return out


def apology_not_needed(dossier: Dossier, now: datetime) -> str | None:
    """Why no apology slip is due now (None: send it): the result is issued, or an earlier slip gave an
    appointment that is not close yet."""
    if dossier.result.get("resolved_at"):
        return "Kết quả đã được ký, cấp: không phải xin lỗi, hẹn lại."
    apology = dossier.result.get("apology") or {}
    # the slip's new appointment is one working day away: its own warning moment is the same-day one
    if (
        apology
        and dossier.due_at is not None
        and now < apology_due_at(dossier.due_at, 1, collaborators().calendar)
    ):
        return "Đã gửi phiếu xin lỗi và hẹn lại; ngày hẹn mới chưa đến."
    return None


def refusal_reasons(data: dict[str, Any]) -> list[str]:
    """The officer's reasons, or the chairman's when the chairman refused to sign after the entry."""
    chairman = data.get("chairman_sign") or {}
    if chairman.get("decision") == "refuse":
        return [str(chairman.get("note") or "Người có thẩm quyền từ chối ký.")]
    src = data.get("officer_examine") or {}
    return list(src.get("reasons") or []) + ([src["note"]] if src.get("note") else [])


def sign_documents(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The chairman (or "KT. CHỦ TỊCH" a vice-chairman) signs and issues the printed certificate or extract:
    the signer goes on every printed copy and the dossier is resolved (on time or not)."""
    kind = str(params["kind"])
    dossier = d.dossier
    signer_block = signer(data, "chairman_sign")
    names = sign_issued(dossier, kind, signer_block, d.now)
    original = dossier.result.get("original_due_at")
    on_time = d.now <= datetime.fromisoformat(original) if original else None
    record_result(dossier, resolved_at=d.now.isoformat(), on_time=on_time, signed_at=d.now.isoformat())
    return {"documents": names, "signer": signer_block}


def _check_supplement_timeliness(dossier: Dossier, data: dict[str, Any], now: datetime) -> bool:
    """C11 (NQ 66.7/2025): a supplement request is due within 8 working hours of an online submission (1
    working day otherwise), counted from the receipt or the latest supplement; a late one is flagged."""
    received = dossier.received_at
    latest = (data.get("supplement") or {}).get("received_at")
    if isinstance(latest, str):
        received = datetime.fromisoformat(latest)
    due = supplement_request_due_at(received, dossier.channel, collaborators().calendar)
    if now <= due:
        return True
    limit = "8 giờ làm việc" if dossier.channel == "online" else "1 ngày làm việc"
    flag: Flag = {
        "rule": "C11",
        "severity": "flag",
        "message": f"Yêu cầu bổ sung hồ sơ phát hành lúc {now.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}, quá hạn "
        f"{limit} kể từ khi nhận hồ sơ (hạn {due.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}).",
        "field": None,
    }
    add_flags(dossier, [flag])
    return False


def post_notice(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
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
    record_result(d.dossier, posting=posting)
    return posting
