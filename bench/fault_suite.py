"""The fault suite: officials against the real stack while gunicorn workers are SIGKILLed; prints the report.

    .venv/bin/python bench/fault_suite.py [--postgres [ADMIN_URL]] [--officials 4] [--dossiers 8] [--kills 3]
        [--gap 1.5,4.0] [--seconds 240]

The same harness as `tests/concurrency/test_fault_suite.py` (tests/concurrency/fault_suite.py): `make run`'s
stack (gunicorn -w 2, a job-runner thread per worker, job lease 5 s) on a fresh PostgreSQL database (default
postgresql://postgres@127.0.0.1:5432/test; dropped afterwards), or SQLite without --postgres. It prints what
was killed and when, the statuses and p50/p95 per kind of request, and every problem found (acknowledged
command missing, dossier unfinished or failing /verify, duplicate registry effect, incident); it asserts
nothing and exits 1 when a problem was found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.concurrency.fault_suite import FAULT_ENV, FaultLoad, run_faults  # noqa: E402
from tests.concurrency.live_load import fresh_postgres_database, live_stack  # noqa: E402

PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None, metavar="ADMIN_URL")
    parser.add_argument("--officials", type=int, default=FaultLoad.officials)
    parser.add_argument("--dossiers", type=int, default=FaultLoad.dossiers)
    parser.add_argument("--kills", type=int, default=FaultLoad.kills)
    parser.add_argument("--gap", default="1.5,4.0", help="seconds between kills: min,max")
    parser.add_argument("--seconds", type=float, default=FaultLoad.max_seconds)
    args = parser.parse_args()
    low, high = (float(x) for x in args.gap.split(","))
    load = FaultLoad(args.officials, args.dossiers, args.kills, (low, high), args.seconds)
    backend = "postgres" if args.postgres else "sqlite"
    with (
        fresh_postgres_database(args.postgres, prefix="hotich_fault")
        if args.postgres
        else nullcontext(None) as url,
        tempfile.TemporaryDirectory(prefix="hotich-fault-") as tmp,
        live_stack(Path(tmp), url, extra_env=FAULT_ENV) as stack,
    ):
        report = run_faults(stack, load)
        print(
            f"fault suite on {backend}: {load.officials} officials, {load.dossiers} dossiers, "
            f"{load.kills} kills"
        )
        print(report.summary())
        problems = report.problems()
        print(f"\nproblems: {len(problems)}")
        for line in problems[:100]:
            print(f"  {line}")
        if problems:
            print(f"\nexceptions in the server log:\n{stack.log_errors()}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
