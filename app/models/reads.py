"""Who read personal data — a dossier's, or a person's record in the population registry — when, and through
which view (Decree 13/2023/NĐ-CP)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class PersonalDataRead(Base):
    """One read of personal data by a user (official, auditor, system account) — append-only: a dossier's
    (`dossier_id`), or a registry person's looked up at the counter or by the registry admin (`subject`, the
    personal id; no dossier yet)."""

    __tablename__ = "personal_data_read"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    username: Mapped[str] = mapped_column(String(80))
    roles: Mapped[str] = mapped_column(String(200))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    dossier_code: Mapped[str] = mapped_column(String(40), default="")
    subject: Mapped[str] = mapped_column(String(40), default="")
    # the reader's commune (None for city-wide accounts): scopes the reads that name no dossier
    commune_code: Mapped[str | None] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))  # page | api
    view: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(300), default="")
    __table_args__ = (
        Index("ix_personal_data_read_dossier_at", "dossier_id", "at"),
        Index("ix_personal_data_read_username_at", "username", "at"),
    )
