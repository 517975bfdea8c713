"""The bounded fault suite (issue 11 §2): officials keep working against the real stack (gunicorn -w 2
with job-runner threads) on PostgreSQL while workers are SIGKILLed; nothing acknowledged is lost, nothing
is half-written or done twice, every dossier finishes and verifies. The harness is
tests/concurrency/fault_suite.py; the longer run with a printed report is bench/fault_suite.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.concurrency.fault_suite import FAULT_ENV, FaultLoad, run_faults
from tests.concurrency.live_load import Stack, fresh_postgres_database, live_stack
from tests.conftest import PG_ADMIN_URL, require_postgres

pytestmark = pytest.mark.live


@pytest.fixture
def pg_stack(tmp_path: Path, backend: str) -> Iterator[Stack]:
    if backend != "postgres":
        pytest.skip("the fault suite runs on PostgreSQL, the production database (HOTICH_TEST_DB=postgres)")
    require_postgres()
    with (
        fresh_postgres_database(PG_ADMIN_URL.replace("+psycopg", ""), prefix="hotich_fault") as url,
        live_stack(tmp_path, url, extra_env=FAULT_ENV) as stack,
    ):
        yield stack


def test_sigkilled_workers_lose_nothing_acknowledged(pg_stack: Stack) -> None:
    load = FaultLoad()
    report = run_faults(pg_stack, load)
    print(f"\nfault suite on postgres:\n{report.summary()}")
    assert len(report.kills) == load.kills, (
        f"the killer did not get its {load.kills} kills in:\n{report.summary()}"
    )
    assert len(report.final) >= load.dossiers, report.summary()
    problems = report.problems()
    assert not problems, (
        "\n".join(problems[:40]) + f"\n\n{report.summary()}\n\nserver log:\n{pg_stack.log_errors()}"
    )
