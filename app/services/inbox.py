"""The officials' inbox: tabs with counts, filters and keyset pagination over the open-task table.

Every query starts from tasks.inbox_query (the caller's commune and roles), so it walks the index
(commune_code, role, due_at). Pages are cut by keyset, not OFFSET: page 2,000 costs what page 1 costs.
Tasks without a due date (reception tasks before acceptance) come after those with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select

from app.domain.calendar import LOCAL_TZ, local_date
from app.models import Dossier, Job, OpenTask, User, db
from app.procedures import all_procedures
from app.procedures import get as get_procedure
from app.services.dossier_details import WAITING_JOB_STATUSES, call_state
from app.services.processes import active_version, definition_for
from app.services.tasks import decode_cursor, encode_cursor, inbox_query, keyset_rows, task_view

TABS = ("all", "mine", "overdue", "today")
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxFilters:
    tab: str = "all"
    procedure: str | None = None
    task: str | None = None
    claim: str | None = None  # "free" | "claimed"
    channel: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str | None = None


@dataclass
class InboxPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_TZ)


def _filtered(actor: User, f: InboxFilters) -> Select[Any]:
    """Open tasks of the caller matching the filters (not the tab), without ordering."""
    query: Select[Any] = inbox_query(actor, procedure=f.procedure, q=f.q).order_by(None)
    if f.task:
        query = query.where(OpenTask.task_key == f.task)
    if f.claim == "free":
        query = query.where(OpenTask.assignee.is_(None))
    elif f.claim == "claimed":
        query = query.where(OpenTask.assignee.is_not(None))
    if f.channel:
        query = query.join(Dossier, Dossier.id == OpenTask.dossier_id).where(Dossier.channel == f.channel)
    if f.due_from:
        query = query.where(OpenTask.due_at >= _day_start(f.due_from))
    if f.due_to:
        query = query.where(OpenTask.due_at < _day_start(f.due_to + timedelta(days=1)))
    return query


def _tab_condition(actor: User, tab: str, now: datetime) -> Any:
    end_of_today = _day_start(local_date(now) + timedelta(days=1))
    if tab == "mine":
        return OpenTask.assignee == actor.username
    if tab == "overdue":
        return OpenTask.due_at < now
    if tab == "today":
        return and_(OpenTask.due_at >= now, OpenTask.due_at < end_of_today)
    return None


COUNT_CAP = 999  # a tab shows "999+" beyond this: an exact count would read every task of a busy tab


def tab_counts(actor: User, f: InboxFilters, now: datetime) -> dict[str, int]:
    """How many open tasks each tab holds under the current filters, up to COUNT_CAP + 1 (shown "999+").

    Each count stops at COUNT_CAP + 1 matching rows, so a tab costs the same with 1,000 or 100,000 open tasks;
    without filters that read task rows it is a range on the (commune_code, role, due_at) index alone.
    """
    base = _filtered(actor, f)
    out: dict[str, int] = {}
    for tab in TABS:
        condition = _tab_condition(actor, tab, now)
        query = base if condition is None else base.where(condition)
        limited = query.with_only_columns(OpenTask.id).limit(COUNT_CAP + 1).subquery()
        out[tab] = int(db.session.scalar(select(func.count()).select_from(limited)) or 0)
    return out


def inbox_page(
    actor: User, f: InboxFilters, now: datetime, cursor: str | None = None, limit: int = PAGE_SIZE
) -> InboxPage:
    """One page of the tab, most urgent first: due date, then arrival; `cursor` continues a listing."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _filtered(actor, f)
    condition = _tab_condition(actor, f.tab, now)
    if condition is not None:
        query = query.where(condition)
    rows = keyset_rows(query, decode_cursor(cursor), limit, undated=f.tab in ("all", "mine"))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]) if more and rows else None
    return InboxPage(_with_dossiers(rows, now), next_cursor)


def _with_dossiers(rows: list[OpenTask], now: datetime) -> list[dict[str, Any]]:
    """Task rows plus what the list shows of their dossier (who it is about, channel, status)."""
    ids = {t.dossier_id for t in rows}
    dossiers = (
        {
            d_id: (channel, status, data, received)
            for d_id, channel, status, data, received in db.session.execute(
                select(Dossier.id, Dossier.channel, Dossier.status, Dossier.data, Dossier.received_at).where(
                    Dossier.id.in_(ids)
                )
            )
        }
        if ids
        else {}
    )
    today_end = _day_start(local_date(now) + timedelta(days=1))
    out = []
    for t in rows:
        channel, status, data, received = dossiers.get(t.dossier_id, (None, None, {}, None))
        view = task_view(t)
        view.update(
            channel=channel,
            dossier_status=status,
            subject=subject_name(t.procedure, data or {}),
            received_at=received,
            due=t.due_at,
            overdue=bool(t.due_at and t.due_at < now),
            due_today=bool(t.due_at and now <= t.due_at < today_end),
        )
        out.append(view)
    return out


def subject_name(procedure: str, data: dict[str, Any]) -> str:
    """Who the dossier is about, as its procedure names them (the child, the deceased, "bride – groom")."""
    return get_procedure(procedure).subject_name(data)


def task_choices(actor: User) -> list[tuple[str, str]]:
    """(task key, title) of the user tasks the caller's roles do in the deployed processes."""
    choices: dict[str, str] = {}
    for procedure in all_procedures():
        version = active_version(procedure.process_key, required=False)
        if version is None:
            continue
        for info in definition_for(version.id).user_tasks.values():
            if info.role in actor.roles:
                choices.setdefault(info.key, info.title)
    return sorted(choices.items(), key=lambda kt: kt[1])


def poll(actor: User, since: datetime | None, now: datetime) -> dict[str, Any]:
    """What the inbox banner needs: counts per tab, how many tasks arrived after `since`, the newest one."""
    arrived = inbox_query(actor).order_by(None)
    if since is not None:
        arrived = arrived.where(OpenTask.created_at > since)
    new, newest_at = db.session.execute(
        arrived.with_only_columns(func.count(), func.max(OpenTask.created_at))
    ).one()
    newest_id = None
    if newest_at is not None:
        newest_id = db.session.scalar(
            arrived.where(OpenTask.created_at == newest_at)
            .with_only_columns(OpenTask.id)
            .order_by(OpenTask.id.desc())
            .limit(1)
        )
    return {
        "counts": tab_counts(actor, InboxFilters(), now),
        "count_cap": COUNT_CAP,
        "new": int(new or 0) if since is not None else 0,
        "newest_id": newest_id,
        "now": now.isoformat(),
    }


REGISTRY_WAIT_LIMIT = 50


def registry_waiting(actor: User, limit: int = REGISTRY_WAIT_LIMIT) -> list[dict[str, Any]]:
    """Dossiers of the caller's commune that wait on a population-registry call — no official's task is
    open for them meanwhile — failed and rejected calls (incidents) first, then the oldest."""
    inbox_query(actor)  # the same role check as the inbox
    failed_first = case((Job.status == "failed", 0), else_=1)
    rows = db.session.execute(
        select(Job, Dossier.code, Dossier.procedure, Dossier.status)
        .join(Dossier, Dossier.id == Job.dossier_id)
        .where(
            # start from the few waiting jobs (ix_job_status_run_at), not from the commune's dossiers: without
            # statistics SQLite would walk every dossier of the commune; `|| ''` keeps it off that index
            Dossier.commune_code.concat("") == actor.commune_code,
            Job.kind == "service_call",
            Job.status.in_(WAITING_JOB_STATUSES),
        )
        .order_by(failed_first, Job.created_at, Job.id)
        .limit(limit)
    ).all()
    return [
        {"dossier_code": code, "procedure": procedure, "dossier_status": status, **call_state(job)}
        for job, code, procedure, status in rows
    ]
