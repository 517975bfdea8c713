"""Register books (one per commune, event type and year) and their numbered entries; counters."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, UTCDateTime


class RegisterBook(Base):
    """Sổ hộ tịch: Luật Hộ tịch Art. 58 — one book per event type, closed on the last day of the year."""

    __tablename__ = "register_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"))
    kind: Mapped[str] = mapped_column(String(20))  # birth | marriage | death
    year: Mapped[int]
    number: Mapped[str] = mapped_column(String(20))  # "01/2026"
    last_number: Mapped[int] = mapped_column(default=0)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(80))
    totals: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    __table_args__ = (UniqueConstraint("commune_code", "kind", "year", name="uq_register_book_ckey"),)


class RegisterEntry(Base):
    __tablename__ = "register_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("register_book.id"))
    number: Mapped[int]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    registered_on: Mapped[date] = mapped_column(Date)
    classification: Mapped[str] = mapped_column(String(40))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str] = mapped_column(String(500), default="")
    __table_args__ = (UniqueConstraint("book_id", "number", name="uq_register_entry_book_number"),)


class Counter(Base):
    """Named gap-free counters (dossier codes per commune and day), bumped in the caller's transaction."""

    __tablename__ = "counter"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
