"""Declarative base and the Flask-SQLAlchemy handle shared by every model."""

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """The typed declarative base every model subclasses (rather than `db.Model`, which mypy cannot use as
    a base class). Flask-SQLAlchemy builds `db.Model` from this class's namespace, so both share one
    registry and one metadata: `db.create_all()`, `db.session` and Alembic see every model."""

    metadata = MetaData(naming_convention=NAMING)


# expire_on_commit=False: a command commits its read transaction before taking the write lock
# (services.transaction.begin_write) and keeps using the objects it already loaded; rows it writes are
# re-read with populate_existing under the lock.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
