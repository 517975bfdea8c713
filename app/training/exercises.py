"""Training exercises (tập huấn nghiệp vụ): scripted dossiers with a planted problem, worked in the real pages
of the training space and scored from what the trainee did.

Only ever called inside the training application (its own database and registry): a started exercise is an
ordinary dossier there, submitted and accepted at reception by the system, so the trainee meets it in the
inbox at the step the exercise is about. The score is derived from the dossier's own audit trail (the first
completion of that step): the decision, whether the expected rule is cited, and the time taken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, select

from app import procedures
from app.domain.calendar import LOCAL_TZ
from app.integrations.registry import new_person
from app.models import AuditEvent, Dossier, OpenTask, User, db
from app.services.collaborators import collaborators
from app.services.dossiers import submit_dossier
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.jobs import run_pending
from app.services.tasks import complete_task
from app.services.transaction import write
from app.training.models import Attempt, Exercise

SHIPPED = Path(__file__).parent / "data" / "exercises.json"
TRAINERS = ("department", "admin")
DECISIONS = {"approve": "Đủ điều kiện đăng ký", "supplement": "Yêu cầu bổ sung", "refuse": "Từ chối"}
QUICK = timedelta(minutes=15)  # an answer within this time earns the time points
_RELATIVE = re.compile(r"^\$(today|now)(?:([+-]\d+)y)?(?:([+-]\d+)d)?$")
_PERSON = re.compile(r"^\$person:([a-z_]+)$")
R = TypeVar("R", Exercise, Attempt)
_RULE = re.compile(r"^(KS|KH|KT)-\d{2}$|^C\d{1,2}$")


@dataclass(frozen=True)
class Score:
    decision_right: bool
    rule_right: bool
    quick: bool
    points: int


def score(exercise: Exercise, decision: str | None, cited: str, took: timedelta) -> Score:
    """60 points for the right decision, 30 for citing the expected rule (when there is one), 10 for an answer
    within QUICK: the decision is what the citizen gets, the rule is why, the time is the citizen's wait."""
    decision_right = decision == exercise.expected_decision
    rule = exercise.expected_rule
    rule_right = rule is None or rule.upper() in cited.upper()
    quick = took <= QUICK
    return Score(decision_right, rule_right, quick, 60 * decision_right + 30 * rule_right + 10 * quick)


# -- the exercises -----------------------------------------------------------------------------------------
def ensure_shipped(now: datetime) -> int:
    """Add the shipped exercises that are missing (by slug); returns how many were added."""
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))["exercises"]

    def add() -> int:
        known = set(db.session.scalars(select(Exercise.slug)))
        added = 0
        for item in shipped:
            if item["slug"] in known:
                continue
            db.session.add(_exercise(item, "system", now))
            added += 1
        return added

    return write(add)


def _exercise(item: dict[str, Any], author: str, now: datetime) -> Exercise:
    return Exercise(
        slug=item["slug"],
        title=item["title"],
        procedure=item["procedure"],
        problem=item["problem"],
        task=item.get("task") or "officer_examine",
        data={"data": item["data"], "persons": item.get("persons") or {}},
        channel=item.get("channel") or "counter",
        expected_decision=item["expected_decision"],
        expected_rule=item.get("expected_rule") or None,
        explanation=item["explanation"],
        created_by=author,
        created_at=now,
    )


def list_exercises() -> list[Exercise]:
    return list(db.session.scalars(select(Exercise).order_by(Exercise.id)))


def create_exercise(actor: User, form: dict[str, str]) -> Exercise:
    """The department writes an exercise: a declaration (JSON, the procedure's submission form; dates may be
    relative), the expected decision and rule. Refused with field messages, nothing stored, when invalid."""
    if not actor.has_role(*TRAINERS):
        raise Forbidden("Chỉ Sở Tư pháp soạn bài tập.")
    fields: dict[str, str] = {}
    title = (form.get("title") or "").strip()
    if not title:
        fields["title"] = "Trường «Tên bài tập» là bắt buộc."
    procedure = form.get("procedure") or ""
    if procedure not in procedures.keys():
        fields["procedure"] = "«Thủ tục» phải là một trong các thủ tục đang áp dụng."
    decision = form.get("expected_decision") or ""
    if decision not in DECISIONS:
        fields["expected_decision"] = "«Quyết định đúng» phải là đủ điều kiện, yêu cầu bổ sung hoặc từ chối."
    rule = (form.get("expected_rule") or "").strip().upper() or None
    if rule and not _RULE.match(rule):
        fields["expected_rule"] = "«Quy định áp dụng» phải có dạng KS-08, KH-01, KT-03."
    try:
        declaration = json.loads(form.get("data") or "")
    except json.JSONDecodeError as exc:
        declaration = None
        fields["data"] = f"«Tờ khai (JSON)» không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno})."
    if declaration is not None and not isinstance(declaration, dict):
        fields["data"] = "«Tờ khai (JSON)» phải là một đối tượng JSON."
    if not fields and isinstance(declaration, dict):
        now = collaborators().clock.now()
        sample = materialize(declaration, now, {})
        errors = collaborators().forms.validate(procedures.get(procedure).process_key, "submission", sample)
        if errors:
            first = "; ".join(f"{path}: {message}" for path, message in list(errors.items())[:3])
            fields["data"] = f"«Tờ khai (JSON)» chưa đúng biểu mẫu: {first}"
    if fields:
        raise Invalid("Bài tập chưa hợp lệ.", fields=fields)
    assert isinstance(declaration, dict)
    now = collaborators().clock.now()
    item = {
        "slug": f"{procedure}-{now.strftime('%Y%m%d%H%M%S%f')}",
        "title": title,
        "procedure": procedure,
        "problem": (form.get("problem") or "").strip(),
        "data": declaration,
        "expected_decision": decision,
        "expected_rule": rule,
        "explanation": (form.get("explanation") or "").strip(),
    }
    return write(lambda: _added(_exercise(item, actor.username, now)))


def _added(row: R) -> R:
    """The row, added and flushed (its id is known) inside the caller's write."""
    db.session.add(row)
    db.session.flush()
    return row


def materialize(value: Any, now: datetime, ids: dict[str, str]) -> Any:
    """The exercise's data as of `now`: "$today-18y+1d" → an ISO date, "$now-20d" → an ISO date-time (Hà Nội),
    "$person:bride" → that synthetic person's personal id (a placeholder when none is made yet)."""
    if isinstance(value, dict):
        return {k: materialize(v, now, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v, now, ids) for v in value]
    if not isinstance(value, str):
        return value
    relative = _RELATIVE.match(value)
    if relative:
        kind, years, days = relative.groups()
        moment = _years_later(now.astimezone(LOCAL_TZ), int(years or 0)) + timedelta(days=int(days or 0))
        if kind == "today":
            return moment.date().isoformat()
        return moment.replace(hour=10, minute=30, second=0, microsecond=0).isoformat()
    person = _PERSON.match(value)
    if person:
        return ids.get(person.group(1), "001000000000")
    return value


def _years_later(moment: datetime, years: int) -> datetime:
    """The same day `years` later (29 February becomes 28 February in a common year)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


# -- attempts ----------------------------------------------------------------------------------------------
def start(actor: User, exercise_id: int) -> tuple[Attempt, str | None]:
    """The trainee starts an exercise: its synthetic persons enter the training registry, the dossier is
    submitted and accepted at reception of the trainee's commune, and waits at the exercise's step. Returns
    the attempt and the id of the task the trainee now works."""
    exercise = db.session.get(Exercise, exercise_id)
    if exercise is None:
        raise NotFound("Không tìm thấy bài tập.")
    if actor.commune_code is None:
        raise Forbidden("Bài tập dành cho cán bộ của một xã, phường.")
    reception = db.session.scalars(
        select(User).where(
            User.commune_code == actor.commune_code, User.roles_csv.contains("reception"), User.active
        )
    ).first()
    if reception is None:
        raise Invalid("Xã, phường của bạn chưa có cán bộ một cửa trong không gian tập huấn.", fields={})
    rt = collaborators()
    now = rt.clock.now()
    spec = exercise.data
    ids = write(lambda: _persons(spec.get("persons") or {}, now, actor.commune_code or ""))
    payload = {
        "procedure": exercise.procedure,
        "commune_code": actor.commune_code,
        "channel": exercise.channel,
        "data": materialize(spec["data"], now, ids),
    }
    dossier, _created = submit_dossier(reception, payload)
    run_pending()
    if exercise.task != "reception_check":
        task = _open_task(dossier.code, "reception_check")
        if task is not None:
            complete_task(reception, task, {"data": {"decision": "accept"}})
            run_pending()
    row = Attempt(exercise_id=exercise.id, trainee=actor.username, dossier_code=dossier.code, started_at=now)
    attempt = write(lambda: _added(row))
    return attempt, _open_task(dossier.code, exercise.task)


def _persons(persons: dict[str, Any], now: datetime, commune: str) -> dict[str, str]:
    """Synthetic persons for one attempt (fresh ids, so a death or a marriage never meets an earlier one)."""
    ids: dict[str, str] = {}
    for name, spec in persons.items():
        record = materialize(spec, now, ids)
        record.setdefault("residence_commune_code", commune)
        ids[name] = new_person(record).personal_id
    return ids


def _open_task(code: str, key: str) -> str | None:
    query = select(OpenTask.id).where(OpenTask.dossier_code == code, OpenTask.task_key == key)
    return db.session.scalar(query)


def refresh(attempt: Attempt) -> Attempt:
    """Score the attempt once the trainee has done the exercise's step (from the dossier's audit trail)."""
    if attempt.finished_at is not None:
        return attempt
    exercise = db.session.get(Exercise, attempt.exercise_id)
    dossier = db.session.scalars(select(Dossier).where(Dossier.code == attempt.dossier_code)).first()
    if exercise is None or dossier is None:
        return attempt
    done = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.dossier_id == dossier.id,
            AuditEvent.type == "task_completed",
            AuditEvent.task == exercise.task,
        )
        .order_by(AuditEvent.seq)
    ).first()
    if done is None:
        return attempt
    form = (done.data or {}).get("form") or {}
    cited = " ".join([*(str(x) for x in form.get("reasons") or []), str(form.get("note") or "")]).strip()
    result = score(exercise, form.get("decision"), cited, done.at - attempt.started_at)

    def record() -> Attempt:
        row = db.session.get(Attempt, attempt.id)
        assert row is not None
        if row.finished_at is None:
            row.finished_at = done.at
            row.decision = str(form.get("decision") or "")
            row.cited = cited
            row.decision_right = result.decision_right
            row.rule_right = result.rule_right
            row.score = result.points
        return row

    return write(record)


def attempts_of(actor: User, trainee: str | None = None) -> list[tuple[Attempt, Exercise]]:
    """A trainee's own attempts; the trainer's view of everyone's (or one trainee's), newest first."""
    query = select(Attempt, Exercise).join(Exercise, Exercise.id == Attempt.exercise_id)
    if not actor.has_role(*TRAINERS):
        query = query.where(Attempt.trainee == actor.username)
    elif trainee:
        query = query.where(Attempt.trainee == trainee)
    rows = db.session.execute(query.order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    return [(refresh(a), e) for a, e in rows]


def get_attempt(actor: User, attempt_id: int) -> tuple[Attempt, Exercise]:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or (attempt.trainee != actor.username and not actor.has_role(*TRAINERS)):
        raise NotFound("Không tìm thấy bài làm.")
    exercise = db.session.get(Exercise, attempt.exercise_id)
    if exercise is None:
        raise NotFound("Không tìm thấy bài tập.")
    return refresh(attempt), exercise


def reset(actor: User, trainee: str) -> int:
    """Empty a trainee's space: their attempts and the training dossiers behind them, with every row that
    refers to them (the synthetic persons stay: nobody else uses their ids). Returns the dossiers removed."""
    if trainee != actor.username and not actor.has_role(*TRAINERS):
        raise Forbidden("Chỉ học viên hoặc Sở Tư pháp đặt lại không gian tập huấn.")

    def wipe() -> int:
        codes = list(db.session.scalars(select(Attempt.dossier_code).where(Attempt.trainee == trainee)))
        ids = list(db.session.scalars(select(Dossier.id).where(Dossier.code.in_(codes)))) if codes else []
        if ids:
            for table in reversed(db.metadata.sorted_tables):
                if "dossier_id" in table.c and table.name != "dossier":
                    db.session.execute(delete(table).where(table.c.dossier_id.in_(ids)))
            db.session.execute(delete(Dossier).where(Dossier.id.in_(ids)))
        db.session.execute(delete(Attempt).where(Attempt.trainee == trainee))
        return len(ids)

    return write(wipe)
