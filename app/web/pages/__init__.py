"""Server-rendered pages for officials (Jinja2, Flask-Login sessions, CSRF on every form).

Each area is a module (auth, inbox, tasks, dossiers, search, counter, admin, processes, verify, anchors);
every view calls one function of app/services and renders a template. Service errors become a Vietnamese error
page with the service's status (404 for another commune's dossier, 403 for a role that may never do it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import ServiceError
from app.web import labels
from app.web.i18n import LANGUAGES, select_locale

pages = Blueprint(
    "pages", __name__, template_folder="../templates", static_folder="../static", static_url_path="/assets"
)


@pages.errorhandler(ServiceError)
def service_error_page(exc: ServiceError) -> tuple[str, int]:
    """A refused request as a page in Vietnamese (nothing of it was written)."""
    db.session.rollback()
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


@pages.app_errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    db.session.rollback()
    message = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại.")
    return render_template("error.html", status=400, message=message), 400


@pages.app_errorhandler(404)
@pages.app_errorhandler(405)
@pages.app_errorhandler(500)
def _http_error(exc: HTTPException) -> Any:
    """Vietnamese error pages for people; under /api/ the API's JSON error shape (api.md)."""
    db.session.rollback()
    status = exc.code or 500
    if request.path.startswith("/api/"):
        from app.web.api import HTTP_MESSAGES

        codes = {404: "not_found", 405: "method_not_allowed", 500: "internal_error"}
        message = HTTP_MESSAGES.get(status) or exc.description or ""
        body = {"error": {"code": codes.get(status, "http_error"), "message": message}}
        response = jsonify(body)
        if getattr(exc, "valid_methods", None):  # RFC 9110: a 405 lists what the resource allows
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response, status
    messages = {
        404: _("Không có trang này. Hãy kiểm tra lại địa chỉ."),
        405: _("Trang này không nhận yêu cầu như vậy."),
        500: _("Hệ thống gặp lỗi khi xử lý yêu cầu. Không có thay đổi nào được lưu; vui lòng thử lại."),
    }
    return render_template("error.html", status=status, message=messages.get(status, "")), status


@pages.app_context_processor
def _page_context() -> dict[str, Any]:
    from app.web.pages.access import nav_items

    user = current_user
    return {
        "nav": nav_items(user) if getattr(user, "is_authenticated", False) else [],
        "languages": LANGUAGES,
        "lang": select_locale(),
        "L": labels,
    }


@pages.app_template_filter("dt")
def _filter_datetime(value: Any) -> str:
    return labels.local_datetime(value)


@pages.app_template_filter("d")
def _filter_date(value: Any) -> str:
    return labels.local_date(value)


@pages.app_template_filter("money")
def _filter_money(value: Any) -> str:
    return f"{int(value or 0):,}".replace(",", ".") + " đồng"


from app.web.pages import (  # noqa: E402,F401
    admin,
    admin_calendar,
    anchors,
    audit,
    auth,
    counter,
    dossiers,
    feedback,
    inbox,
    migrations,
    processes,
    search,
    statistics,
    supplement,
    tasks,
    verify,
)
