"""The analysts' drafts of a process: saved on the server, guarded against two analysts overwriting each
other.

Each key has at most one draft. Its `version` is the ETag: a save must name the version it was based on
(`If-Match`); when somebody saved in between, the save is refused with 409 and the analyst reloads. Deploying
a draft deploys exactly what was saved, through the same validation as any other deploy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.domain.calendar import LOCAL_TZ
from app.engine.definition import KNOWN_ROLES
from app.engine.xml import UnsafeXmlError
from app.models import ProcessDraft, ProcessVersion, User, db
from app.procedures import UnknownProcedure, by_process_key
from app.services.collaborators import collaborators
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionRequired
from app.services.operations import EXTERNAL_OPERATIONS, INTERNAL_OPERATIONS
from app.services.processes import active_version, canonical_xml, deploy_version
from app.services.transaction import write

READ_ROLES = ("analyst", "admin", "auditor")


def _require(actor: User, *roles: str) -> None:
    if not actor.has_role(*roles):
        raise Forbidden("Chỉ chuyên viên quy trình được sửa bản nháp quy trình.")


def _procedure_key(key: str) -> str:
    try:
        return by_process_key(key).process_key
    except UnknownProcedure:
        raise NotFound(f"Không có thủ tục nào ứng với quy trình «{key}».") from None


def _view(row: ProcessDraft) -> dict[str, Any]:
    return {
        "key": row.key,
        "xml": row.bpmn_xml,
        "version": row.version,
        "base_version": row.base_version,
        "author": row.author,
        "updated_at": row.updated_at.isoformat(),
        "saved": True,
    }


def get_draft(key: str, actor: User) -> dict[str, Any]:
    """The saved draft, or (version 0, not saved) the newest active version to start from."""
    _require(actor, *READ_ROLES)
    key = _procedure_key(key)
    row = db.session.get(ProcessDraft, key)
    if row is not None:
        return _view(row)
    newest = active_version(key, required=False)
    return {
        "key": key,
        "xml": newest.bpmn_xml if newest else "",
        "version": 0,
        "base_version": newest.version if newest else None,
        "author": None,
        "updated_at": None,
        "saved": False,
    }


def parse_if_match(header: str | None) -> int | None:
    """The draft version an `If-Match` header names ("3", W/"3" or 3); None when absent; 400-free: an
    unreadable value names no version and so never matches."""
    if header is None or not header.strip():
        return None
    value = header.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else -1


def _stale(row: ProcessDraft | None) -> Conflict:
    if row is None:
        return Conflict(
            "Bản nháp này đã bị xoá hoặc chưa từng được lưu. Hãy tải lại trang để lấy bản mới nhất.",
            code="stale_draft",
            extra={"current_version": 0},
        )
    when = row.updated_at.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
    return Conflict(
        f"Bản nháp đã được {row.author} lưu lúc {when} (phiên bản {row.version}) sau khi bạn mở nó. "
        "Hãy tải lại bản mới nhất rồi sửa tiếp; thay đổi của bạn chưa được lưu.",
        code="stale_draft",
        extra={"current_version": row.version, "author": row.author},
    )


def save_draft(key: str, xml: bytes, if_match: int | None, actor: User) -> dict[str, Any]:
    """Store the analyst's diagram as the new draft version; 409 when `if_match` is not the current one."""
    _require(actor, "analyst")
    key = _procedure_key(key)
    if if_match is None:
        raise PreconditionRequired(
            "Thiếu tiêu đề If-Match (phiên bản bản nháp đang sửa); hãy tải lại trang soạn thảo."
        )
    if not xml.strip():
        raise Invalid("Bản nháp trống.", fields={"xml": "Sơ đồ trống."})
    try:
        text = canonical_xml(xml).decode("utf-8")
    except (UnsafeXmlError, ValueError, TypeError) as exc:
        raise Invalid(f"Sơ đồ không đọc được: {exc}", fields={"xml": str(exc)}) from exc
    now = collaborators().clock.now()

    def save() -> ProcessDraft:
        if if_match == 0:
            newest = active_version(key, required=False)
            row = ProcessDraft(
                key=key,
                bpmn_xml=text,
                version=1,
                base_version=newest.version if newest else None,
                author=actor.username,
                updated_at=now,
            )
            db.session.add(row)
            db.session.flush()  # a concurrent first save: the primary key refuses the second
            return row
        # the conditional UPDATE is the lock: of two saves naming the same version only one matches
        result = db.session.execute(
            update(ProcessDraft)
            .where(ProcessDraft.key == key, ProcessDraft.version == if_match)
            .values(bpmn_xml=text, version=ProcessDraft.version + 1, author=actor.username, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _stale(db.session.get(ProcessDraft, key, populate_existing=True))
        saved = db.session.get(ProcessDraft, key, populate_existing=True)
        assert saved is not None
        return saved

    try:
        return _view(write(save))
    except IntegrityError:
        db.session.rollback()
        raise _stale(db.session.get(ProcessDraft, key, populate_existing=True)) from None


def discard_draft(key: str, if_match: int | None, actor: User) -> None:
    """Throw the draft away (the deployed versions stay); guarded like a save."""
    _require(actor, "analyst")
    key = _procedure_key(key)
    if if_match is None:
        raise PreconditionRequired("Thiếu tiêu đề If-Match (phiên bản bản nháp muốn xoá).")

    def drop() -> None:
        result = db.session.execute(
            delete(ProcessDraft).where(ProcessDraft.key == key, ProcessDraft.version == if_match)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _stale(db.session.get(ProcessDraft, key, populate_existing=True))

    write(drop)


def saved_draft(key: str, if_match: int | None, actor: User) -> ProcessDraft:
    """The stored draft the caller is looking at (If-Match required; 409 when it changed meanwhile)."""
    _require(actor, *READ_ROLES)
    key = _procedure_key(key)
    if if_match is None:
        raise PreconditionRequired("Thiếu tiêu đề If-Match (phiên bản bản nháp).")
    row = db.session.get(ProcessDraft, key, populate_existing=True)
    if row is None or row.version != if_match:
        raise _stale(row)
    return row


def deploy_draft(key: str, if_match: int | None, actor: User) -> ProcessVersion:
    """Deploy the saved draft as the next version (422 with the findings when it does not validate)."""
    row = saved_draft(key, if_match, actor)
    return deploy_version(row.key, row.bpmn_xml.encode("utf-8"), actor)


def modeler_options(key: str, actor: User) -> dict[str, Any]:
    """What the modeler's panels offer: the lanes' roles, the procedure's forms, the service operations,
    the dossier statuses, and the procedure's required checkpoints (mirrored by the browser lint)."""
    _require(actor, *READ_ROLES)
    procedure = by_process_key(_procedure_key(key))
    return {
        "key": procedure.process_key,
        "procedure": procedure.key,
        "roles": list(KNOWN_ROLES),
        "forms": [f"{name}.json" for name in collaborators().forms.form_names(procedure.process_key)],
        "operations": sorted(set(INTERNAL_OPERATIONS) | set(EXTERNAL_OPERATIONS)),
        "checkpoints": [
            {"task_id": c.task_id, "role": c.role, "title": c.title} for c in procedure.checkpoints
        ],
        "register_operation": "register/enter",
        "void_operation": "register/void",
    }


def draft_etag(version: int) -> str:
    return f'"{version}"'
