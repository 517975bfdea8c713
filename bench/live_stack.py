"""The real `make run` stack (gunicorn, 2 workers, job-runner threads) under concurrent load; prints figures.

    .venv/bin/python bench/live_stack.py [--postgres [URL]] [--threads 14] [--dossiers 16] [--seconds 30]

The same driver as `tests/concurrency/test_live_stack.py` (tests/concurrency/live_load.py): parallel logins,
reads, birth submissions and racing task completions, registry admin writes. It prints statuses and p50/p95
per kind of request, and every 5xx; it asserts nothing. SQLite lives in a temp instance folder; with
--postgres a fresh database on that server is created and dropped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.concurrency.live_load import Load, describe, drive, fresh_postgres_database, live_stack  # noqa: E402

PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None, metavar="ADMIN_URL")
    parser.add_argument("--threads", type=int, default=Load.threads)
    parser.add_argument("--dossiers", type=int, default=Load.dossiers)
    parser.add_argument("--seconds", type=float, default=Load.max_seconds)
    args = parser.parse_args()
    load = Load(threads=args.threads, dossiers=args.dossiers, max_seconds=args.seconds)
    backend = "postgres" if args.postgres else "sqlite"
    with (
        fresh_postgres_database(args.postgres) if args.postgres else nullcontext(None) as database_url,
        tempfile.TemporaryDirectory(prefix="hotich-live-") as tmp,
        live_stack(Path(tmp), database_url) as stack,
    ):
        report = drive(stack, load)
        print(f"live stack on {backend}, {load.threads} threads")
        print(report.summary())
        failed = report.server_errors() + report.no_answer()
        if failed:
            print(f"\n5xx / no answer:\n{describe(failed)}")
            print(f"\nexceptions in the server log:\n{stack.log_errors()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
