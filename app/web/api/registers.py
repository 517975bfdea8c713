"""Register book endpoints: the entries of a year's book, its printable view, and the year-end closing."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.services import registers as svc
from app.web.api import api, authenticated, current_user


@api.get("/register-books/<kind>/<int:year>")
@authenticated
def register_book_show(kind: str, year: int) -> Any:
    return jsonify(svc.get_register_book(current_user(), kind, year, request.args.get("commune") or None))


@api.get("/register-books/<kind>/<int:year>.pdf")
@authenticated
def register_book_pdf(kind: str, year: int) -> Any:
    pdf = svc.render_register_book(current_user(), kind, year, request.args.get("commune") or None)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="so_{kind}_{year}.pdf"'},
    )


@api.post("/register-books/<kind>/<int:year>/close")
@authenticated
def register_book_close(kind: str, year: int) -> Any:
    return jsonify(svc.close_register_book(current_user(), kind, year))
