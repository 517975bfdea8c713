"""How the bench reaches the app: the in-process Flask test client, or HTTP to a real gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from typing import Any

from bench import ROOT
from bench.database import BenchDatabase


class FlaskTransport:
    """The Flask WSGI test client, in-process: latency = the server's time plus a thin WSGI shim."""

    name = "in-process (Flask test client)"

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.client.open(path, method=method, headers=headers, json=json)
        return resp.status_code, resp.get_json(silent=True)


class HttpTransport:
    """A keep-alive `requests.Session` to a real server over loopback."""

    def __init__(self, base_url: str, name: str) -> None:
        import requests

        self.base = base_url
        self.name = name
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.session.request(method, self.base + path, headers=headers, json=json, timeout=60)
        try:
            body = resp.json()
        except ValueError:
            body = None
        return resp.status_code, body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """`gunicorn -w 2 'app:create_app()'` on a free loopback port against the bench database (jobs off)."""

    def __init__(self, db: BenchDatabase, workers: int = 2) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "HOTICH_FAST_HASH": "1",
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_INSTANCE_PATH": str(db.workdir / "instance"),
            "HOTICH_MAIL_OUTBOX": str(db.workdir / "outbox"),
        }
        self.log = open(db.workdir / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                requests.get(self.base + "/login", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still importing
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
