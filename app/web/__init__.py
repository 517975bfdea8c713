"""HTTP layer: thin blueprints for the JSON API (/api/v1) and the pages."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from app.web import request_guard, security_headers

    request_guard.install(app)  # first: the blueprints' <int:> routes use its bounded converter
    security_headers.install(app)
    from app.web.api import api
    from app.web.pages import pages

    app.register_blueprint(api)
    app.register_blueprint(pages)
