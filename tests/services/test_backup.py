"""Backup and restore (issue 11 §3): `flask backup FILE` while the app runs, `flask restore FILE`; the
restored database verifies and continues, and a backup of an older schema is migrated on restore.
SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore), whichever HOTICH_TEST_DB selects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.engine.clock import FixedClock
from app.extensions import db
from app.services.jobs import run_pending
from app.services.seed import seed_demo
from tests.api_client import Api, birth_submission
from tests.conftest import START

OLDER_SCHEMA = "law_calendar_0001"  # the head before this branch's migrations

# the code's newest schema revision (a restore migrates to it)
HEAD = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_current_head()


@pytest.fixture
def migrated_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """An application on a database built by the migrations (as `make run` builds it), with the demo."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HOTICH_CLOCK": FixedClock(START),
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp_path / "outbox"),
            "TESTING": True,
        }
    )
    with app.app_context():
        upgrade()
        seed_demo("demo12345")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _jobs(app: Any) -> None:
    with app.app_context():
        run_pending()
        db.session.remove()


def _submit(app: Any, api: Api, **child: Any) -> str:
    body = birth_submission()
    body["data"]["child"].update(child)
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    _jobs(app)
    return str(resp.get_json()["code"])


def _cli(app: Any, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return str(result.output)


def _codes(api: Api) -> set[str]:
    return {d["code"] for d in api.get("auditor", "/dossiers").get_json()["items"]}


def _finish(app: Any, api: Api, code: str) -> None:
    """The dossier continues after the restore: every remaining step, to completed, and it verifies."""
    api.tokens.clear()  # tokens issued after the backup are gone with the restore
    open_tasks = [t["task"] for t in api.get("reception.hoankiem", f"/tasks?dossier={code}").get_json()]
    if "reception_check" in open_tasks:
        assert (
            api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"}).status_code
            == 200
        )
    assert (
        api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"}).status_code == 200
    )
    sign = {"decision": "sign", "signer_title": "chu_tich"}
    assert api.complete("chairman.hoankiem", code, "chairman_sign", sign).status_code == 200
    _jobs(app)
    resp = api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"})
    assert resp.status_code == 200 and resp.get_json()["dossier"]["status"] == "completed", resp.get_json()
    verify = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert verify == {"chain_ok": True, "replay_ok": True, "first_bad_seq": None, "problems": []}, verify


def test_backup_while_writing_then_restore_verifies_and_continues(migrated_app: Any, tmp_path: Path) -> None:
    app = migrated_app
    api = Api(app.test_client())
    kept = _submit(app, api)
    api.complete("reception.hoankiem", kept, "reception_check", {"decision": "accept"})
    # officials keep submitting while the backup is taken: the copy is one consistent snapshot
    stop = threading.Event()
    written: list[str] = []

    def counter() -> None:
        writer = Api(app.test_client())
        while not stop.is_set() and len(written) < 40:
            resp = writer.post("reception.hoankiem", "/dossiers", json=birth_submission())
            assert resp.status_code == 201, resp.get_json()
            written.append(resp.get_json()["code"])

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        while len(written) < 2:
            threading.Event().wait(0.01)
        output = _cli(app, "backup", str(tmp_path / "hotich.backup"))
    finally:
        stop.set()
        thread.join()
    assert "backup written to" in output and f"schema {HEAD}" in output
    in_backup = _codes(api)
    later = _submit(app, api)  # after the backup: gone after the restore

    output = _cli(app, "restore", "--yes", str(tmp_path / "hotich.backup"))
    assert "restored from" in output
    restored = _codes(Api(app.test_client()))
    assert kept in restored and later not in restored
    assert len(restored) >= 3 and restored <= in_backup  # only complete dossiers, none half-written
    checker = Api(app.test_client())
    for code in sorted(restored):
        verify = checker.get("auditor", f"/dossiers/{code}/verify").get_json()
        assert verify["chain_ok"] and verify["replay_ok"], (code, verify)
    _finish(app, checker, kept)
    # the counter's numbering continues after the restore, with no duplicate code
    assert _submit(app, checker) not in restored


def test_an_older_schema_backup_is_migrated_on_restore(migrated_app: Any, tmp_path: Path) -> None:
    app = migrated_app
    api = Api(app.test_client())
    old = _submit(app, api)
    with app.app_context():
        db.session.remove()
        downgrade(revision=OLDER_SCHEMA)  # the database as the previous release left it
        db.engine.dispose()
        assert "user_session" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
    _cli(app, "backup", str(tmp_path / "old.backup"))
    with app.app_context():
        upgrade()  # the new release is deployed and used
        db.engine.dispose()
    newer = _submit(app, Api(app.test_client()))

    output = _cli(app, "restore", "--yes", str(tmp_path / "old.backup"))
    assert f"schema {HEAD}" in output  # migrated to this code's head after the restore
    with app.app_context():
        assert "user_session" in inspect(db.engine).get_table_names()
        columns = {c["name"] for c in inspect(db.engine).get_columns("job")}
        assert "failure" in columns
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert head == HEAD
        db.session.remove()
        db.engine.dispose()
    checker = Api(app.test_client())
    assert old in _codes(checker) and newer not in _codes(checker)
    _finish(app, checker, old)


def test_restore_refuses_a_file_that_is_not_a_backup(migrated_app: Any, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-backup"
    bogus.write_bytes(b"hello")
    result = migrated_app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    assert Api(migrated_app.test_client()).get("admin", "/incidents").status_code == 200  # nothing broken
