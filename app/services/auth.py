"""Passwords (argon2), API tokens, revocable page sessions, and login throttling shared by every worker.

Throttling is per account and per client address, each with exponential backoff. A locked account is
refused before its password is checked (no lock is held while hashing, so concurrent logins do not
queue); every failure — a wrong password, an unknown or inactive user, a name the database cannot even
store, any exception while checking — is then counted by an atomic row-locked upsert, so concurrent
failures are never lost on SQLite or PostgreSQL. The address limit is much higher, and it only answers
the guesses (429 instead of 401): a correct password for an account that is not itself locked succeeds,
so one person's guesses lock their target accounts, never a valid user behind the same address.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.models import ApiToken, LoginThrottle, User, UserSession, db
from app.services.collaborators import collaborators
from app.services.errors import NotFound, RateLimited, Unauthorized
from app.services.transaction import write

# tests and benchmarks may ask for cheap hashes (HOTICH_FAST_HASH=1); production keeps argon2's defaults
HASHER = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("HOTICH_FAST_HASH")
    else PasswordHasher()
)
TOKEN_TTL = timedelta(hours=12)
SESSION_TTL = timedelta(hours=12)
_DUMMY_HASH = HASHER.hash("not-a-password")
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


@dataclass(frozen=True)
class ThrottlePolicy:
    """`threshold` failures lock the key for `base`, doubling with each further failure up to `cap`;
    failures are forgotten after `forget_after` without one."""

    threshold: int
    base: timedelta
    cap: timedelta
    forget_after: timedelta = timedelta(hours=1)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.threshold:
            return None
        return min(self.base * (1 << min(failures - self.threshold, 20)), self.cap)


ACCOUNT_POLICY = ThrottlePolicy(threshold=5, base=timedelta(seconds=30), cap=timedelta(minutes=15))
ADDRESS_POLICY = ThrottlePolicy(threshold=50, base=timedelta(minutes=1), cap=timedelta(hours=1))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def typed_name(username: str) -> str | None:
    """The user name as an account could have it (NFC); None for one no account can have (empty, too
    long, control characters, lone surrogates) — such a name is not even sent to the database."""
    try:
        name = unicodedata.normalize("NFC", username)
        name.encode("utf-8")
    except UnicodeError:
        return None
    return name if name and len(name) <= 80 and name.isprintable() else None


def account_key(username: str) -> str:
    """The throttle key of a typed user name (case-folded); an impossible name is keyed by its hash, so
    its failures are counted like any other."""
    name = typed_name(username)
    if name is None:
        return "user#" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"user:{name.casefold()}"


def address_key(client: str) -> str:
    return f"ip:{client[:100]}"


def _policy(key: str) -> ThrottlePolicy:
    return ADDRESS_POLICY if key.startswith("ip:") else ACCOUNT_POLICY


def wait_text(seconds: int) -> str:
    """ "30 giây", "2 phút": how long a locked login waits, for the message."""
    return f"{seconds} giây" if seconds < 60 else f"{math.ceil(seconds / 60)} phút"


def rate_limited(seconds: int) -> RateLimited:
    exc = RateLimited(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait_text(seconds)}.")
    exc.headers["Retry-After"] = str(seconds)
    exc.extra["retry_after"] = seconds
    return exc


def _locked_rows(keys: list[str]) -> list[LoginThrottle]:
    """The throttle rows of `keys`, created if missing and locked for this transaction (PostgreSQL row
    locks; SQLite's write transaction is exclusive already)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(LoginThrottle)
        .values([{"key": k, "failures": 0} for k in keys])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    query = select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key)
    return list(db.session.scalars(query.with_for_update().execution_options(populate_existing=True)))


def _wait_seconds(keys: list[str], now: datetime) -> int:
    """Seconds until the latest lock on `keys` ends; 0 when none is locked (a plain read)."""
    until = db.session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    )
    db.session.commit()
    return max(1, math.ceil((until - now).total_seconds())) if until is not None else 0


def _count_failure(keys: list[str], now: datetime) -> None:
    """One more failure for every key, and the lock it earns (exponential backoff)."""
    for row in _locked_rows(keys):
        policy = _policy(row.key)
        if row.last_failure_at is None or now - row.last_failure_at > policy.forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lock = policy.lock_for(row.failures)
        row.locked_until = now + lock if lock else None


def _clear_account(key: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _password_matches(user: User | None, password: str) -> bool:
    """Any error while checking (a hash that is not argon2, a password that is not valid Unicode) is a
    wrong password, counted as a failure like one, never a 500."""
    try:
        return bool(HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)) and user is not None
    except Exception:  # noqa: BLE001 - argon2 raises several types; all mean "not this password"
        return False


def authenticate(username: str, password: str, client: str) -> User:
    """The active user with these credentials. 429 (Retry-After) while the account is locked, without
    checking the password; a wrong password from a locked address is a 429 too (a 401 otherwise). A
    correct password for an account that is not itself locked succeeds from any address, so guesses
    made by someone else behind the same address never lock a valid user out."""
    now = collaborators().clock.now()
    keys = [account_key(username), address_key(client)]
    wait = _wait_seconds(keys[:1], now)
    if wait:
        raise rate_limited(wait)  # waiting out a lock is not a failure: it does not lengthen the lock
    user: User | None = None
    ok = False
    try:
        name = typed_name(username)
        user = db.session.scalars(select(User).where(User.username == name)).first() if name else None
        ok = _password_matches(user, password) and user is not None and user.active
    finally:
        if not ok:
            # counted on every way out, an exception included; its own write after the slow hash
            db.session.rollback()
            write(lambda: _count_failure(keys, now))
    if user is None or not ok:
        wait = _wait_seconds(keys[1:], now)  # the address's lock; the account's shows from the next try
        if wait:
            raise rate_limited(wait)
        raise Unauthorized(BAD_CREDENTIALS)
    write(lambda: _clear_account(keys[0]))
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
    row = db.session.get(ApiToken, hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest())
    if row is None or row.expires_at <= collaborators().clock.now() or not row.user.active:
        return None
    return row.user


def start_session(user: User) -> str:
    """A new page session for `user`; the returned id goes into the (signed) session cookie."""
    sid = secrets.token_urlsafe(32)
    now = collaborators().clock.now()
    row = UserSession(id_hash=_sid_hash(sid), user_id=user.id, created_at=now, expires_at=now + SESSION_TTL)
    write(lambda: db.session.add(row))
    return sid


def session_user(user_id: str, sid: object) -> User | None:
    """The user of a live session: its row exists (not logged out), is not expired, belongs to this user,
    and the user is still active. One query per request."""
    if not isinstance(sid, str) or not user_id.isdigit():
        return None
    row = db.session.execute(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id_hash == _sid_hash(sid),
            UserSession.user_id == int(user_id),
            UserSession.expires_at > collaborators().clock.now(),
            User.active.is_(True),
        )
    ).first()
    return row[0] if row else None


def end_session(sid: object) -> None:
    """Logout: the session's row is deleted, so a copy of the cookie no longer works."""
    if isinstance(sid, str):
        write(lambda: db.session.execute(delete(UserSession).where(UserSession.id_hash == _sid_hash(sid))))


def set_user_active(username: str, active: bool) -> User:
    """Activate or deactivate an account; deactivation ends its page sessions and API tokens at once."""

    def change() -> User:
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("Không tìm thấy tài khoản.")
        user.active = active
        if not active:
            db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
            db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        return user

    return write(change)


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()


def user_view(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": user.roles,
        "commune_code": user.commune_code,
    }
