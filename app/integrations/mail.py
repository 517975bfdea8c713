"""Outgoing e-mail to citizens: an Outbox that sends by SMTP when HOTICH_SMTP_HOST is set, else writes .eml
files into HOTICH_MAIL_OUTBOX (the default install needs no mail server; an admin page lists the files).

Every message is also kept as an .eml file in the outbox directory: the admin sees what was sent either way.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)
DEFAULT_SENDER = "Hộ tịch <no-reply@hotich.invalid>"
_NAME = re.compile(r"[0-9]{8}T[0-9]{6}-[A-Za-z0-9-]{1,60}\.eml")


class Outbox(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send or store the message; returns the name of the kept .eml file."""
        ...


class FileOutbox:
    """Writes each message as <outbox>/<yyyymmddThhmmss>-<id>.eml (atomically: temp file, then rename)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        when = _message_time(message)
        name = f"{when:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(message.as_bytes(policy=policy.SMTP))
        tmp.replace(self.directory / name)
        return name


class SmtpOutbox:
    """Sends through an SMTP relay (STARTTLS unless HOTICH_SMTP_STARTTLS=0), and keeps a copy as .eml."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10.0,
        archive: FileOutbox | None = None,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.timeout, self.archive = starttls, timeout, archive

    def send(self, message: EmailMessage) -> str:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)
        return self.archive.send(message) if self.archive else ""


def outbox_from_config(config: Any) -> Outbox:
    """SMTP when HOTICH_SMTP_HOST is set (app config or environment), else the .eml directory."""
    files = FileOutbox(config.get("HOTICH_MAIL_OUTBOX") or "instance/outbox")
    # the training space and the modeler's test-run sandbox never mail anyone: their messages stay as files
    if config.get("TRAINING") or config.get("HOTICH_SANDBOX"):
        return files

    def setting(name: str, default: str = "") -> str:
        return str(config.get(name) or os.environ.get(name) or default)

    host = setting("HOTICH_SMTP_HOST")
    if not host:
        return files
    return SmtpOutbox(
        host,
        int(setting("HOTICH_SMTP_PORT", "587")),
        setting("HOTICH_SMTP_USER") or None,
        setting("HOTICH_SMTP_PASSWORD") or None,
        setting("HOTICH_SMTP_STARTTLS", "1") != "0",
        archive=files,
    )


def sender_from_config(config: Any) -> str:
    return str(config.get("HOTICH_MAIL_FROM") or os.environ.get("HOTICH_MAIL_FROM") or DEFAULT_SENDER)


def _message_time(message: EmailMessage) -> datetime:
    try:
        return parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


@dataclass
class StoredMessage:
    name: str
    at: datetime | None
    to: str
    subject: str
    size: int
    dossier: str = ""  # the X-Hotich-Dossier header: the dossier whose requester the mail is written to


def list_messages(directory: str | Path, limit: int = 200) -> list[StoredMessage]:
    """The kept messages, newest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if _NAME.fullmatch(p.name)), reverse=True)[:limit]
    out = []
    for name in names:
        message = read_message(folder, name)
        out.append(
            StoredMessage(
                name=name,
                at=_message_time(message) if message["Date"] else None,
                to=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
                size=(folder / name).stat().st_size,
                dossier=str(message["X-Hotich-Dossier"] or ""),
            )
        )
    return out


def read_message(directory: str | Path, name: str) -> EmailMessage:
    """One kept message; KeyError for a name that is not an outbox file (no path tricks)."""
    path = Path(directory) / name
    if not _NAME.fullmatch(name) or not path.is_file():
        raise KeyError(name)
    with path.open("rb") as fh:
        parsed = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(parsed, EmailMessage)
    return parsed


def message_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""
