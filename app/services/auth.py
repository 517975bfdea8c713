"""Passwords (argon2), API tokens, and login rate limiting shared by every worker through the database."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from app.models import ApiToken, LoginAttempt, User, db
from app.services.collaborators import collaborators
from app.services.errors import RateLimited, Unauthorized
from app.services.transaction import write

# tests and benchmarks may ask for cheap hashes (HOTICH_FAST_HASH=1); production keeps argon2's defaults
HASHER = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("HOTICH_FAST_HASH")
    else PasswordHasher()
)
TOKEN_TTL = timedelta(hours=12)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=10)
_DUMMY_HASH = HASHER.hash("not-a-password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def authenticate(username: str, password: str, client: str) -> User:
    """The active user with these credentials; 429 after repeated failures for the user or the client."""
    now = collaborators().clock.now()
    keys = [f"user:{username.lower()}", f"ip:{client}"]
    since = now - FAILURE_WINDOW
    per_key = db.session.execute(
        select(LoginAttempt.key, func.count())
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= since)
        .group_by(LoginAttempt.key)
    ).all()
    failures = max((n for _, n in per_key), default=0)
    if failures >= MAX_FAILURES:
        raise RateLimited("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút.")
    user = db.session.scalars(select(User).where(User.username == username)).first()
    ok = False
    try:
        ok = HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.active:
        # every failure is counted (its own write, after the slow hash: no lock held while hashing)
        write(lambda: db.session.add_all([LoginAttempt(key=k, at=now) for k in keys]))
        raise Unauthorized("Tên đăng nhập hoặc mật khẩu không đúng.")
    write(lambda: db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0])))
    return user


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        user_id=user.id,
        expires_at=collaborators().clock.now() + TOKEN_TTL,
    )
    write(lambda: db.session.add(row))
    return token, row


def user_for_token(token: str) -> User | None:
    row = db.session.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
    if row is None or row.expires_at <= collaborators().clock.now() or not row.user.active:
        return None
    return row.user


def user_view(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": user.roles,
        "commune_code": user.commune_code,
    }
