"""Server-rendered pages for officials (Jinja2, Flask-Login sessions, CSRF on every form)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint(
    "pages", __name__, template_folder="../templates", static_folder="../static", static_url_path="/static"
)

from app.web.pages import auth, verify, work  # noqa: E402,F401
