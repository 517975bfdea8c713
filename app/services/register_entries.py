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

from app.domain.calendar import LOCAL_TZ
from app.domain.findings import blocking
from app.domain.rules import evaluate_handover
from app.models import Dossier, RegisterBook, RegisterEntry, db
from app.services.errors import Conflict, Invalid

BOOK_KIND_NAMES = {"birth": "khai sinh", "marriage": "kết hôn", "death": "khai tử"}


def enter_in_register(dossier: Dossier, kind: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The next entry of this commune's book for the year; the UPDATE takes the book's row lock (no gaps)."""
    if dossier.procedure == "marriage":
        # LHT Art. 18: the marriage is entered only after both parties, present, confirmed it (KH-02, KH-11)
        refused = blocking(evaluate_handover(data.get("marriage_handover") or {}))
        if refused:
            raise Invalid(
                "Chưa thể ghi sổ: hai bên phải có mặt và xác nhận tự nguyện kết hôn.",
                rules=sorted({f.rule for f in refused}),
            )
    registered_on = now.astimezone(LOCAL_TZ).date()
    bumped = _next_number(dossier.commune_code, kind, registered_on.year)
    if bumped is None:
        # first entry of the year (or the book is closed): make sure the book exists, then try once more
        open_book(dossier.commune_code, kind, registered_on.year, registered_on)
        bumped = _next_number(dossier.commune_code, kind, registered_on.year)
    if bumped is None:
        # Luật Hộ tịch Art. 58 (C14): a closed book takes no more entries
        raise Conflict(
            f"Sổ đăng ký {BOOK_KIND_NAMES.get(kind, kind)} năm {registered_on.year} đã khóa sổ; "
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
    dossier.result = {
        **dossier.result,
        "register": {"book": book_number, "number": number},
        "registered_on": registered_on.isoformat(),
        "classification": classification,
    }
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
    """The register's classification box (domain.md §4.8.2, §5.8.2, §6.8.2)."""
    special = (data.get("dossier") or {}).get("special_case")
    if dossier.procedure == "birth" and special == "abandoned":
        return "tre_bi_bo_roi"
    if dossier.procedure == "birth" and special == "parents_unknown":
        return "tre_chua_xac_dinh_cha_me"
    if dossier.procedure == "marriage":
        return "ket_hon_lan_dau"  # a new registration (not "Đăng ký lại" nor "Ghi chú kết hôn")
    return "qua_han" if dossier.late else "dung_han"


def _name(person: Any, lookup: Any) -> str | None:
    person = person if isinstance(person, dict) else {}
    lookup = lookup if isinstance(lookup, dict) else {}
    value = person.get("full_name") or lookup.get("full_name")
    return str(value) if value else None


def register_summary(procedure: str, data: dict[str, Any]) -> dict[str, Any]:
    """The register row as the printed book shows it (app.documents: register_book summaries)."""
    form, lookups = data.get("dossier") or {}, data.get("lookups") or {}
    declarant = (form.get("requester") or {}).get("full_name")
    if procedure == "birth":
        child = form.get("child") or {}
        return {
            "full_name": child.get("full_name"),
            "birth_date": child.get("birth_date"),
            "sex": child.get("sex"),
            "personal_id": None,  # assigned by the population registry after the entry
            "mother_name": _name(form.get("mother"), lookups.get("mother")),
            "father_name": _name(form.get("father"), lookups.get("father")),
            "declarant_name": declarant,
        }
    if procedure == "marriage":
        out: dict[str, Any] = {}
        for role in ("bride", "groom"):
            person, record = form.get(role) or {}, lookups.get(role) or {}
            out[f"{role}_name"] = _name(person, record)
            out[f"{role}_birth_date"] = person.get("birth_date") or (
                record.get("birth_date") if isinstance(record, dict) else None
            )
            out[f"{role}_personal_id"] = person.get("personal_id")
            out[f"{role}_marriage_count"] = person.get("marriage_count")
        return out
    person, record = form.get("deceased") or {}, lookups.get("deceased") or {}
    record = record if isinstance(record, dict) else {}
    death = form.get("death") or {}
    summary = {
        "full_name": _name(person, record),
        "sex": person.get("sex") or record.get("sex"),
        "personal_id": person.get("personal_id"),
        "died_at": death.get("at"),
        "death_place": death.get("place"),
        "declarant_name": declarant,
    }
    birth = person.get("birth_date") or record.get("birth_date")
    if birth:
        summary["birth_date"] = birth
    else:
        summary["birth_year"] = person.get("birth_year")
    return summary
