"""Citizen e-mail on status changes: queued in the command's transaction, written after commit."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.integrations.mail import FileOutbox, SmtpOutbox, list_messages, outbox_from_config, read_message
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def outbox(app: Any) -> Path:
    return Path(app.config["HOTICH_MAIL_OUTBOX"])


def subjects(app: Any) -> list[str]:
    """The subjects of the mails delivered once the job runner has run (mails are jobs of the outbox)."""
    with app.app_context():
        run_pending()
        db.session.remove()
    return sorted(m.subject for m in list_messages(outbox(app)))


def test_each_status_change_mails_the_requester_once(app: Any, client: Any) -> None:
    api = Api(client)
    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    assert not list_messages(outbox(app))  # written in the transaction, delivered by the job runner
    assert subjects(app) == [f"Hồ sơ {code}: Đã nộp hồ sơ"]
    assert len(subjects(app)) == 1  # the registry lookup does not change the status: no mail
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    assert f"Hồ sơ {code}: Đã tiếp nhận, đang giải quyết" in subjects(app)
    accepted = next(m for m in list_messages(outbox(app)) if m.subject.endswith("đang giải quyết"))
    message = read_message(outbox(app), accepted.name)
    assert message["To"] == "an@example.vn"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Kính gửi ông/bà Nguyễn Văn An" in body and "Phường Hoàn Kiếm" in body
    assert "Hẹn trả kết quả: 17:00 ngày 10/03/2026" in body


def test_a_requester_without_email_gets_no_mail(app: Any, client: Any) -> None:
    data = birth_submission()
    del data["data"]["requester"]["email"]
    assert Api(client).post("reception.hoankiem", "/dossiers", json=data).status_code == 201
    assert subjects(app) == []


def test_a_mail_survives_a_failing_outbox_and_is_retried(app: Any, client: Any, monkeypatch: Any) -> None:
    """The mail is a job committed with the status change: a dead process or a failing mail server loses
    nothing; admins see it waiting, then it is delivered on a later attempt."""
    from app.models import Job

    def refuse(self: Any, message: Any) -> str:
        raise OSError("mail server down")

    monkeypatch.setattr(FileOutbox, "send", refuse)
    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending(max_rounds=1)
        mail = db.session.scalars(select(Job).where(Job.kind == "mail")).one()
        assert (mail.status, mail.attempts) == ("pending", 1)
        assert "mail server down" in (mail.last_error or "")
        db.session.remove()
    # not an incident yet: it is retried with backoff
    assert Api(client).get("admin", "/incidents").get_json() == []
    monkeypatch.undo()
    clock = app.extensions["hotich"].clock
    clock.advance(seconds=3)
    assert subjects(app) == [f"Hồ sơ {code}: Đã nộp hồ sơ"]


def test_a_rolled_back_command_queues_no_mail(app: Any, client: Any) -> None:
    from app.models import Job

    data = birth_submission()
    data["data"]["child"]["birth_date"] = "2999-01-01"  # rejected: nothing is written, no mail either
    assert Api(client).post("reception.hoankiem", "/dossiers", json=data).status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Job)).all() == []
        db.session.remove()
    assert subjects(app) == []


def test_file_outbox_writes_whole_eml_files(tmp_path: Path) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["To"], message["Subject"], message["Date"] = (
        "a@example.vn",
        "Thử",
        "Tue, 10 Mar 2026 09:00:00 +0700",
    )
    message.set_content("Nội dung có dấu")
    name = FileOutbox(tmp_path).send(message)
    assert name.startswith("20260310T020000-") and name.endswith(".eml")
    parsed = BytesParser(policy=policy.default).parsebytes((tmp_path / name).read_bytes())
    assert parsed["Subject"] == "Thử"
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(KeyError):
        read_message(tmp_path, "../secret")


def test_smtp_is_used_when_a_host_is_configured(tmp_path: Path) -> None:
    box = outbox_from_config({"HOTICH_SMTP_HOST": "smtp.example.vn", "HOTICH_MAIL_OUTBOX": str(tmp_path)})
    assert isinstance(box, SmtpOutbox) and box.host == "smtp.example.vn" and box.port == 587
    assert isinstance(outbox_from_config({"HOTICH_MAIL_OUTBOX": str(tmp_path)}), FileOutbox)
