"""The audit proofs: /verify of a 50-event dossier, and the daily anchor over 100,000 chain heads.

    .venv/bin/python bench/audit.py [--events 50] [--heads 100000] [--repeat 20] [--postgres [URL]] [--keep]

1. A birth dossier driven over the JSON API to `return_result` (every command, registry job and internal
   result recorded) and completed; then a second one padded with claim/release events of its open
   `return_result` task to --events (hashed, MACed and chain-checked like any event; not re-executed). Times
   GET /api/v1/dossiers/{code}/verify in-process (chain + MACs + sealed head + re-execution on the pinned
   diagram + comparison), and the offline `verify_bundle` of its proof bundle.
2. --heads dossiers with one event and a sealed head each, generated directly in the database (bulk INSERT),
   then times `write_anchor()` (read every head, hash the sorted list, MAC, store), the JSON file download
   (GET /api/v1/audit/anchors/{day}) and `check_anchor()` of that kept file against the database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# bench/__init__ sets HOTICH_FAST_HASH and HOTICH_JOB_RUNNER=off before app is imported
from bench.database import PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import COMMUNES, BenchFailure, Driver  # noqa: E402
from bench.stats import machine_info, median, p95, table  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402

CHUNK = 5_000


def dossier_of(driver: Driver, events: int, index: int) -> str:
    """A birth with exactly `events` audit events (0: as the path makes it), completed."""
    commune = "00070"
    code = driver.path(commune, index, upto="return_result", record=False)
    reception = COMMUNES[commune]["users"]["reception"]

    def count() -> int:
        return len(driver.request(None, "GET", f"/api/v1/dossiers/{code}/events", "auditor"))

    task = [t for t in driver.request(None, "GET", f"/api/v1/tasks?dossier={code}", reception)][0]
    # return_result adds 1 command + its internal results; pad with claim/release pairs before it
    while count() + 2 < events:
        driver.request(None, "POST", f"/api/v1/tasks/{task['id']}/claim", reception)
        driver.request(None, "POST", f"/api/v1/tasks/{task['id']}/release", reception)
    if count() + 1 < events:
        driver.request(None, "POST", f"/api/v1/tasks/{task['id']}/claim", reception)
    driver.complete(commune, code, "reception", "return_result", {"delivered_via": "counter"}, None)
    return code


def bench_verify(app: Any, driver: Driver, events: int, repeat: int, index: int) -> list[list[Any]]:
    from app.extensions import db
    from app.services.audit_bundle import verify_bundle
    from app.services.audit_keys import keyring

    code = dossier_of(driver, events, index)
    stored = driver.request(None, "GET", f"/api/v1/dossiers/{code}/events", "auditor")
    commands = sum(1 for e in stored if e["type"] not in ("internal_result", "claimed", "released"))
    online: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        verdict = driver.request(None, "GET", f"/api/v1/dossiers/{code}/verify", "auditor")
        online.append((time.perf_counter() - t0) * 1000)
        if not (verdict["chain_ok"] and verdict["replay_ok"]):
            raise BenchFailure(f"verify failed: {verdict}")
    client = app.test_client()
    token = driver.token("auditor")
    bundle = json.loads(
        client.get(f"/api/v1/dossiers/{code}/history", headers={"Authorization": f"Bearer {token}"}).data
    )
    offline: list[float] = []
    with app.app_context():
        ring = keyring()
        for _ in range(repeat):
            t0 = time.perf_counter()
            verdict = verify_bundle(bundle, ring)
            offline.append((time.perf_counter() - t0) * 1000)
        db.session.remove()
    label = f"{len(stored)} events ({commands} commands)"
    return [
        [f"GET /verify, {label}", median(online), p95(online), repeat],
        [f"verify_bundle offline, {label}", median(offline), p95(offline), repeat],
    ]


def generate_heads(app: Any, n: int) -> float:
    """n dossiers, each with one sealed event and head (bulk INSERT; MACs computed as the app does)."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import AuditEvent, AuditHead, Dossier, ProcessVersion
    from app.services.audit import GENESIS, event_hash, event_message, head_message
    from app.services.audit_keys import keyring

    t0 = time.perf_counter()
    with app.app_context():
        ring = keyring()
        version_id = db.session.scalars(select(ProcessVersion.id).order_by(ProcessVersion.id)).first()
        at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        for start in range(0, n, CHUNK):
            dossiers, events, heads = [], [], []
            for i in range(start, min(n, start + CHUNK)):
                code = f"BENCH-{i:07d}"
                data = {"procedure": "birth", "channel": "counter", "commune_code": "00070", "data": {}}
                h = event_hash(GENESIS, 1, at, "submitted", "bench", None, data)
                dossiers.append(
                    {
                        "code": code,
                        "procedure": "birth",
                        "commune_code": "00070",
                        "channel": "counter",
                        "status": "submitted",
                        "data": {},
                        "findings": [],
                        "result": {},
                        "late": False,
                        "received_at": at,
                        "process_version_id": version_id,
                        "state": "{}",
                        "last_event_seq": 1,
                        "last_event_hash": h,
                        "search_text": code.lower(),
                        "submitted_by": "bench",
                        "row_version": 1,
                    }
                )
                events.append((code, h, data))
            db.session.execute(insert(Dossier), dossiers)
            ids = dict(
                db.session.execute(
                    select(Dossier.code, Dossier.id).where(Dossier.code.in_([c for c, _h, _d in events]))
                ).all()
            )
            rows = []
            for code, h, data in events:
                key_id, mac = ring.mac(event_message(code, 1, h))
                rows.append(
                    {
                        "dossier_id": ids[code],
                        "seq": 1,
                        "at": at,
                        "type": "submitted",
                        "actor": "bench",
                        "task": None,
                        "data": data,
                        "prev_hash": GENESIS,
                        "hash": h,
                        "mac": mac,
                        "key_id": key_id,
                    }
                )
                digest = "d" * 64
                key_id, mac = ring.mac(head_message(code, 1, h, digest))
                heads.append(
                    {
                        "dossier_id": ids[code],
                        "dossier_code": code,
                        "seq": 1,
                        "hash": h,
                        "state_digest": digest,
                        "components": {},
                        "mac": mac,
                        "key_id": key_id,
                        "sealed_at": at,
                    }
                )
            db.session.execute(insert(AuditEvent), rows)
            db.session.execute(insert(AuditHead), heads)
            db.session.commit()
        db.session.remove()
    return time.perf_counter() - t0


def bench_anchor(app: Any, driver: Driver, n: int) -> list[list[Any]]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AuditHead
    from app.services.audit_anchor import check_anchor, write_anchor

    generate_heads(app, n)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditHead)) or 0
        t0 = time.perf_counter()
        anchor = write_anchor()
        write_s = time.perf_counter() - t0
        day = anchor.day.isoformat()
        db.session.remove()
    client = app.test_client()
    t0 = time.perf_counter()
    resp = client.get(
        f"/api/v1/audit/anchors/{day}", headers={"Authorization": f"Bearer {driver.token('auditor')}"}
    )
    download_s = time.perf_counter() - t0
    if resp.status_code != 200:
        raise BenchFailure(f"anchor download: {resp.status_code}")
    kept = json.loads(resp.data)
    with app.app_context():
        t0 = time.perf_counter()
        verdict = check_anchor(kept)
        check_s = time.perf_counter() - t0
        db.session.remove()
    if not verdict["ok"]:
        raise BenchFailure(f"anchor check: {verdict['differs'][:3]}")
    size_mb = len(resp.data) / 1e6
    return [
        [f"write_anchor ({total:,} heads)", write_s, None, 1],
        [f"GET /audit/anchors/{{day}} ({size_mb:.1f} MB JSON)", download_s, None, 1],
        [f"check_anchor of the kept file ({total:,} heads)", check_s, None, 1],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--heads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(machine_info())
    bench_db = BenchDatabase(args.postgres, keep=args.keep)
    try:
        app = make_app(bench_db)
        driver = Driver(app, FlaskTransport(app), None)
        rows = bench_verify(app, driver, 0, args.repeat, 1) + bench_verify(
            app, driver, args.events, args.repeat, 2
        )
        print(table(["what", "median ms", "p95 ms", "runs"], rows, title=f"/verify ({bench_db.kind})"))
        rows = bench_anchor(app, driver, args.heads)
        print(table(["what", "seconds", "", "runs"], rows, title=f"daily anchor ({bench_db.kind})"))
    finally:
        bench_db.close()


if __name__ == "__main__":
    main()
