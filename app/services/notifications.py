"""E-mail to the requester when a dossier's status changes.

The message is composed inside the command's transaction but only queued on the session; it is handed to the
Outbox after the commit (SQLAlchemy "after_commit"), so a rolled-back command sends nothing and no network
call ever runs while the dossier row is locked; delivery runs on a background thread (a mail lost in a crash
between commit and delivery is logged nowhere — the status itself is always in the dossier and the portal).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.integrations.mail import outbox_from_config, sender_from_config
from app.models import Commune, Dossier, db
from app.procedures import get as get_procedure

log = logging.getLogger(__name__)
_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotich-mail")
QUEUE_KEY = "hotich_mail"
# (subject, sentence) the requester is told per status; a status not listed sends nothing.
STATUS_TEXT = {
    "submitted": ("Đã nộp hồ sơ", "đã được nộp và đang chờ cán bộ tiếp nhận kiểm tra."),
    "supplement_requested": ("Cần bổ sung hồ sơ", "cần bổ sung, hoàn thiện theo phiếu yêu cầu bổ sung."),
    "receipt_refused": ("Từ chối tiếp nhận", "bị từ chối tiếp nhận; lý do ghi trong phiếu từ chối."),
    "processing": ("Đã tiếp nhận, đang giải quyết", "đã được tiếp nhận và đang được giải quyết."),
    "awaiting_verification": ("Đang xác minh", "đang được xác minh."),
    "awaiting_confirmation": ("Đề nghị xác nhận dự thảo", "có dự thảo; đề nghị ông/bà kiểm tra, xác nhận."),
    "awaiting_signature": ("Đang trình ký", "đang chờ lãnh đạo Ủy ban nhân dân ký."),
    "awaiting_handover": ("Mời nhận Giấy chứng nhận kết hôn", "đã có kết quả; mời hai bên đến nhận giấy."),
    "result_ready": ("Đã có kết quả", "đã có kết quả; mời ông/bà đến nhận theo phiếu hẹn."),
    "completed": ("Đã trả kết quả", "đã hoàn thành và đã trả kết quả."),
    "refused": ("Từ chối đăng ký", "bị từ chối đăng ký; lý do ghi trong văn bản từ chối."),
    "withdrawn": ("Đã rút hồ sơ", "đã được rút."),
}


def queue_status_mail(dossier: Dossier, previous: str | None, now: datetime) -> None:
    """Queue a mail to the requester if the status changed (previous None: the dossier is new)."""
    if previous == dossier.status or dossier.status not in STATUS_TEXT or not has_app_context():
        return
    requester = (dossier.data or {}).get("requester") or {}
    email = requester.get("email") if isinstance(requester, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return
    commune = db.session.get(Commune, dossier.commune_code)
    # only plain facts are gathered here; the message is built and sent after commit, off the request
    db.session.info.setdefault(QUEUE_KEY, []).append(
        {
            "to": email,
            "sender": sender_from_config(current_app.config),
            "code": dossier.code,
            "status": dossier.status,
            "full_name": requester.get("full_name") or "",
            "place": f"UBND {commune.name}" if commune else f"UBND xã/phường {dossier.commune_code}",
            "procedure": get_procedure(dossier.procedure).name,
            "due_at": dossier.due_at,
            "now": now,
        }
    )


def compose(facts: dict[str, Any]) -> EmailMessage:
    """The Vietnamese status mail for one status change."""
    message = EmailMessage()
    message["From"] = facts["sender"]
    message["To"] = facts["to"]
    subject, sentence = STATUS_TEXT[facts["status"]]
    message["Subject"] = f"Hồ sơ {facts['code']}: {subject}"
    message["Date"] = format_datetime(facts["now"])
    message["Message-ID"] = make_msgid(domain="hotich.invalid")
    lines = [
        f"Kính gửi ông/bà {facts['full_name']},".replace(" ,", ","),
        "",
        f"Hồ sơ {facts['procedure']} mã số {facts['code']} tại {facts['place']} {sentence}",
    ]
    if facts["due_at"] and facts["status"] not in ("completed", "refused", "receipt_refused", "withdrawn"):
        from app.domain.calendar import LOCAL_TZ

        lines.append(f"Hẹn trả kết quả: {facts['due_at'].astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y}.")
    lines += ["", "Đây là thư tự động của hệ thống hộ tịch, vui lòng không trả lời thư này."]
    message.set_content("\n".join(lines))
    return message


def _send_queued(session: Session) -> None:
    messages = session.info.pop(QUEUE_KEY, [])
    if not messages or not has_app_context():
        return
    outbox = outbox_from_config(current_app.config)
    if current_app.config.get("TESTING"):
        _deliver(outbox, messages)
    else:
        # off the request thread: writing the outbox or talking SMTP never delays an official's click
        _sender.submit(_deliver, outbox, messages)


def _deliver(outbox: Any, queued: list[dict[str, Any]]) -> None:
    for facts in queued:
        try:
            outbox.send(compose(facts))
        except Exception:  # noqa: BLE001 - the dossier is committed; a lost mail is logged, never fatal
            log.exception("could not send the status mail of %s", facts["code"])


def _drop_queued(session: Session, *args: Any) -> None:
    session.info.pop(QUEUE_KEY, None)


def install() -> None:
    """Register the after-commit hand-off once per process."""
    if not event.contains(Session, "after_commit", _send_queued):
        event.listen(Session, "after_commit", _send_queued)
        event.listen(Session, "after_soft_rollback", _drop_queued)
