"""Register books (Sổ hộ tịch): read a commune's book, print it, and close it at year end.

Luật Hộ tịch Art. 58 (C14): one book per event type and year, closed on the last day of the year stating the
total pages and events, signed by the head of the body; after that register/enter refuses new entries.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select

from app.domain.calendar import local_date
from app.models import Dossier, RegisterBook, RegisterEntry, User, db
from app.procedures import get as get_procedure
from app.procedures import keys as procedure_keys
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.services.documents import issuer_of
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.register_entries import open_book
from app.services.transaction import write

# [design] entries per printed page of the electronic book (the landscape register_book layout)
ENTRIES_PER_PAGE = 20
CLOSING_ROLES = ("chairman", "officer")


def _check(kind: str, year: int) -> None:
    if kind not in procedure_keys():
        raise NotFound("Không có loại sổ này.")
    if not 1900 <= year <= 9999:
        raise NotFound("Không có sổ của năm này.")


def _commune_of(actor: User, commune: str | None) -> str:
    """Officials read their own commune's books; an auditor names a commune in its scope."""
    if actor.has_role(*OFFICIAL_ROLES):
        return str(actor.commune_code)
    if actor.has_role("auditor"):
        if not commune:
            raise Invalid("Cần chỉ rõ xã/phường (commune).", fields={"commune": "Thiếu mã xã/phường."})
        if actor.scope and commune not in actor.scope:
            raise NotFound("Không tìm thấy sổ.")
        return commune
    raise Forbidden("Vai trò của bạn không được xem sổ hộ tịch.")


def _book(commune: str, kind: str, year: int) -> RegisterBook | None:
    return db.session.scalars(
        select(RegisterBook).where(
            RegisterBook.commune_code == commune, RegisterBook.kind == kind, RegisterBook.year == year
        )
    ).first()


def _entries(book: RegisterBook) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(RegisterEntry, Dossier.code, Dossier.result)
        .join(Dossier, Dossier.id == RegisterEntry.dossier_id)
        .where(RegisterEntry.book_id == book.id)
        .order_by(RegisterEntry.number)
    ).all()
    out = []
    for entry, code, result in rows:
        summary = dict(entry.summary or {})
        if get_procedure(book.kind).register.personal_id_from_result and not summary.get("personal_id"):
            summary["personal_id"] = (result or {}).get("personal_id")  # assigned after the entry
        out.append(
            {
                "number": entry.number,
                "registered_on": entry.registered_on.isoformat(),
                "classification": entry.classification,
                "note": entry.note or None,
                "dossier_code": code,
                "summary": summary,
            }
        )
    return out


def _book_view(book: RegisterBook | None, commune: str, kind: str, year: int) -> dict[str, Any]:
    if book is None:
        return {
            "kind": kind,
            "year": year,
            "commune_code": commune,
            "number": f"01/{year}",
            "opened_on": None,
            "closed_on": None,
            "closed_by": None,
            "totals": None,
            "last_number": 0,
        }
    return {
        "kind": kind,
        "year": year,
        "commune_code": commune,
        "number": book.number,
        "opened_on": book.opened_on.isoformat(),
        "closed_on": local_date(book.closed_at).isoformat() if book.closed_at else None,
        "closed_by": book.closed_by,
        "totals": book.totals,
        "last_number": book.last_number,
    }


def get_register_book(actor: User, kind: str, year: int, commune: str | None = None) -> dict[str, Any]:
    """The book and its entries, oldest first (an empty book when nothing was registered yet)."""
    _check(kind, year)
    code = _commune_of(actor, commune)
    book = _book(code, kind, year)
    return {"book": _book_view(book, code, kind, year), "entries": _entries(book) if book else []}


def close_register_book(actor: User, kind: str, year: int) -> dict[str, Any]:
    """Close the commune's book on (or after) the last day of its year, recording the totals (C14)."""
    _check(kind, year)
    if not actor.has_role(*CLOSING_ROLES):
        raise Forbidden("Chỉ lãnh đạo UBND hoặc công chức hộ tịch được khóa sổ.")
    now = collaborators().clock.now()
    today = local_date(now)
    if today < date(year, 12, 31):
        raise Conflict(
            f"Sổ năm {year} chỉ được khóa vào ngày cuối cùng của năm (31/12/{year}) hoặc sau đó.",
            code="register_book_open_year",
        )
    commune = str(actor.commune_code)

    def close() -> None:
        book = open_book(commune, kind, year, min(today, date(year, 12, 31)))
        # the row lock orders us after any registration still numbering an entry in this book
        book = db.session.scalars(
            select(RegisterBook)
            .where(RegisterBook.id == book.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if book.closed_at is not None:
            name = get_procedure(kind).book_name
            raise Conflict(f"Sổ đăng ký {name} năm {year} đã khóa.", code="register_book_closed")
        classifications = Counter(
            db.session.scalars(select(RegisterEntry.classification).where(RegisterEntry.book_id == book.id))
        )
        events = sum(classifications.values())
        book.totals = {
            "events": events,
            "pages": max(1, math.ceil(events / ENTRIES_PER_PAGE)),
            "by_classification": dict(sorted(classifications.items())),
            "last_number": book.last_number,
        }
        book.closed_at, book.closed_by = now, actor.username

    write(close)
    return get_register_book(actor, kind, year)


def register_book_context(view: dict[str, Any], kind: str, year: int) -> dict[str, Any]:
    """The app.documents `register_book` context of a book (`get_register_book`'s view): the printable book,
    with the closing block once closed."""
    book = view["book"]
    code = book["commune_code"]
    token = "so-" + hashlib.sha256(f"{code}:{kind}:{year}:{book['closed_on']}".encode()).hexdigest()[:20]
    signer = None  # the head of the body signs the closing; closed by an officer: a blank block to sign
    if book["closed_by"]:
        closer = db.session.scalars(select(User).where(User.username == book["closed_by"])).first()
        if closer is not None and closer.has_role("chairman"):
            signer = {"name": closer.full_name, "title": "chu_tich"}
    today = local_date(collaborators().clock.now())
    return {
        "issuer": issuer_of(code),
        "issued_on": today.isoformat(),
        "verify_token": token,
        "verify_url": f"{collaborators().verify_base_url}/verify/{token}",
        "dossier_code": f"Sổ {get_procedure(kind).book_name} {book['number']}",
        "copy": None,
        "electronic": True,
        "signer": signer,
        "book": {
            "kind": kind,
            "number": book["number"],
            "year": year,
            "opened_on": book["opened_on"] or date(year, 1, 1).isoformat(),
            "closed_on": book["closed_on"],
            "totals": book["totals"],
        },
        "entries": [
            {
                **{k: e[k] for k in ("number", "registered_on", "classification", "note")},
                "summary": {**e["summary"], "personal_id": e["summary"].get("personal_id") or ""},
            }
            for e in view["entries"]
        ],
    }


def render_register_book(
    actor: User, kind: str, year: int, commune: str | None = None
) -> tuple[bytes, list[str]]:
    """The printable book, and the codes of the dossiers whose entries it prints (a read of their data)."""
    from app.documents import render_pdf

    view = get_register_book(actor, kind, year, commune)
    pdf = render_pdf("register_book", register_book_context(view, kind, year))
    return pdf, [e["dossier_code"] for e in view["entries"]]
