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
import hashlib
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.domain.calendar import local_date
from app.engine.clock import FixedClock
from app.engine.instance import Instance
from app.integrations.registry import new_person
from app.models import Commune, Dossier, OpenTask, Person, User, db
from app.procedures import UnknownProcedure, by_process_key
from app.procedures.record import Procedure
from app.services import dossiers, tasks
from app.services.collaborators import collaborators
from app.services.errors import BadRequest, Forbidden, Invalid, NotFound, RateLimited, ServiceError
from app.services.jobs import run_pending
from app.services.operations import ReplayDispatcher
from app.services.processes import _store_version, canonical_xml, definition_for, validate_bpmn
from app.services.seed import add_demo_persons
from app.services.transaction import write

MAX_STEPS = 60
# a sandbox costs about a second of CPU: a few at a time per process, the others are told to retry (429)
RUNNING = threading.BoundedSemaphore(2)
SANDBOX_ROLES = ("reception", "officer", "chairman")
CHANNELS = ("counter", "online", "post")
DEFAULT_COMMUNE = "00070"  # the fixtures' demo persons live in Phường Hoàn Kiếm


@dataclass
class Sample:
    """The dossier a test-run submits: its channel, commune, data, and the extra registry persons it needs."""

    channel: str
    commune_code: str
    data: dict[str, Any]
    persons: list[dict[str, Any]] = field(default_factory=list)
    source: str = "fixture"


def _sample(procedure: Procedure, payload: dict[str, Any]) -> Sample:
    """The procedure's fixture, the analyst's edit of it, or an anonymised copy of a completed dossier."""
    if payload.get("from_dossier") is not None:
        sample = anonymised_copy(procedure, payload["from_dossier"])
    elif procedure.sample is None:
        raise Invalid(f"Thủ tục «{procedure.title}» chưa có hồ sơ mẫu để chạy thử.")
    else:
        fixture = procedure.sample(local_date(collaborators().clock.now()))
        sample = Sample(fixture["channel"], DEFAULT_COMMUNE, fixture["data"])
        data = payload.get("data", sample.data)
        if not isinstance(data, dict):
            raise BadRequest(
                "Dữ liệu mẫu phải là một đối tượng JSON.", fields={"data": "Phải là đối tượng JSON."}
            )
        sample.data = data
    sample.channel = payload.get("channel") or sample.channel
    if sample.channel not in CHANNELS:
        raise BadRequest(
            "Kênh nộp hồ sơ không hợp lệ.", fields={"channel": "Chọn trực tiếp, trực tuyến hoặc bưu chính."}
        )
    return sample


def _decisions(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    decisions = payload.get("decisions") or {}
    if not isinstance(decisions, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in decisions.items()
    ):
        raise BadRequest(
            "Quyết định cho từng nhiệm vụ phải có dạng {mã nhiệm vụ: {trường: giá trị}}.",
            fields={"decisions": "Sai định dạng."},
        )
    return decisions


FAKE_NAMES = (
    "Nguyễn Văn Thử",
    "Trần Thị Mẫu",
    "Lê Văn Giả",
    "Phạm Thị Định",
    "Hoàng Văn Danh",
    "Vũ Thị Ẩn",
    "Đặng Văn Tạm",
    "Bùi Thị Thế",
)
_PERSONAL_ID = re.compile(r"^\d{12}$")


class _Anonymiser:
    """Replaces who the people are, consistently within one copy (the same person gets the same fake name
    and id everywhere, so the registry lookups and the rules still agree), keeping what the law looks at:
    dates, sexes, relationships, places of the procedure."""

    def __init__(self) -> None:
        self.salt = secrets.token_bytes(16)  # per copy: a fake id says nothing about the real one
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def personal_id(self, value: str) -> str:
        if value not in self.ids:
            digest = hashlib.sha256(self.salt + value.encode()).digest()
            # province, century/sex and year of birth stay (the format checks read them); the serial is new
            self.ids[value] = value[:6] + f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"
        return self.ids[value]

    def name(self, value: str) -> str:
        if value not in self.names:
            n = len(self.names)
            fake = FAKE_NAMES[n % len(FAKE_NAMES)]
            self.names[value] = fake if n < len(FAKE_NAMES) else f"{fake} {n // len(FAKE_NAMES) + 1}"
        return self.names[value]

    def copy(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.copy(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, key) for v in value]
        if not isinstance(value, str) or not value:
            return value
        if _PERSONAL_ID.match(value):
            return self.personal_id(value)
        if key in ("full_name", "declarant_name", "name", "signer_name"):
            return self.name(value)
        if key == "phone":
            return "0900000000"
        if key == "email":
            return "thu.nghiem@example.vn"
        if key in ("address", "note", "number", "passport_number", "identity_number"):
            return "(đã ẩn)" if key != "number" else "MAU-0001"
        return value


def _person_records(value: Any) -> Iterator[dict[str, Any]]:
    """The registry records inside a dossier's lookups (wherever they are nested)."""
    if isinstance(value, dict):
        if {"personal_id", "full_name", "birth_date", "sex"} <= set(value):
            yield value
        for v in value.values():
            yield from _person_records(v)
    elif isinstance(value, list):
        for v in value:
            yield from _person_records(v)


def anonymised_copy(procedure: Procedure, code: Any) -> Sample:
    """A completed dossier of the procedure, its people replaced (names, personal ids, contacts, document
    numbers), with the registry records its lookups saw, anonymised the same way."""
    if not isinstance(code, str):
        raise BadRequest("Mã hồ sơ mẫu không hợp lệ.", fields={"from_dossier": "Phải là mã hồ sơ."})
    dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or dossier.procedure != procedure.key:
        raise NotFound(f"Không có hồ sơ {procedure.name} mã «{code}».")
    if dossier.completed_at is None:
        raise Invalid(
            "Chỉ dùng được hồ sơ đã giải quyết xong làm mẫu.", fields={"from_dossier": "Hồ sơ chưa xong."}
        )
    lookups = _instance(dossier).data().get("lookups") or {}
    anonymiser = _Anonymiser()
    data = anonymiser.copy(copy.deepcopy(dossier.data))
    persons: dict[str, dict[str, Any]] = {}
    for record in _person_records(anonymiser.copy(copy.deepcopy(lookups))):
        persons.setdefault(record["personal_id"], record)
    return Sample(dossier.channel, dossier.commune_code, data, list(persons.values()), source=f"copy:{code}")


def trial_run(key: str, xml: bytes, payload: Any, actor: User) -> dict[str, Any]:
    """Run a draft end to end on a throw-away instance; the steps, the path and the data after each step."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được chạy thử quy trình.")
    try:
        procedure = by_process_key(key)
    except UnknownProcedure:
        raise NotFound(f"Không có thủ tục nào ứng với quy trình «{key}».") from None
    author = actor.username  # read now: inside the sandbox the actor's proxy would look in the sandbox
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON.")
    sample, decisions = _sample(procedure, payload), _decisions(payload)
    report = validate_bpmn(key, xml)
    if not report["ok"]:
        raise Invalid("Sơ đồ chưa hợp lệ nên chưa chạy thử được.", extra={"errors": report["errors"]})
    xml = canonical_xml(xml)
    now = collaborators().clock.now()
    commune = db.session.get(Commune, sample.commune_code)
    if commune is None:
        commune = db.session.scalars(select(Commune).order_by(Commune.code).limit(1)).first()
    if commune is None:
        raise Invalid("Chưa có xã/phường nào trong hệ thống để chạy thử.")
    commune_row = {c: getattr(commune, c) for c in ("code", "name", "province_code", "province_name")}
    forms = {name: dict(form) for name, form in procedure.sample_forms.items()}
    if not RUNNING.acquire(blocking=False):
        raise RateLimited("Đang có nhiều lần chạy thử cùng lúc; vui lòng thử lại sau ít giây.")
    try:
        with _sandbox(now) as sandbox:
            with sandbox.app_context():
                try:
                    return _drive(procedure, xml, commune_row, sample, decisions, forms, author)
                finally:
                    db.session.remove()
                    db.engine.dispose()
    finally:
        RUNNING.release()


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
                "HOTICH_TRAINING": False,
                "HOTICH_SANDBOX": True,  # mails stay files in the temporary outbox, whatever SMTP is set
                "HOTICH_REGISTRY_URL": None,
                "HOTICH_REGISTRY_TOKEN": None,
                "HOTICH_MAIL_OUTBOX": outbox,
                "SECRET_KEY": current_app.config["SECRET_KEY"],
                "HOTICH_VERIFY_BASE_URL": current_app.config["HOTICH_VERIFY_BASE_URL"],
            }
        )


def _seed(
    procedure: Procedure, xml: bytes, commune: dict[str, Any], persons: list[dict[str, Any]], author: str
) -> dict[str, User]:
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
        for record in persons:
            if db.session.get(Person, record["personal_id"]) is None:
                new_person(dict(record))
        _store_version(procedure.process_key, xml, author)
        return users

    return write(seed)


def _drive(
    procedure: Procedure,
    xml: bytes,
    commune: dict[str, Any],
    sample: Sample,
    decisions: Mapping[str, dict[str, Any]],
    forms: Mapping[str, dict[str, Any]],
    author: str,
) -> dict[str, Any]:
    users = _seed(procedure, xml, commune, sample.persons, author)
    clock = collaborators().clock
    assert isinstance(clock, FixedClock)
    submission = {
        "procedure": procedure.key,
        "commune_code": commune["code"],
        "channel": sample.channel,
        "data": sample.data,
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
        "sample": sample.source,
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
