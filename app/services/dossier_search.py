"""Finding dossiers: by code or a person's name (diacritics-insensitive), procedure and status, newest first.

Scoped like every dossier read (services.access); pages are cut by keyset on the id, not OFFSET.
PostgreSQL answers the name search from its pg_trgm index. SQLite has no statistics to choose between the
commune index and the FTS5 hits (it would sort a whole commune), so there the candidates come newest first
from the FTS5 trigram index (3 characters and more) or the primary key (shorter queries), in growing
batches, re-checked with the same LIKE and the caller's scope, until the page is full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.models import Dossier, User, db
from app.models.search_index import dossier_fts
from app.services.access import can_read_dossier_of, scope_dossiers
from app.services.dossiers import summary_view
from app.services.inbox import subject_name
from app.services.text_search import MIN_TRIGRAM, SELECTIVE, folded_query, fts_phrase

PAGE_SIZE = 25
FIRST_BATCH = 100  # candidates read first on SQLite; doubled while the page is not full
MAX_BATCH = 5000


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
    text = folded_query(q) if q else ""
    if text and db.session.get_bind().dialect.name == "sqlite":
        ids = _sqlite_matches(actor, text, procedure, status, before, limit + 1)
        query = select(Dossier).where(Dossier.id.in_(ids)) if ids else None
    else:
        query = scope_dossiers(select(Dossier), actor)
        if text:
            query = query.where(Dossier.search_text.contains(text, autoescape=True))
        if procedure:
            query = query.where(Dossier.procedure == procedure)
        if status:
            query = query.where(Dossier.status == status)
        if before:
            query = query.where(Dossier.id < before)
    rows = (
        [] if query is None else list(db.session.scalars(query.order_by(Dossier.id.desc()).limit(limit + 1)))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{**summary_view(d), "subject": subject_name(d.procedure, d.data or {})} for d in rows]
    return SearchPage(items, rows[-1].id if more and rows else None)


def _sqlite_matches(
    actor: User, text: str, procedure: str | None, status: str | None, before: int | None, want: int
) -> list[int]:
    """Ids of the newest `want` readable dossiers below `before` whose search text contains `text`."""
    like = Dossier.search_text.contains(text, autoescape=True)
    columns = (Dossier.id, Dossier.commune_code, Dossier.channel, Dossier.procedure, Dossier.status)
    use_fts = len(text) >= MIN_TRIGRAM
    found: list[int] = []
    cursor = before
    batch = FIRST_BATCH
    known: list[int] | None = None  # every candidate, newest first, when there are few
    if use_fts:
        # FTS5 reads a phrase's hits in rowid order several times faster than in reverse: a selective
        # query's hits are all read at once, in order; only a broad one is walked newest first
        probe = select(dossier_fts.c.rowid).where(dossier_fts.c.search_text.match(fts_phrase(text)))
        if cursor:
            probe = probe.where(dossier_fts.c.rowid < cursor)
        try:
            ids = list(db.session.scalars(probe.limit(SELECTIVE + 1)))
            known = sorted(ids, reverse=True) if len(ids) <= SELECTIVE else None
        except OperationalError:  # a query FTS5 cannot take: the primary-key walk answers the same
            use_fts = False
    while len(found) < want:
        if use_fts:
            if known is not None:
                candidates, known = known[:batch], known[batch:]
            else:
                hits = select(dossier_fts.c.rowid).where(dossier_fts.c.search_text.match(fts_phrase(text)))
                if cursor:
                    hits = hits.where(dossier_fts.c.rowid < cursor)
                candidates = list(db.session.scalars(hits.order_by(dossier_fts.c.rowid.desc()).limit(batch)))
            if not candidates:
                break
            # only the rowid IN list constrains this: SQLite reads just these rows
            rows = db.session.execute(
                select(*columns).where(Dossier.id.in_(candidates), like).order_by(Dossier.id.desc())
            ).all()
            exhausted = (not known) if known is not None else len(candidates) < batch
            cursor = candidates[-1]
        else:
            walk = select(*columns).where(like)
            if cursor:
                walk = walk.where(Dossier.id < cursor)
            rows = db.session.execute(walk.order_by(Dossier.id.desc()).limit(batch)).all()
            exhausted, cursor = len(rows) < batch, (rows[-1].id if rows else cursor)
        for row in rows:
            if not can_read_dossier_of(actor, row.commune_code, row.channel):
                continue
            if (procedure and row.procedure != procedure) or (status and row.status != status):
                continue
            found.append(row.id)
            if len(found) >= want:
                break
        if exhausted:
            break
        batch = min(batch * 2, MAX_BATCH)
    return found
