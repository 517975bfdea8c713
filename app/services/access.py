"""Who may see and touch which dossier: every query is scoped by commune (another commune's: 404)."""

from __future__ import annotations

from sqlalchemy import Select

from app.models import Dossier, User
from app.services.errors import Forbidden, NotFound

OFFICIAL_ROLES = ("reception", "officer", "chairman")


def scope_dossiers(query: Select, user: User) -> Select:  # type: ignore[type-arg]
    """Restrict a Dossier query to what `user` may read."""
    if user.has_role(*OFFICIAL_ROLES):
        return query.where(Dossier.commune_code == user.commune_code)
    if user.has_role("auditor"):
        return query.where(Dossier.commune_code.in_(user.scope)) if user.scope else query
    if user.has_role("portal"):
        return query.where(Dossier.channel == "online")
    raise Forbidden("Vai trò của bạn không được xem hồ sơ hộ tịch.")


def can_read(user: User, dossier: Dossier) -> bool:
    return can_read_dossier_of(user, dossier.commune_code, dossier.channel)


def can_read_dossier_of(user: User, commune_code: str, channel: str) -> bool:
    """scope_dossiers' rule in Python, for a dossier known by its commune and channel."""
    if user.has_role(*OFFICIAL_ROLES):
        return commune_code == user.commune_code
    if user.has_role("auditor"):
        return not user.scope or commune_code in user.scope
    if user.has_role("portal"):
        return channel == "online"
    return False


def ensure_readable(user: User, dossier: Dossier | None) -> Dossier:
    """The dossier if `user` may read it; 403 for roles that never read dossiers, else 404."""
    if not user.has_role(*OFFICIAL_ROLES, "auditor", "portal"):
        raise Forbidden("Vai trò của bạn không được xem hồ sơ hộ tịch.")
    if dossier is None or not can_read(user, dossier):
        raise NotFound("Không tìm thấy hồ sơ.")
    return dossier
