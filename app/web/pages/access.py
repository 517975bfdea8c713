"""Who sees which page: role checks, the role-aware navigation and each role's start page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.models import User
from app.services.access import OFFICIAL_ROLES
from app.services.errors import Forbidden


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str


def require_roles(*roles: str) -> User:
    """The logged-in user if they hold one of `roles`; 403 otherwise."""
    user: User = current_user
    if not user.has_role(*roles):
        raise Forbidden(str(_l("Vai trò của bạn không được dùng trang này.")))
    return user


def role_home(user: User) -> str:
    if current_app.config.get("TRAINING") and user.has_role("department"):
        return url_for("training.exercises")
    if user.has_role(*OFFICIAL_ROLES):
        return url_for("pages.inbox")
    if user.has_role("auditor"):
        return url_for("pages.dossier_search")
    if user.has_role("analyst"):
        return url_for("pages.process_list")
    if user.has_role("admin"):
        return url_for("pages.admin_outbox")
    if user.has_role("department"):
        return url_for("pages.statistics_dashboard")
    return url_for("pages.login")


def nav_items(user: User) -> list[NavItem]:
    items: list[NavItem] = []
    if user.has_role("reception"):
        items.append(NavItem("counter", str(_l("Tiếp nhận hồ sơ")), url_for("pages.counter_choose")))
    if user.has_role(*OFFICIAL_ROLES):
        items.append(NavItem("inbox", str(_l("Việc cần làm")), url_for("pages.inbox")))
    if user.has_role("reception"):
        items.append(NavItem("return", str(_l("Trả kết quả")), url_for("pages.inbox", task="return_result")))
    if user.has_role(*OFFICIAL_ROLES, "auditor"):
        items.append(NavItem("search", str(_l("Tra cứu hồ sơ")), url_for("pages.dossier_search")))
    if user.has_role("auditor"):
        items.append(NavItem("audit", str(_l("Kiểm tra hồ sơ")), url_for("pages.audit_search")))
        items.append(NavItem("reads", str(_l("Nhật ký truy cập")), url_for("pages.user_reads_page")))
    if user.has_role("admin") or (user.has_role("auditor") and not user.scope):
        items.append(NavItem("anchors", str(_l("Mốc neo nhật ký")), url_for("pages.audit_anchors")))
    # the real statistics and citizens' feedback, never in the training space
    if not current_app.config.get("TRAINING") and user.has_role(*OFFICIAL_ROLES, "auditor", "department"):
        items.append(NavItem("statistics", str(_l("Thống kê")), url_for("pages.statistics_dashboard")))
    if not current_app.config.get("TRAINING") and user.has_role("department"):
        items.append(NavItem("feedback", str(_l("Phản ánh, kiến nghị")), url_for("pages.feedback_review")))
    if current_app.config.get("TRAINING"):
        items.append(NavItem("training", str(_l("Bài tập tập huấn")), url_for("training.exercises")))
    elif current_app.config.get("HOTICH_TRAINING") and user.has_role(*OFFICIAL_ROLES, "department"):
        # the training space is another app under /training: its address, not a url_for of this one
        items.append(NavItem("training", str(_l("Tập huấn")), f"{request.script_root}/training/exercises/"))
    if user.has_role("analyst", "admin", "auditor"):
        items.append(NavItem("processes", str(_l("Quy trình")), url_for("pages.process_list")))
    if user.has_role("admin"):
        items += [
            NavItem("outbox", str(_l("Thư đã gửi")), url_for("pages.admin_outbox")),
            NavItem("incidents", str(_l("Sự cố")), url_for("pages.admin_incidents")),
            NavItem("registry", str(_l("CSDL dân cư")), url_for("pages.admin_registry")),
            NavItem("calendar", str(_l("Lịch làm việc")), url_for("pages.admin_calendar")),  # law-calendar
        ]
    return items
