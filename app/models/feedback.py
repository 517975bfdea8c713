"""Citizens' feedback (phản ánh, kiến nghị) and the department's proposals to change a process."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime
from app.models.process import ProcessVersion


class FeedbackProposal(Base):
    """A proposal to adjust a process, backed by feedback items; linked to the process version carrying the
    change (a draft or a deployed version), whose `deployed_at` says when the change went live."""

    __tablename__ = "feedback_proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    process_version: Mapped[ProcessVersion | None] = relationship(lazy="joined")


class Feedback(Base):
    """One citizen's feedback; `client_hash` (a keyed hash of the sender's address) only rate-limits."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    element_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # portal | public | verify
    client_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    category: Mapped[str | None] = mapped_column(String(40))
    categorised_by: Mapped[str | None] = mapped_column(String(80))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_proposal.id"))
    proposal: Mapped[FeedbackProposal | None] = relationship(lazy="joined")
    __table_args__ = (
        Index("ix_feedback_commune_created", "commune_code", "created_at"),
        Index("ix_feedback_client_created", "client_hash", "created_at"),
        Index("ix_feedback_dossier_id", "dossier_id"),
    )
