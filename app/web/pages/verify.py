"""The public verification page a document's QR code resolves to."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import select

from app.extensions import db
from app.models import Document, Dossier
from app.services.audit import document_intact
from app.web.pages import pages


@pages.get("/verify/<token>")
def verify_document(token: str) -> Any:
    doc = db.session.scalars(select(Document).where(Document.verify_token == token)).first()
    intact = doc is not None and document_intact(doc)
    dossier = db.session.get(Dossier, doc.dossier_id) if doc else None
    return render_template("verify.html", doc=doc, intact=intact, dossier=dossier), 200 if doc else 404
