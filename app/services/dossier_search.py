"""Finding dossiers: by code or a person's name (diacritics-insensitive), procedure and status, newest first.

Scoped like every dossier read (services.access); pages are cut by keyset on the id, not OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.models import Dossier, User, db
from app.services.access import scope_dossiers
from app.services.dossiers import summary_view
from app.services.inbox import subject_name
from app.services.text_search import folded_query, name_condition

PAGE_SIZE = 25


@dataclass
class SearchPage:
    items: list[dict[str, Any]]
    next_before: int | None


def search_dossiers(
    actor: User,
    *,
    q: str | None = None,
    procedure: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> SearchPage:
    query = scope_dossiers(select(Dossier), actor)
    if q and q.strip():
        query = query.where(name_condition(folded_query(q), Dossier.search_text, Dossier.id))
    if procedure:
        query = query.where(Dossier.procedure == procedure)
    if status:
        query = query.where(Dossier.status == status)
    if before:
        query = query.where(Dossier.id < before)
    rows = list(db.session.scalars(query.order_by(Dossier.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{**summary_view(d), "subject": subject_name(d.procedure, d.data or {})} for d in rows]
    return SearchPage(items, rows[-1].id if more and rows else None)
