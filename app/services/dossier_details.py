"""Read-only details of one dossier for its page: attachments, registry lookups, pending work, diagram.

Every function takes a dossier already obtained through dossiers.get_dossier (so scoped to the caller).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import Attachment, AuditEvent, Document, Dossier, Job, ProcessVersion, User, db
from app.services.access import ensure_readable
from app.services.errors import NotFound

LOOKUP_OPERATION = "registry/lookup_parties"


def list_attachments(dossier: Dossier) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(
            Attachment.id,
            Attachment.kind,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.added_at,
        )
        .where(Attachment.dossier_id == dossier.id)
        .order_by(Attachment.id)
    ).all()
    return [row._asdict() for row in rows]


def get_attachment(actor: User, dossier: Dossier, attachment_id: int) -> Attachment:
    """The attachment if it belongs to this (readable) dossier; 404 otherwise."""
    ensure_readable(actor, dossier)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.dossier_id != dossier.id:
        raise NotFound("Không tìm thấy tệp đính kèm.")
    return attachment


def registry_lookups(dossier: Dossier) -> dict[str, Any]:
    """The newest population-registry lookup recorded for the dossier: {role: record or None}."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.dossier_id == dossier.id, AuditEvent.type == "external_result")
        .order_by(AuditEvent.seq.desc())
    )
    for ev in events:
        if (ev.data or {}).get("operation") == LOOKUP_OPERATION:
            result = ev.data.get("result")
            return dict(result) if isinstance(result, dict) else {}
    return {}


def pending_calls(dossier: Dossier) -> int:
    """Registry calls still queued or running for the dossier (the page waits for them)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.dossier_id == dossier.id,
                Job.kind == "service_call",
                Job.status.in_(("pending", "running")),
            )
        )
        or 0
    )


WAITING_JOB_STATUSES = ("pending", "running", "failed")


def registry_calls(dossier: Dossier) -> list[dict[str, Any]]:
    """The registry calls the dossier waits on, and what happens next: `pending` (first attempt under
    way), `retrying` (an outage; the runner tries again at `next_attempt_at`), `failed` (every attempt
    failed) or `rejected` (the registry refused; `reason` says why). Both of the last two are incidents
    an admin retries; the dossier continues when the call succeeds."""
    jobs = db.session.scalars(
        select(Job)
        .where(Job.dossier_id == dossier.id, Job.kind == "service_call", Job.status.in_(WAITING_JOB_STATUSES))
        .order_by(Job.id)
    )
    return [call_state(job) for job in jobs]


def call_state(job: Job) -> dict[str, Any]:
    if job.status == "failed":
        state = "rejected" if job.failure == "rejected" else "failed"
    elif job.attempts > 0 and job.last_error and job.status == "pending":
        state = "retrying"
    else:
        state = "pending"
    return {
        "operation": job.payload.get("operation"),
        "state": state,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "next_attempt_at": job.run_at.isoformat() if state == "retrying" else None,
        # the registry's own words for a refusal; an outage's technical error is for the admin only
        "reason": job.last_error if state == "rejected" else None,
        "since": job.created_at.isoformat(),
    }


def actor_names(usernames: set[str]) -> dict[str, str]:
    """Full names of the officials who acted on a dossier (usernames in the audit trail)."""
    if not usernames:
        return {}
    rows = db.session.execute(select(User.username, User.full_name).where(User.username.in_(usernames)))
    return {username: full_name for username, full_name in rows}


def process_xml(dossier: Dossier) -> str:
    """The BPMN of the version the dossier is pinned to."""
    version = db.session.get(ProcessVersion, dossier.process_version_id)
    if version is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    return version.bpmn_xml


def requested_supplement(dossier: Dossier) -> dict[str, Any] | None:
    """What the latest Phiếu yêu cầu bổ sung asked for (its items, note, when and its document name), or
    None while the dossier has none: the supplement page shows reception the very words the citizen got."""
    doc = db.session.scalars(
        select(Document)
        .where(Document.dossier_id == dossier.id, Document.kind == "supplement_request")
        .order_by(Document.issued_at.desc(), Document.id.desc())
    ).first()
    if doc is None:
        return None
    context = doc.context or {}
    return {
        "missing": [str(x) for x in context.get("missing") or []],
        "note": str(context.get("note") or ""),
        "issued_at": doc.issued_at,
        "name": doc.name,
    }
