"""Across dossiers, for auditors and analysts: the auditor search (and its CSV export) and the process heat
map — for a period, how many dossiers passed each BPMN element, the median wait and the share done late.

The SQL is plain SQLAlchemy Core that SQLite and PostgreSQL run alike (a LAG window over each dossier's
events, EXISTS for "an official acted", IN for scope); JSON values (the statutory due date, refusal reasons)
and medians are read in Python, so both backends give the same figures.

Wait of a step (heat map): office time on the working calendar from the dossier's previous recorded event
— the step that handed the dossier on — to the event that completed the element. Deadline of a user task:
`history.step_due_at` (its own limit, else the dossier's due date as it stood then, else one working day
before acceptance), the same rule as the history page.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import statistics as stats
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import defer

from app import procedures
from app.domain.text import fold, nfc
from app.domain.waits import OfficeTime
from app.models import AuditEvent, Commune, Dossier, ProcessVersion, User, db
from app.models.base import UTCDateTime
from app.services.access import scope_dossiers
from app.services.collaborators import collaborators
from app.services.errors import BadRequest, Forbidden, NotFound
from app.services.history import ACCEPT_OPERATION, legal_due_at, step_due_at
from app.services.processes import definition_for
from app.services.statistics import Period, parse_period, resolution

REFUSED_STATUSES = ("refused", "receipt_refused")
TIMELINESS = ("late", "on_time")
MAX_ROWS = 5000
PASS_TYPES = ("submitted", "task_completed", "external_result", "internal_result", "timer")


@dataclass(frozen=True)
class AuditFilter:
    period: Period
    commune: str | None = None
    procedure: str | None = None
    official: str | None = None
    timeliness: str | None = None  # late | on_time
    refused: bool = False
    reason: str | None = None  # words of the refusal reason (diacritics-insensitive)


def parse_filter(args: Mapping[str, Any]) -> AuditFilter:
    """The search of the query string; 400 naming the field on bad input."""
    period = parse_period(args.get("from"), args.get("to"))
    fields: dict[str, str] = {}
    commune = (args.get("commune") or "").strip() or None
    if commune and (len(commune) != 5 or not commune.isdigit()):
        fields["commune"] = "«Xã/phường» phải là mã gồm 5 chữ số."
    procedure = args.get("procedure") or None
    if procedure and procedure not in procedures.keys():
        fields["procedure"] = f"«Thủ tục» phải là một trong: {', '.join(procedures.keys())}."
    timeliness = args.get("timeliness") or None
    if timeliness and timeliness not in TIMELINESS:
        fields["timeliness"] = "«Thời hạn» phải là late (quá hạn) hoặc on_time (đúng hạn)."
    official = (args.get("official") or "").strip()[:80] or None
    reason = nfc((args.get("reason") or "").strip()[:200]) or None
    if fields:
        raise BadRequest("Điều kiện tìm kiếm không hợp lệ.", code="validation_failed", fields=fields)
    refused = str(args.get("refused") or "").lower() in ("1", "true", "yes", "on") or bool(reason)
    return AuditFilter(period, commune, procedure, official, timeliness, refused, reason)


def _auditor(actor: User) -> None:
    if not actor.has_role("auditor"):
        raise Forbidden("Chỉ thanh tra, kiểm tra được tra cứu hồ sơ trên mọi xã trong phạm vi.")


def timeliness(dossier: Dossier, now: datetime) -> str | None:
    """late / on_time against the statutory due date (department statistics' yardstick); None before a
    due date exists. An open dossier is late once its due date has passed."""
    done = resolution(dossier)
    if done is not None:
        return "late" if done == "late" else "on_time"
    due = legal_due_at(dossier)
    if due is None:
        return None
    if dossier.completed_at is not None:
        return "late" if dossier.completed_at > due else "on_time"
    return "late" if now > due else "on_time"


@dataclass
class AuditPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(received_at: datetime, dossier_id: int) -> str:
    raw = f"{received_at.isoformat()}|{dossier_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (received_at, id) the previous page ended with; None for the first page or garbage."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, dossier_id = raw.split("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not dossier_id.isdigit() or len(dossier_id) > 18:
            return None
        return when, int(dossier_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def search_page(actor: User, f: AuditFilter, limit: int, cursor: str | None = None) -> AuditPage:
    """One page of search(), newest first; `cursor` (keyset on received_at, id, not OFFSET) continues it."""
    found = _search(actor, f, limit + 1, decode_cursor(cursor))
    more = len(found) > limit
    found = found[:limit]
    last = found[-1][0] if more and found else None
    return AuditPage([row for _d, row in found], encode_cursor(last.received_at, last.id) if last else None)


def search(actor: User, f: AuditFilter, limit: int = MAX_ROWS) -> list[dict[str, Any]]:
    """Dossiers in the auditor's scope matching `f`, newest first: who acted, late or not, refusal."""
    return [row for _d, row in _search(actor, f, limit, None)]


def _search(
    actor: User, f: AuditFilter, limit: int, after: tuple[datetime, int] | None
) -> list[tuple[Dossier, dict[str, Any]]]:
    _auditor(actor)
    query = scope_dossiers(select(Dossier), actor).where(
        Dossier.received_at >= f.period.start_utc, Dossier.received_at < f.period.end_utc
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Dossier.received_at < at, and_(Dossier.received_at == at, Dossier.id < last_id))
        )
    if f.commune:
        query = query.where(Dossier.commune_code == f.commune)
    if f.procedure:
        query = query.where(Dossier.procedure == f.procedure)
    if f.refused:
        query = query.where(Dossier.status.in_(REFUSED_STATUSES))
    if f.official:
        query = query.where(
            exists().where(
                and_(
                    AuditEvent.dossier_id == Dossier.id,
                    AuditEvent.type == "task_completed",
                    AuditEvent.actor == f.official,
                )
            )
        )
    # the engine state, the declaration and the search text are not needed here: never loaded
    query = query.options(defer(Dossier.state), defer(Dossier.data), defer(Dossier.search_text))
    query = query.order_by(Dossier.received_at.desc(), Dossier.id.desc())
    if not f.timeliness and not f.reason:
        query = query.limit(limit)  # every other filter is in the SQL
    now = collaborators().clock.now()
    wanted = fold(f.reason) if f.reason else None
    chosen: list[tuple[Dossier, str | None, list[str]]] = []
    for batch in _batches(db.session.scalars(query), 500):
        refusals = _refusal_reasons({d.id for d in batch if d.status in REFUSED_STATUSES})
        for d in batch:
            late = timeliness(d, now)
            if f.timeliness and late != f.timeliness:
                continue
            why = [str(r) for r in (d.result or {}).get("reasons") or []] or refusals.get(d.id, [])
            if wanted and not any(wanted in fold(r) for r in why):
                continue
            chosen.append((d, late, why if d.status in REFUSED_STATUSES else []))
            if len(chosen) >= limit:
                break
        if len(chosen) >= limit:
            break
    officials = _officials({d.id for d, _late, _why in chosen})
    communes = {code: name for code, name in db.session.execute(select(Commune.code, Commune.name))}
    rows = []
    for d, late, why in chosen:
        due = legal_due_at(d)
        rows.append(
            (
                d,
                {
                    "code": d.code,
                    "procedure": d.procedure,
                    "commune_code": d.commune_code,
                    "commune": communes.get(d.commune_code, d.commune_code),
                    "status": d.status,
                    "received_at": d.received_at.isoformat(),
                    "due_at": due.isoformat() if due else None,
                    "completed_at": d.completed_at.isoformat() if d.completed_at else None,
                    "timeliness": late,
                    "officials": officials.get(d.id, []),
                    "refused": d.status in REFUSED_STATUSES,
                    "reasons": why,
                },
            )
        )
    return rows


def _batches(items: Any, size: int) -> Any:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _officials(ids: set[int]) -> dict[int, list[str]]:
    """Per dossier, the officials who completed one of its tasks, in order."""
    officials: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(ids)):
        rows = db.session.execute(
            select(AuditEvent.dossier_id, AuditEvent.actor)
            .where(AuditEvent.dossier_id.in_(chunk), AuditEvent.type == "task_completed")
            .order_by(AuditEvent.dossier_id, AuditEvent.seq)
        )
        for dossier_id, actor in rows:
            if actor not in officials[dossier_id]:
                officials[dossier_id].append(actor)
    return officials


def _refusal_reasons(ids: set[int]) -> dict[int, list[str]]:
    """Per refused dossier, the reasons of the refusing form (a receipt refusal writes them in the note)."""
    reasons: dict[int, list[str]] = {}
    for chunk in _chunks(sorted(ids)):
        rows = db.session.execute(
            select(AuditEvent.dossier_id, AuditEvent.data)
            .where(AuditEvent.dossier_id.in_(chunk), AuditEvent.type == "task_completed")
            .order_by(AuditEvent.dossier_id, AuditEvent.seq)
        )
        for dossier_id, data in rows:
            form = (data or {}).get("form") or {}
            if str(form.get("decision", "")).startswith("refuse"):
                why = form.get("reasons") or ([form["note"]] if form.get("note") else [])
                reasons[dossier_id] = [str(r) for r in why]
    return reasons


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


CSV_COLUMNS = (
    ("code", "Mã hồ sơ"),
    ("procedure", "Thủ tục"),
    ("commune", "Xã/phường"),
    ("status", "Tình trạng"),
    ("received_at", "Tiếp nhận"),
    ("due_at", "Hạn giải quyết"),
    ("completed_at", "Kết thúc"),
    ("timeliness", "Thời hạn"),
    ("officials", "Cán bộ xử lý"),
    ("reasons", "Lý do từ chối"),
)


def search_csv(rows: list[dict[str, Any]], labels: Mapping[str, Mapping[str, str]]) -> bytes:
    """The search as CSV: UTF-8 with a byte-order mark so Excel reads Vietnamese; dates dd/mm/yyyy HH:MM."""
    from app.domain.calendar import to_local

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _key, title in CSV_COLUMNS])
    for row in rows:
        line = []
        for key, _title in CSV_COLUMNS:
            value = row.get(key)
            if key.endswith("_at"):
                value = to_local(datetime.fromisoformat(value)).strftime("%d/%m/%Y %H:%M") if value else ""
            elif isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            elif key in labels:
                value = labels[key].get(str(value), str(value or "")) if value is not None else ""
            line.append("" if value is None else str(value))
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- the process heat map ------------------------------------------------------------------------------


def process_heat(
    actor: User, key: str, version: int, period: Period, commune: str | None = None
) -> dict[str, dict[str, Any]]:
    """{element id: passes, dossiers, median wait (office minutes), late passes, share late} for the
    dossiers of one process version received in `period` (auditors: their scope; analysts: all)."""
    if not actor.has_role("auditor", "analyst"):
        raise Forbidden("Chỉ thanh tra và chuyên viên quy trình được xem bản đồ nhiệt của quy trình.")
    pv = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
    ).first()
    if pv is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    dossiers = select(Dossier.id).where(
        Dossier.process_version_id == pv.id,
        Dossier.received_at >= period.start_utc,
        Dossier.received_at < period.end_utc,
    )
    if actor.has_role("auditor") and actor.scope:
        dossiers = dossiers.where(Dossier.commune_code.in_(actor.scope))
    if commune:
        dossiers = dossiers.where(Dossier.commune_code == commune)
    ordered = (
        select(
            AuditEvent.dossier_id,
            AuditEvent.seq,
            AuditEvent.type,
            AuditEvent.task,
            AuditEvent.at,
            func.lag(AuditEvent.at, type_=UTCDateTime())
            .over(partition_by=AuditEvent.dossier_id, order_by=AuditEvent.seq)
            .label("prev_at"),
        )
        .where(AuditEvent.dossier_id.in_(dossiers))
        .subquery()
    )
    rows = db.session.execute(
        select(ordered).where(ordered.c.type.in_(PASS_TYPES)).order_by(ordered.c.dossier_id, ordered.c.seq)
    ).all()
    accepted = _acceptances(dossiers)
    definition = definition_for(pv.id)
    user_tasks = definition.user_tasks
    specs = getattr(definition.spec, "task_specs", {})
    calendar = collaborators().calendar
    office = OfficeTime(calendar)
    waits: dict[str, list[float]] = defaultdict(list)
    seen: dict[str, set[int]] = defaultdict(set)
    late: dict[str, int] = defaultdict(int)
    with_deadline: dict[str, int] = defaultdict(int)
    for dossier_id, seq, type_, task, at, prev_at in rows:
        element = "start" if type_ == "submitted" else task
        if not element:
            continue
        seen[element].add(dossier_id)
        opened = prev_at or at
        waits[element].append(office.between(opened, at).total_seconds() / 60)
        info = user_tasks.get(element) if type_ == "task_completed" else None
        if info is not None:
            due_then = _due_before(accepted.get(dossier_id, []), seq)
            with_deadline[element] += 1
            if at > step_due_at(calendar, info, opened, due_then):
                late[element] += 1
    out: dict[str, dict[str, Any]] = {}
    for element, minutes in waits.items():
        counted = with_deadline.get(element, 0)
        spec = specs.get(element)
        out[element] = {
            "name": str(getattr(spec, "bpmn_name", None) or element),
            "passes": len(minutes),
            "dossiers": len(seen[element]),
            "median_wait_minutes": round(float(stats.median(minutes)), 1),
            "late": late.get(element, 0),
            "late_share": round(late.get(element, 0) / counted, 4) if counted else None,
        }
    return out


def _acceptances(dossiers: Any) -> dict[int, list[tuple[int, datetime]]]:
    """Per dossier, (seq, due date) of every acceptance (dossier/accept result), in order."""
    rows = db.session.execute(
        select(AuditEvent.dossier_id, AuditEvent.seq, AuditEvent.data)
        .where(
            AuditEvent.dossier_id.in_(dossiers),
            AuditEvent.type == "internal_result",
            AuditEvent.data["operation"].as_string() == ACCEPT_OPERATION,  # json_extract / ->>
        )
        .order_by(AuditEvent.dossier_id, AuditEvent.seq)
    )
    out: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for dossier_id, seq, data in rows:
        if (data or {}).get("operation") == ACCEPT_OPERATION:
            due = ((data or {}).get("result") or {}).get("due_at")
            if isinstance(due, str):
                out[dossier_id].append((seq, datetime.fromisoformat(due)))
    return out


def _due_before(acceptances: list[tuple[int, datetime]], seq: int) -> datetime | None:
    due = None
    for accepted_seq, when in acceptances:
        if accepted_seq < seq:
            due = when
    return due
