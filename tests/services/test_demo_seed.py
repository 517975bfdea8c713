"""`flask seed-demo`: demo dossiers in various states, built through the use cases, never duplicated."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Dossier


def test_seed_demo_command_creates_dossiers_in_various_states_once(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "'dossiers': 8" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert "'dossiers': 0" in again.output and "'users': 0" in again.output
    with app.app_context():
        states = sorted((d.procedure, d.status) for d in db.session.query(Dossier))
        db.session.remove()
    assert states == sorted(
        [
            ("birth", "submitted"),
            ("birth", "processing"),
            ("birth", "awaiting_signature"),
            ("birth", "completed"),
            ("birth", "submitted"),
            ("birth", "result_ready"),
            ("marriage", "processing"),
            ("death", "submitted"),
        ]
    )
