"""The training space's own tables: exercises and trainees' attempts.

They have their own metadata, created only in the training database: the real database (and its Alembic
migrations) never holds anything of training.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.models.base import JSONType, UTCDateTime


class TrainingBase(DeclarativeBase):
    metadata = MetaData()


class Exercise(TrainingBase):
    """A scripted dossier with a planted problem, and the decision (and rule) a careful official reaches."""

    __tablename__ = "training_exercise"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(Text)  # what is planted, shown to the trainer and after the answer
    task: Mapped[str] = mapped_column(String(80), default="officer_examine")  # the step the trainee works
    # {"data": the declaration (the procedure's submission form), "persons": synthetic persons to create}
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(20), default="counter")
    expected_decision: Mapped[str] = mapped_column(String(40))
    expected_rule: Mapped[str | None] = mapped_column(String(20), nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attempt(TrainingBase):
    """One trainee working one exercise: its training dossier, then the score once the step is done."""

    __tablename__ = "training_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(Integer, index=True)
    trainee: Mapped[str] = mapped_column(String(80), index=True)
    dossier_code: Mapped[str] = mapped_column(String(40), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cited: Mapped[str | None] = mapped_column(Text, nullable=True)  # the reasons and note the trainee wrote
    decision_right: Mapped[bool | None] = mapped_column(nullable=True)
    rule_right: Mapped[bool | None] = mapped_column(nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0-100
