"""Fixtures: an app per test on SQLite (default) or PostgreSQL (HOTICH_TEST_DB=postgres), a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.setdefault("HOTICH_FAST_HASH", "1")

from app import create_app  # noqa: E402
from app.engine.clock import FixedClock  # noqa: E402
from app.extensions import db  # noqa: E402

PG_ADMIN_URL = os.environ.get("HOTICH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# a Tuesday, 09:00 in Hà Nội
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")


def _postgres_available() -> bool:
    import psycopg

    try:
        psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """In CI PostgreSQL is required (fail); on a developer machine without it the test skips."""
    if _postgres_available():
        return
    if os.environ.get("CI") or os.environ.get("HOTICH_REQUIRE_POSTGRES"):
        pytest.fail("PostgreSQL is required in CI but is not reachable at " + PG_ADMIN_URL)
    pytest.skip("PostgreSQL not reachable at " + PG_ADMIN_URL + " (set HOTICH_PG_URL); skipped locally")


@pytest.fixture(scope="session")
def backend() -> str:
    return os.environ.get("HOTICH_TEST_DB", "sqlite")


@pytest.fixture
def database_url(backend: str, tmp_path: Any) -> Iterator[str]:
    if backend == "postgres":
        require_postgres()
        import psycopg

        name = f"hotich_t_{uuid.uuid4().hex[:10]}"
        admin = PG_ADMIN_URL.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base}/{name}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(database_url: str, clock: FixedClock, tmp_path: Any) -> Iterator[Any]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HOTICH_CLOCK": clock,
            "TESTING": True,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp_path / "outbox"),
            "WTF_CSRF_ENABLED": True,
            "HOTICH_OPENAPI_CHECK_RESPONSES": True,  # each API answer in each test checked by openapi.yaml
        }
    )
    with app.app_context():
        db.create_all()
        from app.services.seed import seed_demo

        seed_demo("demo12345")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
