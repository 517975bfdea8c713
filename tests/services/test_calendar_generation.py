"""The working calendar is kept per process for one generation; a correction made by another process is
seen in the very next transaction (issue 11 §5: no calendar read per command, no stale due date)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from app import create_app
from app.extensions import db
from tests.api_client import Api
from tests.services.procedures import RECEPTION

Q = {"received_at": "2026-03-09T16:00:00+07:00", "working_days": "1"}


def _second_process(app: Any) -> Any:
    """Another app on the same database, as a second gunicorn worker would be."""
    return create_app({**app.config, "HOTICH_JOB_RUNNER": "off"})


def _due(api: Api) -> str:
    value: str = api.get(RECEPTION, "/calendar/due", query_string=Q).get_json()["due_at"]
    return value


def _calendar_reads(app: Any, work: Any) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM calendar_day" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_correction_in_another_process_is_seen_at_once(app: Any, client: Any) -> None:
    mine = Api(client)
    other_app = _second_process(app)
    other = Api(other_app.test_client())
    assert _due(mine) == "2026-03-10T10:00:00+00:00"
    # the days are kept: asking again reads only the generation, not the calendar table
    assert _calendar_reads(app, lambda: _due(mine)) == 0
    body = {"date": "2026-03-10", "kind": "non_working", "name": "Nghỉ bão"}
    assert other.call("PUT", "admin", "/calendar/days", json=body).status_code == 200
    assert _due(mine) == "2026-03-11T10:00:00+00:00"
    assert other.call("DELETE", "admin", "/calendar/days/2026-03-10").status_code == 200
    assert _due(mine) == "2026-03-10T10:00:00+00:00"
    with other_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_without_a_generation_reads_the_days_every_time(app: Any, client: Any) -> None:
    from app.models import Counter
    from app.services.working_calendar import GENERATION_KEY

    with app.app_context():
        db.session.delete(db.session.get(Counter, GENERATION_KEY))
        db.session.commit()
        db.session.remove()
    mine = Api(client)
    assert _due(mine) == "2026-03-10T10:00:00+00:00"
    assert _calendar_reads(app, lambda: _due(mine)) == 1
