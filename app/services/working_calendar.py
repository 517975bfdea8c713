"""The working-day calendar every deadline uses: statutory holidays, the shipped official swaps, and the
admin's corrections stored in the database; published as api.md § Calendar."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.calendar import DAY_KINDS, DayOverride, WorkingCalendar, calendar_with
from app.domain.text import nfc
from app.models import CalendarDay, Counter, User, db
from app.services.errors import BadRequest, Forbidden, Invalid, NotFound
from app.services.transaction import write

# The lunar holidays of `holidays` (Tết, Hùng Kings) are known for 1901–2099 only.
MIN_YEAR, MAX_YEAR = 1901, 2099
MAX_WORKING_DAYS = 366  # a due date stays inside MAX_YEAR for a receipt up to MAX_YEAR - 2


_CACHE_KEY = "hotich_calendar"
_GENERATION_SEEN = "hotich_calendar_generation"  # (transaction, generation) read with a dossier's lock
# A random value in the `counter` table, replaced in the transaction of every correction: a process keeps
# the calendar it built for one generation and reads the days again only when the generation differs.
GENERATION_KEY = "calendar_generation"


def generation_column() -> Any:
    """The calendar generation as a column of another statement (the dossier lock reads it for free)."""
    return select(Counter.value).where(Counter.key == GENERATION_KEY).scalar_subquery()


def note_generation(value: int | None, *, known: bool = True) -> None:
    """What `generation_column` returned in this transaction, so `effective_calendar` need not ask again
    (`known=False`: forget it, the value may be older than the transaction's other reads)."""
    session = db.session()
    if known:
        session.info[_GENERATION_SEEN] = (session.get_transaction(), value)
    else:
        session.info.pop(_GENERATION_SEEN, None)


def bump_generation() -> None:
    """In the transaction that changes the calendar (or creates the database): a fresh generation."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    value = secrets.randbits(31)  # the counter column is a 32-bit integer on PostgreSQL
    stmt = insert(Counter).values(key=GENERATION_KEY, value=value)
    db.session.execute(stmt.on_conflict_do_update(index_elements=[Counter.key], set_={"value": value}))
    db.session.info.pop(_CACHE_KEY, None)  # this transaction's own reads see the correction
    db.session.info.pop(_GENERATION_SEEN, None)


def effective_calendar(*, saturday_morning: bool = False) -> WorkingCalendar:
    """The calendar with the admin's corrections as they are in the database now.

    Kept per process for the current generation (a correction commits a new one, which every process
    sees in its next transaction); within one transaction it is looked up once."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if transaction is not None and cached and cached[0] is transaction and cached[1] == saturday_morning:
        return cached[2]  # type: ignore[no-any-return]
    seen = session.info.get(_GENERATION_SEEN)
    if transaction is not None and seen and seen[0] is transaction:
        generation = seen[1]
    else:
        with session.no_autoflush:
            generation = session.scalar(select(Counter.value).where(Counter.key == GENERATION_KEY))
    kept: dict[bool, tuple[int, WorkingCalendar]] = current_app.extensions.setdefault(_CACHE_KEY, {})
    hit = kept.get(saturday_morning)
    if generation is not None and hit is not None and hit[0] == generation:
        calendar = hit[1]
    else:
        # a database without a generation (created before it existed, never corrected since): read the
        # days in every transaction, as nothing would tell this process about a change
        calendar = _read_calendar(saturday_morning)
        if generation is not None:
            kept[saturday_morning] = (generation, calendar)
    session.info[_CACHE_KEY] = (session.get_transaction(), saturday_morning, calendar)
    return calendar


def _read_calendar(saturday_morning: bool) -> WorkingCalendar:
    """The calendar with the admin's corrections as they are in the database now (read on every call, so
    every process of a multi-worker install sees a correction at once; built once per set of rows)."""
    # no autoflush: a command asks for the calendar while it builds rows that are not complete yet
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(CalendarDay.day, CalendarDay.kind, CalendarDay.name, CalendarDay.source)
        ).all()
    key = tuple(sorted((r.day, r.kind, r.name, r.source) for r in rows))
    return _built(key, saturday_morning)


@lru_cache(maxsize=8)
def _built(rows: tuple[tuple[date, str, str, str], ...], saturday_morning: bool) -> WorkingCalendar:
    corrections = [
        DayOverride(d, "working" if k == "working" else "non_working", n, s) for d, k, n, s in rows
    ]
    return calendar_with(corrections, saturday_morning=saturday_morning)


def year_calendar(year_text: str, calendar: WorkingCalendar) -> dict[str, Any]:
    """`GET /calendar/{year}`: the year's days off and working weekend days, by date."""
    year = _int(year_text, "year", "Năm", MIN_YEAR, MAX_YEAR)
    return {
        "year": year,
        "non_working_days": [{"date": d.isoformat(), "name": n} for d, n in calendar.non_working_days(year)],
        "working_weekend_days": [
            {"date": d.isoformat(), "name": n} for d, n in calendar.working_weekend_days(year)
        ],
    }


def due(received_at: str | None, working_days: str | None, calendar: WorkingCalendar) -> dict[str, Any]:
    """`GET /calendar/due`: the due time the dossiers get (15:00 cut-off, weekends, holidays, swaps)."""
    fields: dict[str, str] = {}
    moment: datetime | None = None
    text = (received_at or "").strip().replace(" ", "+")  # a "+" offset arrives as a space in a query
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or not MIN_YEAR <= moment.year <= MAX_YEAR - 2:
        fields["received_at"] = (
            "Thời điểm tiếp nhận phải là ngày giờ ISO 8601 có múi giờ, ví dụ 2025-12-31T15:30:00+07:00."
        )
    days: int | None = None
    try:
        days = _int(working_days, "working_days", "Số ngày làm việc", 1, MAX_WORKING_DAYS)
    except BadRequest as exc:
        fields.update(exc.fields)
    if fields or moment is None or days is None:
        raise BadRequest("Tham số không hợp lệ.", fields=fields, code="bad_request")
    return {"due_at": calendar.due_at(moment, days).isoformat()}


def list_corrections(actor: User) -> list[dict[str, Any]]:
    """The admin's corrections, newest date first."""
    _admin(actor)
    rows = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())).all()
    return [_row(r) for r in rows]


def set_day(actor: User, body: Any, now: datetime) -> dict[str, Any]:
    """Add or correct one day (`{"date", "kind": "non_working"|"working", "name", "source"?}`); admin only."""
    _admin(actor)
    if not isinstance(body, dict):
        raise Invalid("Nội dung phải là đối tượng JSON.")
    body = nfc(body)
    fields: dict[str, str] = {}
    day: date | None = None
    try:
        day = date.fromisoformat(body.get("date")) if isinstance(body.get("date"), str) else None
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        fields["date"] = "Ngày phải có dạng YYYY-MM-DD."
    kind = body.get("kind")
    if kind not in DAY_KINDS:
        fields["kind"] = "Loại ngày phải là non_working (ngày nghỉ) hoặc working (ngày làm việc)."
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        fields["name"] = "Tên (lý do) của ngày là bắt buộc."
    elif len(name.strip()) > 200:
        fields["name"] = "Tên (lý do) của ngày dài quá 200 ký tự."
    source = body.get("source") or ""
    if not isinstance(source, str):
        fields["source"] = "Văn bản căn cứ phải là chuỗi ký tự."
    elif len(source.strip()) > 500:
        fields["source"] = "Văn bản căn cứ dài quá 500 ký tự."
    if fields or day is None or not isinstance(name, str) or not isinstance(source, str):
        raise Invalid("Ngày trong lịch làm việc không hợp lệ.", fields=fields, code="validation_failed")
    the_day: date = day
    the_kind, the_name, the_source = str(kind), name.strip(), source.strip()

    def work() -> dict[str, Any]:
        row = db.session.get(CalendarDay, the_day, populate_existing=True) or CalendarDay(day=the_day)
        row.kind, row.name, row.source = the_kind, the_name, the_source
        row.changed_by, row.changed_at = actor.username, now
        db.session.add(row)
        db.session.flush()
        bump_generation()
        return _row(row)

    return write(work)


def delete_day(actor: User, day_text: str) -> None:
    """Remove an admin correction (the day goes back to the official calendar); admin only."""
    _admin(actor)
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        message = "Ngày phải có dạng YYYY-MM-DD."
        raise BadRequest(message, fields={"date": message}) from None

    def work() -> None:
        row = db.session.get(CalendarDay, day)
        if row is None:
            raise NotFound("Không có điều chỉnh nào cho ngày này.")
        db.session.delete(row)
        db.session.flush()
        bump_generation()

    write(work)


def _row(r: CalendarDay) -> dict[str, Any]:
    return {
        "date": r.day.isoformat(),
        "kind": r.kind,
        "name": r.name,
        "source": r.source,
        "changed_by": r.changed_by,
        "changed_at": r.changed_at.isoformat(),
    }


def _admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên được sửa lịch làm việc.")


def _int(text: str | None, field: str, label: str, low: int, high: int) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        message = f"{label} phải là số nguyên từ {low} đến {high}."
        raise BadRequest(message, fields={field: message})
    return int(value)
