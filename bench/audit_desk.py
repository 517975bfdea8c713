"""The auditors' desk: the history page of one completed birth, and the cross-dossier reports at size.

    .venv/bin/python bench/audit_desk.py [--stored 5000] [--requests 10] [--postgres [URL]] [--keep]

Drives one real completed birth through the API, then clones its dossier row and its audit events --stored
times (one INSERT … executemany per table, receipts spread over 30 days). Measures, in-process (Flask test
client with an auditor's session, so the figure is the server's time): the history page at the last step and
at step 3 (one replay for every step + /verify), the history PDF, the auditor search page and its CSV over
the whole period, and the process heat map of birth v1 over the period.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import PASSWORD, PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import COMMUNES, BenchFailure, Driver  # noqa: E402
from bench.stats import machine_info, median, p95, table  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402


def clone(app: Any, code: str, n: int) -> tuple[str, str]:
    """n copies of the dossier `code` and its events; returns the period (from, to) they were received in."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import AuditEvent, Dossier

    with app.app_context():
        d = db.session.scalars(sa.select(Dossier).where(Dossier.code == code)).one()
        events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.dossier_id == d.id)))
        columns = [c.key for c in Dossier.__table__.columns if c.key not in ("id",)]
        base = {c: getattr(d, c) for c in columns}
        first = d.received_at - timedelta(days=29)
        for start in range(0, n, 1000):
            rows = []
            for i in range(start, min(n, start + 1000)):
                shift = timedelta(days=i % 30, minutes=i % 480) - timedelta(days=29)
                rows.append(
                    {
                        **base,
                        "code": f"{d.commune_code}-CLONE-{i:07d}",
                        "received_at": d.received_at + shift,
                        "completed_at": d.completed_at + shift if d.completed_at else None,
                        "due_at": d.due_at + shift if d.due_at else None,
                        "idempotency_key": None,
                    }
                )
            db.session.execute(sa.insert(Dossier), rows)
            ids = dict(
                db.session.execute(
                    sa.select(Dossier.code, Dossier.id).where(Dossier.code.in_([r["code"] for r in rows]))
                ).all()
            )
            ev_rows = []
            for r in rows:
                shift = r["received_at"] - d.received_at
                for e in events:
                    ev_rows.append(
                        {
                            "dossier_id": ids[r["code"]],
                            "seq": e.seq,
                            "at": e.at + shift,
                            "type": e.type,
                            "actor": e.actor,
                            "task": e.task,
                            "data": e.data,
                            "prev_hash": e.prev_hash,
                            "hash": e.hash,
                        }
                    )
            db.session.execute(sa.insert(AuditEvent), ev_rows)
            db.session.commit()
        db.session.remove()
        return first.date().isoformat(), d.received_at.date().isoformat()


def timed(client: Any, url: str, requests: int, expect: str) -> list[float]:
    out = []
    for i in range(requests + 2):
        t = time.perf_counter()
        resp = client.get(url)
        ms = (time.perf_counter() - t) * 1000
        if resp.status_code != 200 or expect not in resp.mimetype:
            raise BenchFailure(f"{url}: {resp.status_code} {resp.mimetype}")
        if i >= 2:  # warm-up
            out.append(ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=5000, help="cloned completed births")
    parser.add_argument("--requests", type=int, default=10, help="requests per measurement")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    db = BenchDatabase(args.postgres, keep=args.keep)
    try:
        print("hộ tịch BPMN — auditors' desk benchmark")
        print(machine_info())
        app = make_app(db)
        driver = Driver(app, FlaskTransport(app), None)
        code = driver.path(next(iter(COMMUNES)), 0, upto="completed", record=False)
        t = time.perf_counter()
        start, end = clone(app, code, args.stored)
        took = time.perf_counter() - t
        print(f"database: {db.kind}; 1 real + {args.stored:,} cloned completed births ({took:.1f} s)")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        client.post(
            "/login", data={"username": "auditor", "password": PASSWORD, "csrf_token": token.group(1)}
        )
        period = f"from={start}&to={end}"
        rows = []
        for label, url, kind in (
            ("history page, last step", f"/audit/dossiers/{code}", "html"),
            ("history page, step 3", f"/audit/dossiers/{code}?upto=3", "html"),
            ("history PDF", f"/audit/dossiers/{code}/history.pdf", "pdf"),
            (
                f"auditor search page ({args.stored + 1:,} in period, 200 shown)",
                f"/audit/search?{period}",
                "html",
            ),
            ("auditor search CSV (all)", f"/audit/search.csv?{period}", "csv"),
            ("process heat map, birth v1", f"/processes/birth_registration/1/heat?{period}", "html"),
        ):
            ms = timed(client, url, args.requests, kind)
            rows.append([label, f"{median(ms):.0f}", f"{p95(ms):.0f}"])
        print(table(["request", "median ms", "p95 ms"], rows))
    finally:
        db.close()


if __name__ == "__main__":
    main()
