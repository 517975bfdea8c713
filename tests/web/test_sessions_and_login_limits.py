"""Sessions are revoked server side; logins are limited per account and per address (issue 11)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from app.engine.clock import FixedClock
from app.extensions import db
from app.models import LoginThrottle
from app.services.auth import ADDRESS_POLICY, account_key, set_user_active
from tests.page_client import CSRF, Pages

TOKEN = "/api/v1/auth/token"


def _token(client: Any, username: str, password: str = "demo12345", addr: str = "10.0.0.1") -> Any:
    return client.post(
        TOKEN, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr}
    )


def _page_login(app: Any, username: str, password: str = "demo12345", addr: str = "10.0.0.1") -> Any:
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": addr},
    )


def _cookie(pages: Pages) -> str:
    cookie = pages.client.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


def _with_cookie(app: Any, value: str) -> Any:
    """Another client presenting a copy of the cookie (a stolen or kept cookie)."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


# --- sessions --------------------------------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_after_logout(app: Any) -> None:
    pages = Pages(app)
    pages.login("officer.hoankiem")
    kept = _cookie(pages)
    assert _with_cookie(app, kept).get("/inbox").status_code == 200  # the copy works while signed in
    assert pages.post("/logout").status_code == 303
    resp = _with_cookie(app, kept).get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # and the JSON poll the inbox page uses is refused with 401 too
    assert _with_cookie(app, kept).get("/inbox/poll").status_code == 401


def test_logout_ends_only_that_session(app: Any) -> None:
    first, second = Pages(app), Pages(app)
    first.login("officer.hoankiem")
    second.login("officer.hoankiem")
    first.post("/logout")
    assert first.get("/inbox").status_code == 302
    assert second.get("/inbox").status_code == 200


def test_a_deactivated_users_session_and_token_stop_working_at_once(app: Any, client: Any) -> None:
    pages = Pages(app)
    pages.login("reception.hoankiem")
    assert pages.get("/inbox").status_code == 200
    token = _token(client, "reception.hoankiem").get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/dossiers", headers=auth).status_code == 200
    with app.app_context():
        set_user_active("reception.hoankiem", False)
        db.session.remove()
    resp = pages.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/api/v1/dossiers", headers=auth).status_code == 401
    assert _token(client, "reception.hoankiem").status_code == 401
    assert _page_login(app, "reception.hoankiem").status_code == 401
    # reactivated: the old session and token stay dead, a new login works
    with app.app_context():
        set_user_active("reception.hoankiem", True)
        db.session.remove()
    assert pages.get("/inbox").status_code == 302
    assert client.get("/api/v1/dossiers", headers=auth).status_code == 401
    assert _page_login(app, "reception.hoankiem").status_code == 303


def test_a_session_expires_after_its_lifetime(app: Any, clock: FixedClock) -> None:
    pages = Pages(app)
    pages.login("officer.hoankiem")
    clock.advance(hours=12, seconds=1)
    assert pages.get("/inbox").status_code == 302


# --- login limits ----------------------------------------------------------------------------------


def test_anothers_guesses_do_not_lock_out_admin_at_the_same_address(app: Any, client: Any) -> None:
    for _ in range(5):
        assert _token(client, "officer.hoankiem", "wrong").status_code == 401
    locked = _token(client, "officer.hoankiem")  # the right password, but this account is locked now
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 30
    assert "thử lại sau 30 giây" in locked.get_json()["error"]["message"]
    assert locked.get_json()["error"]["code"] == "rate_limited"
    assert _token(client, "admin").status_code == 200  # same address, an account nobody guessed at
    assert _page_login(app, "admin").status_code == 303


def test_the_login_page_is_limited_per_account_with_retry_after(app: Any) -> None:
    for _ in range(5):
        assert _page_login(app, "chairman.hoankiem", "wrong").status_code == 401
    resp = _page_login(app, "chairman.hoankiem")
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) == 30
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 30 giây." in resp.get_data(as_text=True)
    assert _page_login(app, "officer.hoankiem").status_code == 303


def test_the_account_lock_backs_off_exponentially_and_a_success_clears_it(
    app: Any, client: Any, clock: FixedClock
) -> None:
    for _ in range(5):
        _token(client, "officer.hoankiem", "wrong")
    waits = []
    for _ in range(4):
        resp = _token(client, "officer.hoankiem", "wrong")
        assert resp.status_code == 429  # waiting out a lock is refused without checking the password
        waits.append(int(resp.headers["Retry-After"]))
        clock.advance(seconds=waits[-1])
        assert _token(client, "officer.hoankiem", "wrong").status_code == 401  # a wrong guess after the lock
    assert waits == [30, 60, 120, 240]
    clock.advance(seconds=480)
    assert _token(client, "officer.hoankiem").status_code == 200
    assert _token(client, "officer.hoankiem", "wrong").status_code == 401  # counting starts afresh
    assert _token(client, "officer.hoankiem").status_code == 200


def test_the_address_limit_is_much_higher_and_never_locks_out_a_valid_user(app: Any, client: Any) -> None:
    # a password spray: a few guesses at many accounts, from one address
    for i in range(ADDRESS_POLICY.threshold - 1):
        assert _token(client, f"nobody{i % 20}", "wrong", addr="10.9.9.9").status_code == 401
    guess = _token(client, "nobody99", "wrong", addr="10.9.9.9")  # the one that locks the address
    assert guess.status_code == 429 and int(guess.headers["Retry-After"]) == 60
    assert _token(client, "nobody98", "wrong", addr="10.9.9.10").status_code == 401  # other addresses: not
    # a valid user behind the same address still gets in, by the API and by the login page
    assert _token(client, "admin", addr="10.9.9.9").status_code == 200
    assert _page_login(app, "officer.hoankiem", addr="10.9.9.9").status_code == 303
    # each guessed account keeps its own count, from any address: three guesses so far, two more lock it
    assert [_token(client, "nobody1", "wrong", addr="10.1.1.1").status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]


@pytest.mark.parametrize(
    "username",
    [
        "officer.\ud800hoankiem",  # a lone surrogate: cannot be encoded
        "officer.\x00hoankiem",  # NUL: PostgreSQL refuses it in a query
        "x" * 5000,
        "",
    ],
)
def test_every_failure_is_counted_even_for_names_no_account_can_have(client: Any, username: str) -> None:
    for _ in range(5):
        assert _token(client, username, "wrong").status_code == 401
    assert _token(client, username, "wrong").status_code == 429


def test_a_password_that_is_not_valid_unicode_is_a_counted_failure(client: Any) -> None:
    for _ in range(5):
        assert _token(client, "officer.hoankiem", "pass\ud800word").status_code == 401
    assert _token(client, "officer.hoankiem").status_code == 429


def test_concurrent_failures_are_all_counted(app: Any) -> None:
    """Eight clients guess at once: every guess is counted (no lost update) and the account is locked."""
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def guess() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(_token(client, "reception.badinh", "wrong").status_code)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {401, 429} and statuses.count(401) >= 5, statuses
    with app.app_context():
        row = db.session.scalars(
            select(LoginThrottle).where(LoginThrottle.key == account_key("reception.badinh"))
        ).one()
        assert row.failures == statuses.count(401) and row.locked_until is not None
        db.session.remove()
    assert _token(app.test_client(), "reception.badinh").status_code == 429


def test_concurrent_correct_logins_of_one_account_all_succeed(app: Any) -> None:
    """Officials sharing an account, or one opening several tabs, at the same moment: none is throttled."""
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def login() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(_token(client, "officer.hoankiem").status_code)

    threads = [threading.Thread(target=login) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
