"""Dossier use cases: submit, read, list, supplement, confirm the draft, withdraw, verification replies."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.domain.calendar import local_date
from app.domain.rules.fields import parse_moment
from app.domain.text import nfc
from app.engine.clock import FixedClock
from app.engine.instance import Instance, StateTooLarge
from app.models import Attachment, Commune, Counter, Document, Dossier, DossierParty, OpenTask, User, db
from app.procedures import Procedure, keys
from app.procedures import get as get_procedure
from app.services import locked_rows
from app.services.access import ensure_readable, scope_dossiers
from app.services.attachment_content import UnacceptableFile, clean_filename
from app.services.attachment_content import inspect as inspect_attachment
from app.services.audit import PendingEvent
from app.services.collaborators import collaborators
from app.services.commands import EngineFailure, dossier_command, persist, run_command
from app.services.dossier_details import registry_calls
from app.services.dossier_result import record_result
from app.services.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, TooLarge
from app.services.operations import CommandDispatcher
from app.services.processes import active_version_id, definition_for
from app.services.transaction import write

CHANNELS = ("online", "counter", "post")
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
PAGE_SIZE = 50


def submit_dossier(actor: User, payload: Any, idempotency_key: str | None = None) -> tuple[Dossier, bool]:
    """Create a dossier and start its process; returns (dossier, created). A repeated Idempotency-Key
    returns the first dossier instead of a duplicate."""
    if not actor.has_role("portal", "reception"):
        raise Forbidden("Vai trò của bạn không được nộp hồ sơ.")
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON.")
    payload = nfc(payload)
    if idempotency_key:
        existing = _by_idempotency_key(actor, idempotency_key)
        if existing is not None:
            return existing, False
    procedure, commune_code, channel = (
        payload.get("procedure"),
        payload.get("commune_code"),
        payload.get("channel"),
    )
    fields: dict[str, str] = {}
    if not isinstance(procedure, str) or procedure not in keys():
        *rest, last = keys()
        fields["procedure"] = f"«Thủ tục» phải là {', '.join(rest)} hoặc {last}."
    if channel not in CHANNELS:
        fields["channel"] = "«Kênh nộp» phải là online, counter hoặc post."
    if not isinstance(commune_code, str) or db.session.get(Commune, commune_code) is None:
        fields["commune_code"] = "«Mã xã/phường» không tồn tại."
    if fields:
        raise Invalid("Hồ sơ không hợp lệ.", fields=fields)
    if actor.has_role("portal") and channel != "online":
        raise Forbidden("Cổng dịch vụ công chỉ nộp hồ sơ trực tuyến.")
    if not actor.has_role("portal") and commune_code != actor.commune_code:
        raise NotFound("Không tìm thấy xã/phường.")
    data = payload.get("data")
    record = get_procedure(procedure)
    key = record.process_key
    rt = collaborators()
    errors = rt.forms.validate(key, "submission", data)
    now = rt.clock.now()
    if isinstance(data, dict):
        errors.update(future_dates(procedure, data, now))
    if errors:
        raise Invalid("Hồ sơ có trường không hợp lệ.", fields={f"data.{k}": v for k, v in errors.items()})
    attachments = decode_attachments(payload.get("attachments"), record)
    version_id = active_version_id(key)

    def create() -> tuple[Dossier, bool]:
        if idempotency_key:
            # under the write lock: a concurrent twin that committed first is found here (SQLite), or our
            # insert hits the unique key and `write` runs this again, which then finds it (PostgreSQL)
            first = _by_idempotency_key(actor, idempotency_key)
            if first is not None:
                return first, False
        dossier = _start_dossier(
            actor, procedure, commune_code, channel, data, attachments, version_id, now, idempotency_key
        )
        return dossier, True

    return write(create, retry_on=(IntegrityError,) if idempotency_key else ())


def _by_idempotency_key(actor: User, key: str) -> Dossier | None:
    return db.session.scalars(
        select(Dossier).where(Dossier.submitted_by == actor.username, Dossier.idempotency_key == key)
    ).first()


def _start_dossier(
    actor: User,
    procedure: str,
    commune_code: str,
    channel: str,
    data: dict[str, Any],
    attachments: list[dict[str, Any]],
    version_id: int,
    now: datetime,
    idempotency_key: str | None,
) -> Dossier:
    """Insert the dossier and its attachments and run its process to the first wait state."""
    code = next_dossier_code(commune_code, now)
    dossier = Dossier(
        code=code,
        procedure=procedure,
        commune_code=commune_code,
        channel=channel,
        status="submitted",
        data=data,
        findings=[],
        result={},
        received_at=now,
        process_version_id=version_id,
        state="",
        submitted_by=actor.username,
        idempotency_key=idempotency_key,
        subject_key=subject_key(procedure, data),
    )
    db.session.add(dossier)
    db.session.flush()
    parties = get_procedure(procedure).party_ids(data)
    db.session.add_all(DossierParty(dossier_id=dossier.id, personal_id=p) for p in parties)
    for att in attachments:
        db.session.add(Attachment(dossier_id=dossier.id, added_at=now, **att))
    dispatcher = CommandDispatcher(dossier, now)
    start_data = {
        "dossier": data,
        "meta": {
            "procedure": procedure,
            "channel": channel,
            "commune_code": commune_code,
            "code": code,
            "received_at": now.isoformat(),
        },
    }
    with db.session.no_autoflush:
        try:
            instance = Instance.start(definition_for(version_id), start_data, FixedClock(now), dispatcher)
        except WorkflowException as exc:  # the process failed at run time: this submission fails with 422
            raise EngineFailure(f"Lỗi khi chạy quy trình: {exc}") from exc
    event = PendingEvent(
        "submitted",
        actor.username,
        None,
        {
            "procedure": procedure,
            "channel": channel,
            "commune_code": commune_code,
            "data": data,
            "attachments": [
                {"kind": a["kind"], "filename": a["filename"], "sha256": a["sha256"]} for a in attachments
            ],
        },
    )
    with db.session.no_autoflush:
        try:
            persist(dossier, instance, [event, *dispatcher.events], now, set(), open_task_ids=set())
        except StateTooLarge as exc:
            raise EngineFailure(str(exc)) from exc
    return dossier


def future_dates(procedure: str, data: dict[str, Any], now: datetime) -> dict[str, str]:
    """Dates and moments that lie after now (a birth, a death or a document cannot be in the future): a day
    after today in Hà Nội, or a date-time later than now (KT-02: died at 23:00 today, submitted at 09:00)."""
    out = {}
    today = local_date(now)
    for block, key in get_procedure(procedure).future_date_fields:
        value = (data.get(block) or {}).get(key) if isinstance(data.get(block), dict) else None
        moment = parse_moment(value)
        if moment is None:
            continue
        day, at = moment
        if day > today:
            out[f"{block}.{key}"] = "Ngày này không được sau ngày hôm nay."
        elif at is not None and at > now:
            out[f"{block}.{key}"] = "Thời điểm này không được sau thời điểm hiện tại."
    return out


def decode_attachments(items: Any, record: Procedure) -> list[dict[str, Any]]:
    """The request's attachments decoded and checked: a list of kind/filename/content, each kind one the
    procedure accepts (its record's attachment_kinds), each file a PDF, JPG or PNG within the size cap."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise Invalid(
            "Tệp đính kèm không hợp lệ.", fields={"attachments": "«Tệp đính kèm» phải là một danh sách."}
        )
    if len(items) > MAX_ATTACHMENTS:
        raise TooLarge(f"Tối đa {MAX_ATTACHMENTS} tệp đính kèm.")
    allowed = attachment_kinds(record)
    out, fields = [], {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("kind", "filename", "content_base64")
        ):
            fields[f"attachments.{i}"] = "Tệp đính kèm cần kind, filename và content_base64."
            continue
        if item["kind"] not in allowed:
            fields[f"attachments.{i}.kind"] = (
                f"«Loại giấy tờ» của tệp thứ {i + 1} không thuộc hồ sơ {record.name}; chọn một trong: "
                + ", ".join(f"«{name}»" for name in allowed.values())
                + "."
            )
            continue
        if len(item["content_base64"]) > MAX_ATTACHMENT_BYTES * 4 // 3 + 8:
            limit_mb = MAX_ATTACHMENT_BYTES // 1024 // 1024
            raise TooLarge(
                f"Tệp «{clean_filename(item['filename'])}» vượt quá {limit_mb} MB.",
                fields={f"attachments.{i}.content_base64": "Tệp quá lớn."},
            )
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            fields[f"attachments.{i}.content_base64"] = "Nội dung tệp không phải base64 hợp lệ."
            continue
        try:  # the type is what the bytes are, not what the name or the client says
            found = inspect_attachment(item["filename"], content)
        except UnacceptableFile as exc:
            fields[f"attachments.{i}.content_base64"] = f"Tệp «{clean_filename(item['filename'])}»: {exc}"
            continue
        out.append(
            {
                "kind": item["kind"],
                "filename": found.filename,
                "content_type": found.content_type,
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "content": content,
            }
        )
    if fields:
        raise Invalid("Tệp đính kèm không hợp lệ.", fields=fields)
    return out


def attachment_kinds(record: Procedure) -> dict[str, str]:
    """{kind: Vietnamese name} of the forms/common attachment kinds this procedure accepts, in form order."""
    kind = collaborators().forms.definition("common", "defs", "attachment_kind")
    names = kind.get("x-enum-labels") or {}
    wanted = record.attachment_kinds
    return {str(v): str(names.get(v, v)) for v in kind["enum"] if wanted is None or v in wanted}


def next_dossier_code(commune_code: str, now: datetime) -> str:
    """`<commune>-<yymmdd>-<serial>`: a per-commune, per-day counter incremented in this transaction."""
    day = local_date(now).strftime("%y%m%d")
    key = f"dossier:{commune_code}:{day}"
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Counter).values(key=key, value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[Counter.key], set_={"value": Counter.value + 1})
    value = db.session.execute(stmt.returning(Counter.value)).scalar_one()
    return f"{commune_code}-{day}-{value:04d}"


def commune_of(code: str) -> str:
    """The commune a dossier code was issued in (the first part of `next_dossier_code`'s code): what is left
    to know of a dossier whose row is gone."""
    return code.split("-", 1)[0]


def replace_parties(dossier: Dossier, data: dict[str, Any]) -> None:
    """The dossier's party rows (DossierParty) for its data as it now stands, after a supplement."""
    record = get_procedure(dossier.procedure)
    if not record.party_id_paths:
        return  # birth, death: one subject (subject_key), no party rows to read or write
    wanted = set(record.party_ids(data))
    rows = db.session.scalars(select(DossierParty).where(DossierParty.dossier_id == dossier.id)).all()
    for row in rows:
        if row.personal_id not in wanted:
            db.session.delete(row)
    for pid in sorted(wanted - {row.personal_id for row in rows}):
        db.session.add(DossierParty(dossier_id=dossier.id, personal_id=pid))


def subject_key(procedure: str, data: Any) -> str | None:
    """The procedure's duplicate key (e.g. folded name + date + mother): the same child or deceased
    registered twice shares it; None when the procedure has none."""
    if not isinstance(data, dict):
        return None
    return get_procedure(procedure).subject_key(data)


def get_dossier(actor: User, code: str) -> Dossier:
    dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).first()
    return ensure_readable(actor, dossier)


def list_dossiers(
    actor: User, procedure: str | None, status: str | None, page: int, after: str | None = None
) -> dict[str, Any]:
    """A page of the caller's dossiers, newest first, with the total. `after` (a page's next_cursor)
    continues by keyset on the id, so deep pages cost what the first does and rows added meanwhile
    neither repeat nor hide a row; `page` (OFFSET) is kept for the clients that count pages."""
    query = scope_dossiers(select(Dossier), actor)
    if procedure:
        query = query.where(Dossier.procedure == procedure)
    if status:
        query = query.where(Dossier.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    below = int(after) if after and after.isascii() and after.isdigit() and len(after) <= 18 else None
    listed = query.order_by(Dossier.id.desc())
    if below is not None:
        listed = listed.where(Dossier.id < below)
    else:
        listed = listed.offset((max(page, 1) - 1) * PAGE_SIZE)
    rows = db.session.scalars(listed.limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "items": [summary_view(d) for d in rows],
        "total": total,
        "page": max(page, 1),
        "next_cursor": str(rows[-1].id) if more and rows else None,
    }


def summary_view(d: Dossier) -> dict[str, Any]:
    return {
        "code": d.code,
        "procedure": d.procedure,
        "status": d.status,
        "commune_code": d.commune_code,
        "channel": d.channel,
        "received_at": d.received_at.isoformat(),
        "due_at": d.due_at.isoformat() if d.due_at else None,
        "late": d.late,
    }


def dossier_view(d: Dossier, actor: User) -> dict[str, Any]:
    from app.services.tasks import task_view

    tasks = db.session.scalars(select(OpenTask).where(OpenTask.dossier_id == d.id)).all()
    version = definition_for(d.process_version_id)
    from app.models import ProcessVersion

    pv = db.session.get(ProcessVersion, d.process_version_id)
    return {
        **summary_view(d),
        "data": d.data,
        "findings": d.findings,
        "tasks": [task_view(t) for t in tasks],
        "result": d.result,
        "instance_id": d.id,
        "process": {"key": version.key, "version": pv.version if pv else None},
        "registry_calls": registry_calls(d),
    }


def supplement(actor: User, code: str, payload: Any, *, whole: bool = False) -> Dossier:
    """The requester's supplement while the dossier waits for it; data are merged and re-checked.

    ``whole``: the data are the complete declaration (reception's page shows every field, filled in, and an
    official may clear one), so they replace the declaration instead of being merged into it."""
    if not actor.has_role("portal", "reception"):
        raise Forbidden("Vai trò của bạn không được bổ sung hồ sơ.")
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        raise BadRequest("Nội dung bổ sung phải là một đối tượng JSON có trường data.")
    payload = nfc(payload)
    dossier = get_dossier(actor, code)
    merged = (payload.get("data") or {}) if whole else deep_merge(dossier.data, payload.get("data") or {})
    rt = collaborators()
    now = rt.clock.now()
    errors = rt.forms.validate(get_procedure(dossier.procedure).process_key, "submission", merged)
    errors.update(future_dates(dossier.procedure, merged, now))
    if errors:
        raise Invalid(
            "Hồ sơ bổ sung có trường không hợp lệ.", fields={f"data.{k}": v for k, v in errors.items()}
        )
    attachments = decode_attachments(payload.get("attachments"), get_procedure(dossier.procedure))
    # received_at: the processing time (and the C11 supplement deadline) counts again from here
    message = {"data": merged, "received_at": now.isoformat()}
    event = PendingEvent("message", actor.username, "supplement", {"name": "supplement", "payload": message})

    def apply(dossier: Dossier) -> Dossier:
        if dossier.status != "supplement_requested":
            raise Conflict("Hồ sơ không ở trạng thái chờ bổ sung.")
        for att in attachments:
            db.session.add(Attachment(dossier_id=dossier.id, added_at=now, **att))
        if attachments:
            locked_rows.forget_attachments(dossier)  # the lock read the attachments before these
        run_command(dossier, event, now, _deliver("supplement", message, "Hồ sơ không còn chờ bổ sung."))
        dossier.subject_key = subject_key(dossier.procedure, merged)
        replace_parties(dossier, merged)
        return dossier

    return dossier_command(apply, code=code)


def _deliver(name: str, payload: dict[str, Any], not_waiting: str) -> Callable[[Instance], None]:
    """The command's action: hand the message to the process, which must be waiting for it. The status alone
    does not say so: after a supplement it stays "supplement_requested" until the new registry lookup is done,
    and a second supplement in that window must be refused (409), not recorded as if it had been taken."""

    def action(instance: Instance) -> None:
        if not instance.waits_for_message(name):
            raise Conflict(not_waiting)
        instance.send_message(name, payload)

    return action


def confirm_draft(actor: User, code: str, payload: Any) -> Dossier:
    """The requester's answer to the electronic draft (online channel)."""
    if not actor.has_role("portal"):
        raise Forbidden("Chỉ Cổng dịch vụ công gửi xác nhận dự thảo.")
    if not isinstance(payload, dict) or not isinstance(payload.get("confirmed"), bool):
        raise Invalid("Thiếu xác nhận.", fields={"confirmed": "«Xác nhận» phải là true hoặc false."})
    answer = nfc({"confirmed": payload["confirmed"], "corrections": str(payload.get("corrections") or "")})
    get_dossier(actor, code)
    now = collaborators().clock.now()
    event = PendingEvent(
        "message", actor.username, "draft_confirmation", {"name": "draft_confirmation", "payload": answer}
    )

    def apply(dossier: Dossier) -> Dossier:
        if dossier.status != "awaiting_confirmation":
            raise Conflict("Hồ sơ không ở trạng thái chờ xác nhận dự thảo.")
        run_command(
            dossier,
            event,
            now,
            _deliver("draft_confirmation", answer, "Hồ sơ không còn chờ xác nhận dự thảo."),
        )
        return dossier

    return dossier_command(apply, code=code)


# a dossier may be withdrawn until its event is entered in the register (then it is registered, not pending)
WITHDRAWABLE_STATUSES = frozenset(
    {
        "submitted",
        "supplement_requested",
        "processing",
        "awaiting_verification",
        "awaiting_confirmation",
        "awaiting_signature",
        "awaiting_handover",
    }
)
MAX_NOTE = 2000


def withdraw(actor: User, code: str, payload: Any) -> Dossier:
    """The requester withdraws the dossier (portal for online dossiers, reception of the commune).

    The workflow instance is cancelled in this command: open tasks, waits and timers end, the event
    "withdrawn" is recorded (replay cancels at the same point) and the status becomes `withdrawn`.
    """
    if not actor.has_role("portal", "reception"):
        raise Forbidden("Vai trò của bạn không được rút hồ sơ.")
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu rút hồ sơ phải là một đối tượng JSON.")
    reason = payload.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Invalid("Lý do rút hồ sơ không hợp lệ.", fields={"reason": "«Lý do» phải là chuỗi ký tự."})
    reason = nfc((reason or "").strip())[:MAX_NOTE]
    get_dossier(actor, code)
    now = collaborators().clock.now()
    event = PendingEvent("withdrawn", actor.username, None, {"reason": reason})

    def apply(dossier: Dossier) -> Dossier:
        if dossier.status not in WITHDRAWABLE_STATUSES or dossier.result.get("register"):
            raise Conflict(
                "Hồ sơ đã được giải quyết hoặc đã vào sổ đăng ký, không thể rút.", code="not_withdrawable"
            )
        previous = dossier.status
        # replay cancels the instance at this same event (app.services.replay)
        run_command(dossier, event, now, lambda inst: inst.workflow.cancel(), status="withdrawn")
        dossier.next_timer_at = None
        dossier.completed_at = now
        withdrawn = {"at": now.isoformat(), "by": actor.username, "reason": reason, "status_before": previous}
        record_result(dossier, withdrawn=withdrawn)
        return dossier

    return dossier_command(apply, code=code)


def verification_reply(actor: User, code: str, payload: Any) -> Dossier:
    """Record the verifying commune's answer on marital status (received by the dossier's commune)."""
    if not actor.has_role("reception", "officer"):
        raise Forbidden("Chỉ cán bộ tiếp nhận hoặc công chức hộ tịch ghi nhận kết quả xác minh.")
    if not isinstance(payload, dict) or not isinstance(payload.get("confirmed_single"), bool):
        raise Invalid(
            "Thiếu kết quả xác minh.",
            fields={"confirmed_single": "«Xác nhận độc thân» phải là true hoặc false."},
        )
    note = payload.get("note")
    if note is not None and not isinstance(note, str):
        raise Invalid("Ghi chú không hợp lệ.", fields={"note": "«Ghi chú» phải là chuỗi ký tự."})
    get_dossier(actor, code)
    now = collaborators().clock.now()
    answer = nfc(
        {
            "confirmed_single": payload["confirmed_single"],
            "note": (note or "").strip()[:MAX_NOTE],
            "recorded_by": actor.username,
            "recorded_at": now.isoformat(),
        }
    )

    def action(instance: Instance) -> None:
        if not instance.waits_for_message("verification_reply"):
            raise Conflict("Hồ sơ không chờ kết quả xác minh.")
        instance.send_message("verification_reply", answer)

    event = PendingEvent(
        "message", actor.username, "verification_reply", {"name": "verification_reply", "payload": answer}
    )

    def apply(dossier: Dossier) -> Dossier:
        if dossier.status != "awaiting_verification":
            raise Conflict("Hồ sơ không ở trạng thái chờ kết quả xác minh.")
        run_command(dossier, event, now, action)
        return dossier

    return dossier_command(apply, code=code)


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            deep_merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def list_documents(actor: User, code: str) -> list[dict[str, Any]]:
    dossier = get_dossier(actor, code)
    docs = db.session.scalars(
        select(Document).where(Document.dossier_id == dossier.id).order_by(Document.id)
    ).all()
    return [
        {
            "name": d.name,
            "kind": d.kind,
            "title": d.title,
            "issued_at": d.issued_at.isoformat(),
            "verify_token": d.verify_token,
        }
        for d in docs
    ]


def get_document(actor: User, code: str, name: str) -> Document:
    dossier = get_dossier(actor, code)
    doc = db.session.scalars(
        select(Document).where(Document.dossier_id == dossier.id, Document.name == name)
    ).first()
    if doc is None:
        raise NotFound("Không tìm thấy giấy tờ.")
    return doc
