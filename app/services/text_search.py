"""Substring search over the folded `search_text` of dossiers and open tasks, without reading every row.

The match is always `search_text LIKE '%<folded query>%'`, so results are exactly the plain LIKE search's.
PostgreSQL serves that LIKE from the pg_trgm GIN indexes itself. On SQLite the FTS5 trigram table
(models.search_index) first finds the candidate dossiers and the LIKE re-checks them; a query that matches
very many dossiers (or has fewer than 3 characters, which trigrams cannot find) is left to the plain LIKE
on the list's own index, which then finds a page after a few rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, select
from sqlalchemy.exc import OperationalError

from app.domain.text import fold, nfc
from app.models import db
from app.models.search_index import dossier_fts

MIN_TRIGRAM = 3  # characters: the shortest query a trigram index can find
SELECTIVE = 2000  # candidate dossiers up to which the FTS5 hits drive the query on SQLite


def folded_query(q: str) -> str:
    """The query as the stored text is written: NFC, diacritics folded (đ→d), lower case, spaces collapsed."""
    return str(fold(nfc(q))).strip()


def fts_phrase(text: str) -> str:
    """An FTS5 phrase matching `text` as a substring under the trigram tokenizer."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class NameMatch:
    condition: Any
    few: bool  # SQLite: the FTS5 hits are few, the query should start from them


def name_condition(text: str, search_text: Any, dossier_id: Any) -> NameMatch:
    """WHERE clause for rows whose `search_text` contains `text` (already folded); `dossier_id` is the
    row's dossier (the FTS5 rowid), whose search_text the row's equals (commands.sync_open_tasks)."""
    like = search_text.contains(text, autoescape=True)
    if db.session.get_bind().dialect.name != "sqlite" or len(text) < MIN_TRIGRAM:
        return NameMatch(like, False)
    # one inbox page asks several times (the page, the tab counts): the hits are read once per transaction
    tx = db.session().get_transaction()
    held = db.session.info.get("fts_hits")
    if held is None or held[0] is not tx:
        held = db.session.info["fts_hits"] = (tx, {})
    cache: dict[str, list[int] | None] = held[1]
    if text not in cache:
        hits = select(dossier_fts.c.rowid).where(dossier_fts.c.search_text.match(fts_phrase(text)))
        try:
            cache[text] = list(db.session.scalars(hits.limit(SELECTIVE + 1)))
        except OperationalError:  # a query FTS5 cannot parse: the plain LIKE still answers
            cache[text] = None
    ids = cache[text]
    if ids is None:
        return NameMatch(like, False)
    if len(ids) > SELECTIVE:
        return NameMatch(like, False)
    return NameMatch(and_(dossier_id.in_(ids), like) if ids else false(), True)
