"""Register entries: Sổ đăng ký khai sinh / kết hôn / khai tử, one book per commune, kind and year (C14).

Entry numbers are taken inside the registering command's transaction, so they have no gaps or duplicates
even when several officials register at the same moment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.calendar import local_date
from app.models import Dossier, RegisterBook, RegisterEntry, db
from app.procedures import get as get_procedure
from app.services.dossier_result import record_result
from app.services.errors import Conflict, Invalid


def enter_in_register(dossier: Dossier, kind: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The next entry of this commune's book for the year; the UPDATE takes the book's row lock (no gaps)."""
    guard = get_procedure(dossier.procedure).register.guard
    refusal = guard(data) if guard else None
    if refusal is not None:
        raise Invalid(refusal.message, rules=refusal.rules)
    registered_on = local_date(now)
    bumped = _next_number(dossier.commune_code, kind, registered_on.year)
    if bumped is None:
        # first entry of the year (or the book is closed): make sure the book exists, then try once more
        open_book(dossier.commune_code, kind, registered_on.year, registered_on)
        bumped = _next_number(dossier.commune_code, kind, registered_on.year)
    if bumped is None:
        # Luật Hộ tịch Art. 58 (C14): a closed book takes no more entries
        raise Conflict(
            f"Sổ đăng ký {get_procedure(kind).book_name} năm {registered_on.year} đã khóa sổ; "
            "không thể ghi thêm việc đăng ký vào sổ này.",
            code="register_book_closed",
        )
    book_id, book_number, number = bumped
    classification = classification_of(dossier, data)
    summary = register_summary(dossier.procedure, data)
    db.session.add(
        RegisterEntry(
            book_id=book_id,
            number=number,
            dossier_id=dossier.id,
            registered_on=registered_on,
            classification=classification,
            summary=summary,
        )
    )
    entry = {
        "book": book_number,
        "number": number,
        "registered_on": registered_on.isoformat(),
        "classification": classification,
    }
    record_result(
        dossier,
        register={"book": book_number, "number": number},
        registered_on=registered_on.isoformat(),
        classification=classification,
    )
    return entry


def _next_number(commune_code: str, kind: str, year: int) -> tuple[int, str, int] | None:
    """Take the next entry number of an open book in one statement; the UPDATE holds the book's row lock
    until commit, so concurrent registrations get consecutive numbers and a rollback leaves no gap."""
    row = db.session.execute(
        update(RegisterBook)
        .where(
            RegisterBook.commune_code == commune_code,
            RegisterBook.kind == kind,
            RegisterBook.year == year,
            RegisterBook.closed_at.is_(None),
        )
        .values(last_number=RegisterBook.last_number + 1)
        .returning(RegisterBook.id, RegisterBook.number, RegisterBook.last_number)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def open_book(commune_code: str, kind: str, year: int, opened_on: date) -> RegisterBook:
    """The book of a commune, kind and year (INSERT … ON CONFLICT DO NOTHING, then read it)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(RegisterBook)
        .values(
            commune_code=commune_code,
            kind=kind,
            year=year,
            number=f"01/{year}",
            opened_on=opened_on,
            last_number=0,
        )
        .on_conflict_do_nothing(index_elements=["commune_code", "kind", "year"])
    )
    book = db.session.scalars(
        select(RegisterBook)
        .where(
            RegisterBook.commune_code == commune_code, RegisterBook.kind == kind, RegisterBook.year == year
        )
        .execution_options(populate_existing=True)
    ).one()
    return book


def classification_of(dossier: Dossier, data: dict[str, Any]) -> str:
    """The register's classification box, as the dossier's procedure fills it (domain.md §4.8.2 …)."""
    return get_procedure(dossier.procedure).register.classify(data, bool(dossier.late))


def register_summary(procedure: str, data: dict[str, Any]) -> dict[str, Any]:
    """The register row as the printed book shows it (app.documents: register_book summaries)."""
    return get_procedure(procedure).register.summary(data)


def void_register_entry(dossier: Dossier, reason: str, now: datetime) -> dict[str, Any]:
    """Luật Hộ tịch Art. 16(2), 18(2), 34(2): the chairman refused to sign after the entry was made. The entry
    stays in the book, marked void with its reason; its number is never given again (the book's counter only
    grows), and nothing is deleted."""
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.dossier_id == dossier.id)).first()
    if entry is None:
        return {"voided": False}
    reason = reason.strip() or "Người có thẩm quyền từ chối ký."
    voided = {"at": now.isoformat(), "reason": reason}
    entry.summary = {**(entry.summary or {}), "voided": voided}
    entry.note = f"ĐÃ HỦY ngày {local_date(now):%d/%m/%Y}: {reason}"[:500]
    register = dict(dossier.result.get("register") or {})
    record_result(dossier, register={**register, "voided": True}, register_void=voided)
    return {"voided": True, "number": entry.number, **voided}


SIGNING_MODES = ("in_person", "at_collection")


def record_register_signature(
    dossier: Dossier, data: dict[str, Any], task: str, now: datetime
) -> dict[str, Any]:
    """Luật Hộ tịch Art. 16(2), 18(2), 34(2): the declarant (both parties for a marriage) and the officer sign
    the register. Recorded on the entry and the dossier: who, when, in person or at collection (online)."""
    form = data.get(task) or {}
    actor = (data.get("actors") or {}).get(task) or {}
    mode = str(form.get("mode") or "in_person")
    form_data = data.get("dossier") or {}
    declarants = get_procedure(dossier.procedure).register.declarants
    names = [(form_data.get(p) or {}).get("full_name") for p in declarants]
    requester = " và ".join(n for n in names if n) or (form_data.get("requester") or {}).get("full_name", "")
    signature = {
        "at": now.isoformat(),
        "officer": actor.get("full_name") or actor.get("username") or "",
        "declarant": form.get("declarant_name") or requester,
        "mode": mode if mode in SIGNING_MODES else "in_person",
    }
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.dossier_id == dossier.id)).first()
    if entry is not None:
        entry.summary = {**(entry.summary or {}), "signed": signature}
    record_result(dossier, register_signature=signature)
    return signature
