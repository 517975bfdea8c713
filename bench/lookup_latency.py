"""How soon after a submission the registry lookup's result is on the official's screen (idle stack).

    .venv/bin/python bench/lookup_latency.py [--postgres [URL]] [-n 20]

Starts the real `make run` stack (gunicorn, 2 workers, job-runner threads; tests/concurrency/live_load.py),
submits one birth dossier at a time and polls `/api/v1/tasks?dossier=…` every 5 ms until the reception task
(created by the lookup's result) is open. Prints p50/p95/max of submission-answered → task visible. The job
runner is woken by the submission's commit; before that it polled once a second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.concurrency.live_load import Client, Report, birth_payload, fresh_postgres_database, live_stack  # noqa: E402

PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def measure(base_url: str, n: int) -> list[float]:
    client = Client(base_url, Report())
    assert client.login("reception.hoankiem") == 200
    out = []
    for i in range(n):
        resp = client.request("submit", "POST", "/api/v1/dossiers", json=birth_payload(i, "counter"))
        assert resp is not None and resp.status_code == 201, resp and resp.text
        answered = time.perf_counter()
        code = resp.json()["code"]
        while time.perf_counter() - answered < 10:
            tasks = client.request("poll", "GET", f"/api/v1/tasks?dossier={code}")
            if tasks is not None and tasks.status_code == 200 and tasks.json():
                break
            time.sleep(0.005)
        out.append((time.perf_counter() - answered) * 1000)
        time.sleep(0.2)  # let the runner go back to sleep: each sample starts from an idle runner
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None, metavar="ADMIN_URL")
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with (
        fresh_postgres_database(args.postgres, "hotich_lat") if args.postgres else nullcontext(None) as url,
        tempfile.TemporaryDirectory(prefix="hotich-lat-") as tmp,
        live_stack(Path(tmp), url) as stack,
    ):
        ms = sorted(measure(stack.base_url, args.n))
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(
        f"lookup visible after submission ({backend}, n={len(ms)}): "
        f"p50 {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
