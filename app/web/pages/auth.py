"""Login, logout, the start page of each role and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import login_manager
from app.models import User
from app.services.auth import authenticate, end_session, session_user, start_session
from app.services.errors import RateLimited, ServiceError
from app.web.i18n import LANGUAGES
from app.web.pages import pages
from app.web.pages.access import role_home

login_manager.login_view = "pages.login"
login_manager.login_message = "Vui lòng đăng nhập."
login_manager.login_message_category = "info"


SESSION_ID = "_sid"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Only a live server-side session counts: after logout or deactivation the cookie is worthless."""
    return session_user(user_id, session.get(SESSION_ID))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host): never redirect to another site after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@pages.get("/")
def index() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("pages.login"))
    return redirect(role_home(current_user))


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = authenticate(
                request.form.get("username", "").strip(),
                request.form.get("password", ""),
                request.remote_addr or "?",
            )
        except RateLimited as exc:
            seconds = int(exc.headers["Retry-After"])
            wait = _("%(n)s giây", n=seconds) if seconds < 60 else _("%(n)s phút", n=-(-seconds // 60))
            error, status = _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(wait)s.", wait=wait), 429
            headers = dict(exc.headers)
        except ServiceError:
            error, status = _("Tên đăng nhập hoặc mật khẩu không đúng."), 401
        else:
            sid = start_session(user)
            lang = session.get("lang")
            session.clear()  # a fresh session on login
            if lang:
                session["lang"] = lang
            session[SESSION_ID] = sid
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or role_home(user), code=303)
    html = render_template("login.html", error=error, username=request.form.get("username", ""))
    return html, status, headers


@pages.post("/logout")
@login_required
def logout() -> Any:
    lang = session.get("lang")
    end_session(session.get(SESSION_ID))
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("pages.login"), code=303)


@pages.post("/lang")
def set_language() -> Any:
    """Switch the interface language and come back to the same page."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("pages.index"), code=303)
