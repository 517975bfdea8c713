"""Login and logout pages."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from app.extensions import db, login_manager
from app.models import User
from app.services.auth import authenticate
from app.services.errors import ServiceError
from app.web.pages import pages

login_manager.login_view = "pages.login"
login_manager.login_message = "Vui lòng đăng nhập."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            user = authenticate(
                request.form.get("username", ""), request.form.get("password", ""), request.remote_addr or "?"
            )
        except ServiceError as exc:
            error = exc.message
        else:
            login_user(user)
            return redirect(url_for("pages.inbox"))
    return render_template("login.html", error=error, username=request.form.get("username", "")), (
        401 if error else 200
    )


@pages.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return redirect(url_for("pages.login"))
