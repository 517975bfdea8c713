"""Login, logout, the start page of each role and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import db, login_manager
from app.models import User
from app.services.auth import authenticate
from app.services.errors import RateLimited, ServiceError
from app.web.i18n import LANGUAGES
from app.web.pages import pages
from app.web.pages.access import role_home

login_manager.login_view = "pages.login"
login_manager.login_message = "Vui lòng đăng nhập."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


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
    if request.method == "POST":
        try:
            user = authenticate(
                request.form.get("username", "").strip(),
                request.form.get("password", ""),
                request.remote_addr or "?",
            )
        except RateLimited:
            error, status = _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút."), 429
        except ServiceError:
            error, status = _("Tên đăng nhập hoặc mật khẩu không đúng."), 401
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on login
            if lang:
                session["lang"] = lang
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or role_home(user), code=303)
    return render_template("login.html", error=error, username=request.form.get("username", "")), status


@pages.post("/logout")
@login_required
def logout() -> Any:
    lang = session.get("lang")
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
