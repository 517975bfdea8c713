"""E-mail to the requester when a dossier's status changes, through a durable outbox.

The facts of the message are written as a `mail` job in the command's own transaction: a rolled-back command
sends nothing, a committed one is delivered by the job runner even if this process dies right after the
commit, with retries and, after the last attempt, an incident admins see. No network call ever runs while
the dossier row is locked.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from app.instrumentation import measured
from app.integrations.mail import outbox_from_config, sender_from_config
from app.models import Commune, Dossier, Job, User, db
from app.procedures import Procedure
from app.procedures import get as get_procedure
from app.services.errors import Forbidden
from app.services.job_signal import wake_after_commit

MAIL_OPERATION = "mail/status"
# (subject, sentence) the requester is told per status; a status not listed sends nothing.
STATUS_TEXT = {
    "submitted": ("Đã nộp hồ sơ", "đã được nộp và đang chờ cán bộ tiếp nhận kiểm tra."),
    "supplement_requested": ("Cần bổ sung hồ sơ", "cần bổ sung, hoàn thiện theo phiếu yêu cầu bổ sung."),
    "receipt_refused": ("Từ chối tiếp nhận", "bị từ chối tiếp nhận; lý do ghi trong phiếu từ chối."),
    "processing": ("Đã tiếp nhận, đang giải quyết", "đã được tiếp nhận và đang được giải quyết."),
    "awaiting_verification": ("Đang xác minh", "đang được xác minh."),
    "awaiting_confirmation": ("Đề nghị xác nhận dự thảo", "có dự thảo; đề nghị ông/bà kiểm tra, xác nhận."),
    "awaiting_signature": ("Đang trình ký", "đang chờ lãnh đạo Ủy ban nhân dân ký."),
    "awaiting_handover": (
        "Mời nhận {result}",
        "đã có kết quả; mời các bên cùng có mặt để ký sổ và nhận giấy.",
    ),
    "result_ready": ("Đã có kết quả", "đã có kết quả; mời ông/bà đến nhận theo phiếu hẹn."),
    "completed": ("Đã trả kết quả", "đã hoàn thành và đã trả kết quả."),
    "refused": ("Từ chối đăng ký", "bị từ chối đăng ký; lý do ghi trong văn bản từ chối."),
    "withdrawn": ("Đã rút hồ sơ", "đã được rút."),
}


@measured("mail")  # the benchmarks' time breakdown (app/instrumentation.py)
def queue_status_mail(dossier: Dossier, previous: str | None, now: datetime) -> None:
    """Write a mail job for the requester if the status changed (previous None: the dossier is new)."""
    if previous == dossier.status or dossier.status not in STATUS_TEXT or not has_app_context():
        return
    requester = (dossier.data or {}).get("requester") or {}
    email = requester.get("email") if isinstance(requester, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return
    commune = db.session.get(Commune, dossier.commune_code)
    procedure = get_procedure(dossier.procedure)
    # only plain facts are stored; the message is built and sent by the job runner, after the commit
    facts = {
        "operation": MAIL_OPERATION,
        "to": email,
        "sender": sender_from_config(current_app.config),
        "code": dossier.code,
        "status": dossier.status,
        "full_name": requester.get("full_name") or "",
        "place": f"UBND {commune.name}" if commune else f"UBND xã/phường {dossier.commune_code}",
        "procedure": procedure.name,
        "result": _result_title(procedure),
        "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        "now": now.isoformat(),
    }
    db.session.add(
        Job(kind="mail", dossier_id=dossier.id, status="pending", run_at=now, created_at=now, payload=facts)
    )
    wake_after_commit()


def _result_title(procedure: Procedure) -> str:
    """What the requester comes to collect: the procedure's settling document ("Giấy chứng nhận kết hôn")."""
    found = next((d for d in procedure.documents if d.resolves), None)
    return found.title if found else "kết quả"


def compose(facts: dict[str, Any]) -> EmailMessage:
    """The Vietnamese status mail for one status change."""
    message = EmailMessage()
    message["From"] = facts["sender"]
    message["To"] = facts["to"]
    subject, sentence = STATUS_TEXT[facts["status"]]
    message["Subject"] = f"Hồ sơ {facts['code']}: {subject.format(result=facts.get('result') or 'kết quả')}"
    message["Date"] = format_datetime(datetime.fromisoformat(facts["now"]))
    # the same facts give the same id: a mail re-sent after a failed attempt is recognisably one mail
    digest = hashlib.sha256(f"{facts['code']}|{facts['status']}|{facts['now']}".encode()).hexdigest()[:20]
    message["Message-ID"] = f"<{digest}.{facts['code']}@hotich.invalid>"
    message["X-Hotich-Dossier"] = facts["code"]  # whose data the mail holds (the admin's outbox read log)
    lines = [
        f"Kính gửi ông/bà {facts['full_name']},".replace(" ,", ","),
        "",
        f"Hồ sơ {facts['procedure']} mã số {facts['code']} tại {facts['place']} {sentence}",
    ]
    if facts["due_at"] and facts["status"] not in ("completed", "refused", "receipt_refused", "withdrawn"):
        from app.domain.calendar import LOCAL_TZ

        due = datetime.fromisoformat(facts["due_at"]).astimezone(LOCAL_TZ)
        lines.append(f"Hẹn trả kết quả: {due:%H:%M ngày %d/%m/%Y}.")
    lines += ["", "Đây là thư tự động của hệ thống hộ tịch, vui lòng không trả lời thư này."]
    message.set_content("\n".join(lines))
    return message


def deliver_mail(facts: dict[str, Any]) -> str:
    """Send one queued status mail (the job runner calls this outside any transaction)."""
    return outbox_from_config(current_app.config).send(compose(facts))


def queued_mails(actor: User) -> list[dict[str, Any]]:
    """Status mails not delivered yet (waiting, being sent, or failed after every attempt), for admins."""
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên xem hộp thư đi.")
    jobs = db.session.scalars(
        select(Job).where(Job.kind == "mail", Job.status != "done").order_by(Job.id)
    ).all()
    return [
        {
            "id": j.id,
            "code": j.payload.get("code"),
            "to": j.payload.get("to"),
            "subject": f"Hồ sơ {j.payload.get('code')}: {STATUS_TEXT[j.payload['status']][0]}"
            if j.payload.get("status") in STATUS_TEXT
            else str(j.payload.get("code")),
            "status": j.status,
            "attempts": j.attempts,
            "last_error": j.last_error,
            "run_at": j.run_at,
        }
        for j in jobs
    ]
