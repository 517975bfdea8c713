"""The embedded stand-in of the National Population Database (CSDL quốc gia về dân cư)."""

from datetime import date

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Person(Base):
    __tablename__ = "registry_person"
    personal_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(50))
    nationality: Mapped[str] = mapped_column(String(50))
    residence_commune_code: Mapped[str | None] = mapped_column(String(5))
    marital_status: Mapped[str] = mapped_column(String(10), default="single")
    spouse_personal_id: Mapped[str | None] = mapped_column(String(12))
    mother_personal_id: Mapped[str | None] = mapped_column(String(12), index=True)
    father_personal_id: Mapped[str | None] = mapped_column(String(12), index=True)
    # spec/api.md: earlier spouses (divorced, or died), adoptive parents (current or former), and civil act
    # capacity ("full" | "lost" | "limited", BLDS 2015 Art. 22–24); the marriage bars read them (KH-03, KH-05)
    former_spouse_personal_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    adoptive_mother_personal_id: Mapped[str | None] = mapped_column(String(12))
    adoptive_father_personal_id: Mapped[str | None] = mapped_column(String(12))
    legal_capacity: Mapped[str] = mapped_column(String(7), default="full")
    deceased_on: Mapped[date | None] = mapped_column(Date)
    civil_status_locked: Mapped[bool] = mapped_column(default=False)
    birth_registered: Mapped[bool] = mapped_column(default=True)
    # the dossier code that created this record (idempotency of retried registry calls)
    source_ref: Mapped[str | None] = mapped_column(String(40), unique=True)
