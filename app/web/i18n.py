"""The interface language: Vietnamese by default, English on request (kept in the session)."""

from __future__ import annotations

from flask import has_request_context, session

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"


def select_locale() -> str:
    """Flask-Babel's locale selector: the language the official chose, else Vietnamese."""
    if has_request_context():
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return str(chosen)
    return DEFAULT_LANGUAGE
