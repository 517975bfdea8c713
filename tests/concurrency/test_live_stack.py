"""The real `make run` stack (gunicorn, two workers, each with a job-runner thread) under concurrent load.

Issue #7, part 2: parallel logins (right and wrong passwords, API and login page), reads, birth submissions
by the portal and the counter, and every task completed by two officials at once, plus registry admin
writes. What a user relies on: no request ever answers 5xx or goes unanswered, a task completed twice at the
same moment gives one 200 and one 409, and every submitted dossier gets its registry lookup done by the job
runner (the reception task appears) within a bounded time.

Runs on the backend of the run: SQLite in the default `pytest`, PostgreSQL with `HOTICH_TEST_DB=postgres`
(a fresh `hotich_live_<uuid>` database, dropped at the end). `make test` runs it once on each. The summary
(statuses and p50/p95 per kind) is printed; `pytest -s tests/concurrency` shows it on success too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.concurrency.live_load import Load, Stack, describe, drive, fresh_postgres_database, live_stack
from tests.conftest import PG_ADMIN_URL, require_postgres

pytestmark = pytest.mark.live


@pytest.fixture
def live_database_url(backend: str) -> Iterator[str | None]:
    """None for SQLite (the stack's default file in its instance folder), else a fresh PostgreSQL database."""
    if backend != "postgres":
        yield None
        return
    require_postgres()
    with fresh_postgres_database(PG_ADMIN_URL.replace("+psycopg", "")) as url:
        yield url


@pytest.fixture
def stack(tmp_path: Path, live_database_url: str | None) -> Iterator[Stack]:
    with live_stack(tmp_path, live_database_url) as running:
        yield running


def test_live_stack_under_concurrent_load(stack: Stack, backend: str) -> None:
    load = Load()
    report = drive(stack, load)
    summary = report.summary()
    print(f"\nlive stack on {backend}:\n{summary}")

    failed = report.server_errors() + report.no_answer()
    if failed:
        pytest.fail(
            f"{len(report.server_errors())} responses 5xx and {len(report.no_answer())} without an answer "
            f"on {backend}:\n{describe(failed)}\n\n{summary}\n\nexceptions in the server log:\n"
            f"{stack.log_errors()}",
            pytrace=False,
        )
    reads = [r for r in report.records if r.kind.startswith("read")]
    assert all(r.status == 200 for r in reads), describe([r for r in reads if r.status != 200])
    logins = [r for r in report.records if r.kind == "login api"]
    assert logins and all(r.status == 200 for r in logins), describe([r for r in logins if r.status != 200])
    wrong = {r.status for r in report.records if r.kind == "login api wrong"}
    assert wrong <= {401, 429}, wrong

    bad_races = [(key, s) for key, s in report.races if sorted(s) != [200, 409]]
    assert not bad_races, f"a task completed twice at once must give one 200 and one 409: {bad_races}"

    late = [code for code, waited in report.lookup_s.items() if waited is None]
    assert len(report.lookup_s) == load.dossiers, f"not every submission was accepted:\n{summary}"
    assert not late, (
        f"no reception task {load.lookup_timeout:.0f} s after submission (registry lookup by the job "
        f"runner) for {late}\n{summary}"
    )
    unfinished = {code: s for code, s in report.final_status.items() if s != "completed"}
    assert not unfinished, f"dossiers not completed within the run: {unfinished}\n{summary}"
