"""Officials' task use cases: list, open, claim, release, complete."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from app.domain.findings import Finding, blocking, routing
from app.domain.rules.persons import CONFLICT_RULES
from app.domain.text import nfc
from app.engine.instance import EngineError, Instance
from app.models import ClosedTask, Dossier, OpenTask, User, db
from app.procedures.registry_calls import family_records
from app.services.access import OFFICIAL_ROLES
from app.services.audit import PendingEvent, append_events
from app.services.collaborators import collaborators
from app.services.commands import dossier_command, locked_open_tasks, run_command
from app.services.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from app.services.operations import evaluate_rules
from app.services.processes import definition_for
from app.services.text_search import folded_query, name_condition

INBOX_PAGE = 50


def task_closed() -> Conflict:
    """api.md: a task that is no longer open is 409 — to the loser of a race and to any later attempt."""
    return Conflict("Nhiệm vụ đã được xử lý.", code="task_closed")


def task_view(t: OpenTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "dossier_code": t.dossier_code,
        "procedure": t.procedure,
        "task": t.task_key,
        "title": t.title,
        "role": t.role,
        "assignee": t.assignee,
        "created_at": t.created_at.isoformat(),
        "due_at": t.due_at.isoformat() if t.due_at else None,
        "overdue": t.due_at is not None and t.due_at < collaborators().clock.now(),
    }


def _official(actor: User) -> None:
    if not actor.has_role(*OFFICIAL_ROLES):
        raise Forbidden("Chỉ cán bộ, công chức của xã/phường xử lý nhiệm vụ.")


def inbox_query(
    actor: User,
    *,
    dossier: str | None = None,
    mine: bool = False,
    procedure: str | None = None,
    q: str | None = None,
) -> Any:
    """Open tasks of the caller's roles in the caller's commune, most urgent first."""
    _official(actor)
    text = folded_query(q) if q else ""
    match = name_condition(text, OpenTask.search_text, OpenTask.dossier_id) if text else None
    commune: Any = OpenTask.commune_code
    role: Any = OpenTask.role
    if match is not None and match.few:
        # SQLite, a few candidate dossiers: read their tasks by ix_open_task_dossier_id. Without statistics
        # SQLite would walk the whole commune's inbox index instead; `|| ''` keeps it off that index.
        commune, role = commune.concat(""), role.concat("")
    query = select(OpenTask).where(
        commune == actor.commune_code,
        role.in_([r for r in actor.roles if r in OFFICIAL_ROLES]),
    )
    if dossier:
        query = query.where(OpenTask.dossier_code == dossier)
    if mine:
        query = query.where(OpenTask.assignee == actor.username)
    if procedure:
        query = query.where(OpenTask.procedure == procedure)
    if match is not None:
        query = query.where(match.condition)
    # every open task has a due date; this order is the index ix_open_task_inbox, so no sort step
    return query.order_by(OpenTask.due_at, OpenTask.created_at, OpenTask.id)


@dataclass
class TaskPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def list_tasks(
    actor: User,
    *,
    dossier: str | None = None,
    mine: bool = False,
    limit: int = INBOX_PAGE,
    after: str | None = None,
) -> TaskPage:
    """One page of the caller's open tasks, most urgent first; `after` (a page's next_cursor) continues."""
    query = inbox_query(actor, dossier=dossier, mine=mine)
    if dossier:
        # one dossier has one or two open tasks: let SQLite use ix_open_task_dossier instead of walking
        # the ordering index, and sort the handful of rows here
        few = sorted(db.session.scalars(query.order_by(None)).all(), key=urgency)
        start = decode_cursor(after)
        if start is not None:
            few = [t for t in few if urgency(t) > _cursor_key(start)]
        page = few[: limit + 1]
    else:
        page = keyset_rows(query.order_by(None), decode_cursor(after), limit, undated=True)
    more = len(page) > limit
    page = page[:limit]
    return TaskPage([task_view(t) for t in page], encode_cursor(page[-1]) if more and page else None)


def urgency(task: OpenTask) -> tuple[bool, datetime, datetime, str]:
    """The inbox order: due date (undated last), then arrival, then id."""
    return (task.due_at is None, task.due_at or task.created_at, task.created_at, task.id)


def _cursor_key(after: tuple[datetime | None, datetime, str]) -> tuple[bool, datetime, datetime, str]:
    due, created, tid = after
    return (due is None, due or created, created, tid)


def keyset_rows(
    query: Any, after: tuple[datetime | None, datetime, str] | None, limit: int, undated: bool
) -> list[OpenTask]:
    """Up to limit + 1 rows of `query` (unordered) after the cursor, most urgent first, by keyset: the
    tasks with a due date in the index order (due_at, created_at, id), then (if `undated`) those without
    one by arrival. Page 2,000 costs what page 1 costs."""
    rows: list[OpenTask] = []
    if after is None or after[0] is not None:
        dated = query.where(OpenTask.due_at.is_not(None))
        if after is not None:
            due, created, tid = after
            dated = dated.where(
                or_(
                    OpenTask.due_at > due,
                    and_(
                        OpenTask.due_at == due,
                        or_(
                            OpenTask.created_at > created,
                            and_(OpenTask.created_at == created, OpenTask.id > tid),
                        ),
                    ),
                )
            )
        rows = list(
            db.session.scalars(
                dated.order_by(OpenTask.due_at, OpenTask.created_at, OpenTask.id).limit(limit + 1)
            )
        )
    if len(rows) <= limit and undated:
        rest = query.where(OpenTask.due_at.is_(None))
        if after is not None and after[0] is None:
            _, created, tid = after
            rest = rest.where(
                or_(OpenTask.created_at > created, and_(OpenTask.created_at == created, OpenTask.id > tid))
            )
        rows += list(
            db.session.scalars(rest.order_by(OpenTask.created_at, OpenTask.id).limit(limit + 1 - len(rows)))
        )
    return rows


def encode_cursor(task: OpenTask) -> str:
    due = task.due_at.isoformat() if task.due_at else ""
    raw = f"{due}|{task.created_at.isoformat()}|{task.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime | None, datetime, str] | None:
    """The (due_at, created_at, id) the previous page ended with; None for the first page or garbage."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        due, created, tid = raw.split("|")
        due_at = datetime.fromisoformat(due) if due else None
        created_at = datetime.fromisoformat(created)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if created_at.tzinfo is None or (due_at is not None and due_at.tzinfo is None):
        return None  # compared with aware datetimes: a naive one would raise
    return (due_at, created_at, tid)


def open_task_for(actor: User, task_id: str) -> OpenTask:
    """The open task if it is in the caller's commune (else 404); 403 when the caller's role never does it."""
    _official(actor)
    task = db.session.get(OpenTask, task_id)
    if task is None or task.commune_code != actor.commune_code:
        closed = db.session.get(ClosedTask, task_id) if task is None else None
        if closed is not None and closed.commune_code == actor.commune_code:
            raise task_closed()
        raise NotFound("Không tìm thấy nhiệm vụ.")
    if task.role not in actor.roles:
        raise Forbidden("Nhiệm vụ này thuộc vai trò khác.")
    return task


def get_task(actor: User, task_id: str) -> dict[str, Any]:
    task = open_task_for(actor, task_id)
    dossier = db.session.get(Dossier, task.dossier_id)
    assert dossier is not None
    definition = definition_for(dossier.process_version_id)
    info = definition.user_tasks[task.task_key]
    form_name = (info.form or f"{task.task_key}.json").removesuffix(".json")
    forms = collaborators().forms
    return {
        **task_view(task),
        "form": {
            "schema": forms.schema(definition.key, form_name),
            "ui": forms.ui(definition.key, form_name),
        },
        "data": dossier.data,
        "findings": dossier.findings,
        "version": dossier.row_version,
        "result": dossier.result,
        "status": dossier.status,
    }


def claim(actor: User, task_id: str) -> dict[str, Any]:
    """Take a task (409 when someone else holds it); recorded in the dossier's audit trail."""
    return _assign(actor, task_id, actor.username)


def release(actor: User, task_id: str) -> dict[str, Any]:
    """Give a held task back to the team."""
    return _assign(actor, task_id, None)


def _assign(actor: User, task_id: str, assignee: str | None) -> dict[str, Any]:
    task = open_task_for(actor, task_id)
    now = collaborators().clock.now()

    def apply(dossier: Dossier) -> OpenTask:
        # the dossier lock serializes this with completions of the same dossier
        current = next((t for t in locked_open_tasks(dossier) if t.id == task_id), None)
        if current is None:
            raise task_closed()
        if current.assignee not in (None, actor.username):
            raise Conflict("Nhiệm vụ đang do người khác xử lý.", code="task_claimed")
        current.assignee = assignee
        kind = "claimed" if assignee else "released"
        event = PendingEvent(kind, actor.username, current.task_key, {"task_id": task_id})
        append_events(dossier, now, [event])
        return current

    return task_view(dossier_command(apply, dossier_id=task.dossier_id))


def complete_task(actor: User, task_id: str, payload: Any) -> dict[str, Any]:
    """Validate the form, then complete the task and run the process to its next wait state (one commit)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data", None), dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON có trường data.")
    form = nfc(payload["data"])
    task = open_task_for(actor, task_id)
    rt = collaborators()
    now = rt.clock.now()
    actor_info = {"username": actor.username, "full_name": actor.full_name}
    # LHT Art. 12(1)(h): the deciding official's own family, read from the registry before the command
    # (an external call stays outside the dossier transaction)
    official_family = official_family_of(actor) if task.role in DECIDING_ROLES else None
    event = PendingEvent("task_completed", actor.username, task.task_key, {"form": form, "actor": actor_info})

    def apply(dossier: Dossier) -> Instance:
        open_rows = {t.id: t for t in locked_open_tasks(dossier)}  # read with the lock
        current = open_rows.get(task_id)
        if current is None:
            raise task_closed()
        if current.assignee not in (None, actor.username):
            raise Conflict("Nhiệm vụ đang do người khác xử lý.", code="task_claimed")
        definition = definition_for(dossier.process_version_id)
        info = definition.user_tasks[task.task_key]
        errors = rt.forms.validate(definition.key, (info.form or task.task_key).removesuffix(".json"), form)
        if errors:
            raise Invalid("Biểu mẫu có trường không hợp lệ.", fields=errors)

        def action(instance: Instance) -> None:
            ready = instance.find_ready(task_id=task_id)
            if ready is None:
                raise task_closed()
            if form.get("decision") in info.blocked_decisions:
                refuse_if_blocked(dossier, instance, actor, now, official_family)
            elif info.role == "chairman":
                refuse_if_relative(dossier, instance, actor, now, official_family)
            actors = dict(ready.data.get("actors") or {})
            actors[task.task_key] = actor_info
            try:
                instance.complete_user_task(ready, info.role, form, extra={"actors": actors})
            except EngineError as exc:
                raise Conflict("Nhiệm vụ không còn mở.", code=exc.code) from exc

        return run_command(dossier, event, now, action, open_task_ids=set(open_rows))

    dossier_id = task.dossier_id
    instance = dossier_command(apply, dossier_id=dossier_id)
    dossier = db.session.get(Dossier, dossier_id)
    assert dossier is not None
    return {
        "dossier": {"code": dossier.code, "status": dossier.status},
        "next_tasks": [
            {"id": t.id, "task": t.key, "title": t.title, "role": t.role} for t in instance.ready_tasks()
        ],
    }


DECIDING_ROLES = ("officer", "chairman")


def official_family_of(actor: User) -> dict[str, Any] | None:
    """Registry records around a deciding official (parents, spouses, ancestors): KS-14/KH-12/KT-12."""
    if not actor.personal_id:
        return None
    return family_records(collaborators().registry, [actor.personal_id])


def findings_with_actor(
    dossier: Dossier, instance: Instance, actor: User, now: Any, official_family: dict[str, Any] | None
) -> list[Finding]:
    """The dossier's rules again on the instance's data, with the deciding official and their family known."""
    data = instance.data()
    return evaluate_rules(
        dossier,
        data.get("dossier") or {},
        data.get("lookups") or {},
        now,
        officer_personal_id=actor.personal_id,
        official_family=official_family,
    )


def refuse_if_relative(
    dossier: Dossier, instance: Instance, actor: User, now: Any, official_family: dict[str, Any] | None
) -> None:
    """KS-14 / KH-12 / KT-12 at the chairman's signature (or refusal): the official who signs decides the
    registration, so may not be the person concerned or a relative of them (LHT Art. 12(1)(h))."""
    if not actor.personal_id:
        return
    findings = findings_with_actor(dossier, instance, actor, now, official_family)
    conflicts = [f for f in findings if f.rule in CONFLICT_RULES and f.severity == "block"]
    if conflicts:
        dossier.findings = [f.to_dict() for f in findings]
        raise Invalid(
            "Người ký là người được đăng ký hoặc người thân thích của họ; phải giao Chủ tịch hoặc "
            "Phó Chủ tịch khác ký.",
            rules=sorted({f.rule for f in conflicts}),
            extra={"findings": [f.to_dict() for f in conflicts]},
        )


def refuse_if_blocked(
    dossier: Dossier, instance: Instance, actor: User, now: Any, official_family: dict[str, Any] | None = None
) -> None:
    """An approving decision is refused while a blocking (or `route`) finding stands; the rules run again
    with the acting officer known (e.g. KS-/KH- rules on the officer's own family)."""
    findings = findings_with_actor(dossier, instance, actor, now, official_family)
    dossier.findings = [f.to_dict() for f in findings]
    blocked = blocking(findings) + routing(findings)  # a `route` finding: not ours to approve
    if blocked:
        raise Invalid(
            "Hồ sơ còn vướng điều kiện chặn, không thể phê duyệt.",
            rules=sorted({f.rule for f in blocked}),
            extra={"findings": [f.to_dict() for f in blocked]},
        )
