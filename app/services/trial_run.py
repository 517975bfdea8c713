"""Test-run a draft before deploying it: the real command path on a throw-away database.

The draft is deployed into a fresh in-memory SQLite database of its own application (schema, the dossier's
commune, one official per role, the demo persons in the embedded registry stand-in). A sample dossier (the
procedure's fixture, or the analyst's edited copy of it) is submitted there and driven task after task with
the decisions the analyst chose, running jobs and timers as the job runner would (the sandbox clock jumps to
each due timer). Nothing reaches the real database: no dossier, register entry, number, registry person or
mail.
Each step reports the BPMN elements done and active and the process data, for the diagram and the data table.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.domain.calendar import local_date
from app.engine.clock import FixedClock
from app.engine.instance import Instance
from app.models import Commune, Dossier, OpenTask, User, db
from app.procedures import UnknownProcedure, by_process_key
from app.procedures.record import Procedure
from app.services import dossiers, tasks
from app.services.collaborators import collaborators
from app.services.errors import BadRequest, Forbidden, Invalid, NotFound, ServiceError
from app.services.jobs import run_pending
from app.services.operations import ReplayDispatcher
from app.services.processes import _store_version, canonical_xml, definition_for, validate_bpmn
from app.services.seed import add_demo_persons
from app.services.transaction import write

MAX_STEPS = 60
SANDBOX_ROLES = ("reception", "officer", "chairman")
CHANNELS = ("counter", "online", "post")


def _options(procedure: Procedure, payload: Any) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]]]:
    """(channel, submission data, {task id: form}) from the request; the procedure's sample fills gaps."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON.")
    if procedure.sample is None:
        raise Invalid(f"Thủ tục «{procedure.title}» chưa có hồ sơ mẫu để chạy thử.")
    sample = procedure.sample(local_date(collaborators().clock.now()))
    channel = payload.get("channel") or sample["channel"]
    if channel not in CHANNELS:
        raise BadRequest(
            "Kênh nộp hồ sơ không hợp lệ.", fields={"channel": "Chọn trực tiếp, trực tuyến hoặc bưu chính."}
        )
    data = payload.get("data", sample["data"])
    if not isinstance(data, dict):
        raise BadRequest(
            "Dữ liệu mẫu phải là một đối tượng JSON.", fields={"data": "Phải là đối tượng JSON."}
        )
    decisions = payload.get("decisions") or {}
    if not isinstance(decisions, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in decisions.items()
    ):
        raise BadRequest(
            "Quyết định cho từng nhiệm vụ phải có dạng {mã nhiệm vụ: {trường: giá trị}}.",
            fields={"decisions": "Sai định dạng."},
        )
    return channel, data, decisions


def trial_run(key: str, xml: bytes, payload: Any, actor: User) -> dict[str, Any]:
    """Run a draft end to end on a throw-away instance; the steps, the path and the data after each step."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được chạy thử quy trình.")
    try:
        procedure = by_process_key(key)
    except UnknownProcedure:
        raise NotFound(f"Không có thủ tục nào ứng với quy trình «{key}».") from None
    author = actor.username  # read now: inside the sandbox the actor's proxy would look in the sandbox
    channel, data, decisions = _options(procedure, payload)
    report = validate_bpmn(key, xml)
    if not report["ok"]:
        raise Invalid("Sơ đồ chưa hợp lệ nên chưa chạy thử được.", extra={"errors": report["errors"]})
    xml = canonical_xml(xml)
    now = collaborators().clock.now()
    commune_code = "00070"
    commune = db.session.get(Commune, commune_code)
    if commune is None:
        commune = db.session.scalars(select(Commune).order_by(Commune.code).limit(1)).first()
    if commune is None:
        raise Invalid("Chưa có xã/phường nào trong hệ thống để chạy thử.")
    commune_row = {c: getattr(commune, c) for c in ("code", "name", "province_code", "province_name")}
    forms = {name: dict(form) for name, form in procedure.sample_forms.items()}
    with _sandbox(now) as sandbox:
        with sandbox.app_context():
            try:
                return _drive(procedure, xml, commune_row, channel, data, decisions, forms, author)
            finally:
                db.session.remove()
                db.engine.dispose()


@contextmanager
def _sandbox(now: datetime) -> Iterator[Flask]:
    """A second application on an in-memory database, its own clock, the embedded registry, no job runner."""
    from app import create_app

    with tempfile.TemporaryDirectory(prefix="hotich-test-run-") as outbox:
        yield create_app(
            {
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SQLALCHEMY_ENGINE_OPTIONS": {},
                "HOTICH_CLOCK": FixedClock(now),
                "HOTICH_JOB_RUNNER": "off",
                "HOTICH_REGISTRY_URL": None,
                "HOTICH_MAIL_OUTBOX": outbox,
                "SECRET_KEY": current_app.config["SECRET_KEY"],
                "HOTICH_VERIFY_BASE_URL": current_app.config["HOTICH_VERIFY_BASE_URL"],
            }
        )


def _seed(procedure: Procedure, xml: bytes, commune: dict[str, Any], author: str) -> dict[str, User]:
    db.create_all()

    def seed() -> dict[str, User]:
        db.session.add(Commune(**commune))
        users = {}
        for role in SANDBOX_ROLES:
            user = User(
                username=f"thu_nghiem.{role}",
                full_name=f"Thử nghiệm ({role})",
                password_hash="!",  # no password: nobody logs in to a sandbox
                roles_csv=role,
                commune_code=commune["code"],
                scope_csv="",
            )
            db.session.add(user)
            users[role] = user
        add_demo_persons()
        _store_version(procedure.process_key, xml, author)
        return users

    return write(seed)


def _drive(
    procedure: Procedure,
    xml: bytes,
    commune: dict[str, Any],
    channel: str,
    data: dict[str, Any],
    decisions: Mapping[str, dict[str, Any]],
    forms: Mapping[str, dict[str, Any]],
    author: str,
) -> dict[str, Any]:
    users = _seed(procedure, xml, commune, author)
    clock = collaborators().clock
    assert isinstance(clock, FixedClock)
    submission = {
        "procedure": procedure.key,
        "commune_code": commune["code"],
        "channel": channel,
        "data": data,
    }
    dossier, _ = dossiers.submit_dossier(users["reception"], submission)
    dossier_id = dossier.id
    steps = [_step(dossier_id, "start", None, None, None, "Nộp hồ sơ (mẫu)")]
    stopped: str | None = None
    for _ in range(MAX_STEPS):
        run_pending()
        row = db.session.scalars(
            select(OpenTask)
            .where(OpenTask.dossier_id == dossier_id)
            .order_by(OpenTask.created_at, OpenTask.id)
        ).first()
        dossier = _dossier(dossier_id)
        if row is not None:
            info = definition_for(dossier.process_version_id).user_tasks.get(row.task_key)
            form_name = (info.form or "").removesuffix(".json") if info else ""
            form = {**copy.deepcopy(dict(forms.get(form_name, {}))), **decisions.get(row.task_key, {})}
            try:
                tasks.complete_task(users[row.role], row.id, {"data": form})
            except ServiceError as exc:
                stopped = f"Nhiệm vụ «{row.title}» không hoàn thành được: {exc.message}"
                fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
                stopped += f" ({fields})" if fields else ""
                break
            steps.append(_step(dossier_id, "task", row.task_key, row.role, form, row.title))
            continue
        if dossier.completed_at is not None or _finished(dossier):
            break
        if dossier.next_timer_at is not None:
            clock.at = max(clock.at, dossier.next_timer_at) + timedelta(seconds=1)
            run_pending()
            steps.append(_step(dossier_id, "timer", None, None, None, "Hẹn giờ đến hạn"))
            continue
        stopped = "Quy trình dừng lại: không có nhiệm vụ, hẹn giờ hay thao tác nào đang chờ (chờ tin nhắn?)."
        break
    else:
        stopped = f"Dừng sau {MAX_STEPS} bước (có vòng lặp?)."
    dossier = _dossier(dossier_id)
    last = steps[-1]
    return {
        "finished": _finished(dossier),
        "status": dossier.status,
        "stopped": stopped,
        "steps": steps,
        "completed": last["completed"],
        "active": last["active"],
        "result": copy.deepcopy(dossier.result),
        "sandbox": True,
    }


def _dossier(dossier_id: int) -> Dossier:
    dossier = db.session.get(Dossier, dossier_id, populate_existing=True)
    assert dossier is not None
    return dossier


def _instance(dossier: Dossier) -> Instance:
    definition = definition_for(dossier.process_version_id)
    return Instance.load(definition, dossier.state, FixedClock(dossier.received_at), ReplayDispatcher([]))


def _finished(dossier: Dossier) -> bool:
    return bool(_instance(dossier).workflow.is_completed())


def _step(
    dossier_id: int,
    kind: str,
    element_id: str | None,
    role: str | None,
    form: dict[str, Any] | None,
    title: str,
) -> dict[str, Any]:
    dossier = _dossier(dossier_id)
    instance = _instance(dossier)
    db.session.commit()  # end the read transaction: the next command takes the write lock
    return {
        "kind": kind,
        "element_id": element_id,
        "title": title,
        "role": role,
        "form": form,
        "status": dossier.status,
        "completed": instance.completed_elements(),
        "active": instance.active_elements(),
        "data": copy.deepcopy(instance.data()),
    }


def run_payload(key: str, payload: Any, actor: User) -> dict[str, Any]:
    """Test-run the diagram in `payload["xml"]`, else the saved draft, else the newest active version."""
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON.")
    xml = payload.get("xml")
    if xml is None:
        from app.services.process_drafts import get_draft

        xml = get_draft(key, actor)["xml"]
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest("Thiếu sơ đồ để chạy thử.", fields={"xml": "Sơ đồ trống."})
    return trial_run(key, xml.encode("utf-8"), payload, actor)
