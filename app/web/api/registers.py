"""Register book endpoints: the entries of a year's book, its printable view, and the year-end closing."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.services import registers as svc
from app.web.api import api, authenticated, current_user
from app.web.read_log import records_read, shown


@api.get("/register-books/<kind>/<int:year>")
@authenticated
@records_read("api.register_book")
def register_book_show(kind: str, year: int) -> Any:
    view = svc.get_register_book(current_user(), kind, year, request.args.get("commune") or None)
    shown(e["dossier_code"] for e in view["entries"])
    return jsonify(view)


@api.get("/register-books/<kind>/<int:year>.pdf")
@authenticated
@records_read("api.register_book_pdf")
def register_book_pdf(kind: str, year: int) -> Any:
    pdf, printed = svc.render_register_book(current_user(), kind, year, request.args.get("commune") or None)
    shown(printed)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="so_{kind}_{year}.pdf"'},
    )


@api.post("/register-books/<kind>/<int:year>/close")
@authenticated
def register_book_close(kind: str, year: int) -> Any:
    return jsonify(svc.close_register_book(current_user(), kind, year))
