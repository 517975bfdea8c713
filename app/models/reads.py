"""Who read a dossier's personal data, when, and through which view (Decree 13/2023/NĐ-CP)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class PersonalDataRead(Base):
    """One read of a dossier's personal data by a user (official, auditor, system account) — append-only."""

    __tablename__ = "personal_data_read"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    username: Mapped[str] = mapped_column(String(80))
    roles: Mapped[str] = mapped_column(String(200))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    dossier_code: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # page | api
    view: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(300), default="")
    __table_args__ = (
        Index("ix_personal_data_read_dossier_at", "dossier_id", "at"),
        Index("ix_personal_data_read_username_at", "username", "at"),
    )
