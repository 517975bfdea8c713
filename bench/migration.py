"""Moving a batch of running dossiers to a new process version; prints dossiers per second.

    .venv/bin/python bench/migration.py [--n 500] [--postgres [URL]] [--keep]

Drives --n real birth dossiers through the JSON API (half left at the reception check, half at the officer's
examination), deploys a second version of the birth process (the officer's task renamed, the confirmation wait
doubled), then times, each as one `POST /api/v1/processes/birth_registration/migrations` over the Flask test
client: the dry run of all running dossiers, the real move, and the move back to version 1. Afterwards a
sample of the moved dossiers is re-executed with `/verify` (it must pass).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# bench/__init__ sets HOTICH_FAST_HASH and HOTICH_JOB_RUNNER=off before app is imported
from bench import ROOT  # noqa: E402
from bench.database import PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import BenchFailure, Driver  # noqa: E402
from bench.stats import machine_info  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402

URL = "/api/v1/processes/birth_registration/migrations"


def deploy_second_version(app: object) -> int:
    from app.extensions import db
    from app.models import User
    from app.services.processes import deploy_version

    xml = (ROOT / "processes" / "birth_registration" / "birth_registration.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('name="Thẩm tra hồ sơ"', 'name="Thẩm tra hồ sơ (bản 2)"').replace('"P1D"', '"P2D"')
    with app.app_context():  # type: ignore[attr-defined]
        analyst = db.session.scalars(db.select(User).where(User.username == "analyst")).one()
        version = deploy_version("birth_registration", xml.encode("utf-8"), analyst).version
        db.session.remove()
    return int(version)


def timed_migration(driver: Driver, body: dict[str, object]) -> tuple[float, dict[str, object]]:
    t0 = time.perf_counter()
    result = driver.request(None, "POST", URL, "analyst", body)
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="running dossiers to move")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None, help="PostgreSQL URL")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    db = BenchDatabase(args.postgres, keep=args.keep)
    try:
        print("hộ tịch BPMN — migration of running dossiers")
        print(machine_info())
        print(f"database: {db.kind}; N = {args.n} running birth dossiers; in-process (Flask test client)")
        app = make_app(db)
        driver = Driver(app, FlaskTransport(app), None)
        t0 = time.perf_counter()
        communes = ("00070", "00004")
        codes = [
            driver.path(
                communes[i % 2], i, upto="officer_examine" if i % 2 else "reception_check", record=False
            )
            for i in range(args.n)
        ]
        print(f"set-up: {args.n} dossiers through the API in {time.perf_counter() - t0:.1f} s")
        v2 = deploy_second_version(app)
        runs = [
            ("dry run, all running → v2", {"to_version": v2, "dossiers": "all_running", "dry_run": True}),
            ("move, all running → v2", {"to_version": v2, "dossiers": "all_running", "dry_run": False}),
            ("move back, the same codes → v1", {"to_version": 1, "dossiers": codes, "dry_run": False}),
        ]
        print(f"{'run':34} {'dossiers':>8} {'moved':>6} {'refused':>7} {'seconds':>8} {'dossiers/s':>11}")
        for name, body in runs:
            seconds, result = timed_migration(driver, body)
            items = result["items"]
            assert isinstance(items, list)
            if result["refused"]:
                raise BenchFailure(f"{name}: refused {[i for i in items if not i['ok']][:3]}")
            rate = len(items) / seconds
            counts = f"{len(items):>8} {result['ok']!s:>6} {result['refused']!s:>7}"
            print(f"{name:34} {counts} {seconds:>8.2f} {rate:>11.0f}")
        for code in codes[:: max(1, args.n // 10)]:
            verdict = driver.request(None, "GET", f"/api/v1/dossiers/{code}/verify", "auditor")
            if not (verdict["chain_ok"] and verdict["replay_ok"]):
                raise BenchFailure(f"/verify failed after migration: {code} {verdict}")
        print(f"/verify after two moves: ok for {len(codes[:: max(1, args.n // 10)])} sampled dossiers")
    finally:
        db.close()


if __name__ == "__main__":
    main()
