"""Where a task completion spends its CPU: pyinstrument over the completions of N birth dossiers.

    .venv/bin/python bench/profile_completion.py [--n 40] [--postgres [URL]] [--html out.html]

In-process (Flask test client) on a fresh SQLite file (or PostgreSQL database), jobs run in this process as
in `birth_path.py`. Only the `POST /api/v1/tasks/<id>/complete` requests are sampled; the first
`--warmup` dossiers are not. Prints pyinstrument's text tree (or writes its HTML page).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import COMMUNES, Driver  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402


class ProfiledTransport(FlaskTransport):
    """The Flask test client; completions are sampled while `profiling` is on."""

    def __init__(self, app: Any, profiler: Any, finds: bool = False) -> None:
        super().__init__(app)
        self.profiler = profiler
        self.profiling = False
        self.finds = finds

    def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        wanted = path.startswith("/api/v1/tasks?") if self.finds else path.endswith("/complete")
        if not (self.profiling and wanted):
            return super().call(method, path, token, json)
        self.profiler.start()
        try:
            return super().call(method, path, token, json)
        finally:
            self.profiler.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=4)
    ap.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None)
    ap.add_argument("--html", type=Path, default=None)
    ap.add_argument("--finds", action="store_true", help="profile the GET /tasks?dossier= lookups instead")
    ap.add_argument("--flat", action="store_true", help="self time per function instead of the tree")
    ap.add_argument("--interval", type=float, default=0.0002, help="sampling interval, seconds")
    args = ap.parse_args()

    from pyinstrument import Profiler

    db = BenchDatabase(args.postgres)
    try:
        app = make_app(db)
        profiler = Profiler(interval=args.interval)
        transport = ProfiledTransport(app, profiler, args.finds)
        driver = Driver(app, transport, None)
        communes = list(COMMUNES)
        for i in range(args.warmup + args.n):
            transport.profiling = i >= args.warmup
            driver.path(communes[i % len(communes)], 10_000 + i, record=False)
        if args.html:
            args.html.write_text(profiler.output_html())
            print(f"wrote {args.html}")
        elif args.flat:
            from pyinstrument.renderers import ConsoleRenderer

            print(profiler.output(ConsoleRenderer(unicode=True, color=False, flat=True, show_all=True)))
        else:
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    finally:
        db.close()


if __name__ == "__main__":
    main()
