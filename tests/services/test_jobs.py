"""Jobs: registry calls retry with backoff, become incidents, are retried by an admin; leases expire."""

from __future__ import annotations

from typing import Any

from app.engine.clock import FixedClock
from app.extensions import db
from app.integrations.registry import EmbeddedRegistry, RegistryUnavailable
from app.models import Job
from app.services import jobs
from app.services.collaborators import collaborators
from tests.api_client import Api, birth_submission


class FlakyRegistry(EmbeddedRegistry):
    """The embedded registry, unreachable for the first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def lookup(self, personal_id: str) -> dict[str, Any] | None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RegistryUnavailable("connection refused")
        return super().lookup(personal_id)


def no_mail_submission() -> dict[str, Any]:
    """A birth submission whose requester gave no e-mail (so the only job is the registry lookup)."""
    data = birth_submission()
    del data["data"]["requester"]["email"]
    return data


def _job(app: Any) -> Job:
    with app.app_context():
        job = db.session.query(Job).filter(Job.kind == "service_call").order_by(Job.id.desc()).first()
        assert job is not None
        db.session.expunge(job)
        db.session.remove()
        return job


def test_failures_back_off_then_become_an_incident_an_admin_retries(
    app: Any, client: Any, clock: FixedClock
) -> None:
    api = Api(client)
    with app.app_context():
        flaky = FlakyRegistry(failures=100)
        collaborators().registry = flaky
    code = api.post("reception.hoankiem", "/dossiers", json=no_mail_submission()).get_json()["code"]
    delays = []
    for attempt in range(1, 6):
        with app.app_context():
            assert jobs.run_pending() == 1
            db.session.remove()
        job = _job(app)
        assert job.attempts == attempt and "connection refused" in (job.last_error or "")
        if attempt < 5:
            assert job.status == "pending"
            delays.append((job.run_at - clock.now()).total_seconds())
            with app.app_context():
                assert jobs.run_pending() == 0  # not due yet
                db.session.remove()
            clock.advance(seconds=delays[-1])
    assert delays == [2.0, 4.0, 8.0, 16.0]
    assert _job(app).status == "failed"
    incidents = api.get("admin", "/incidents").get_json()
    assert [(i["dossier_code"], i["operation"]) for i in incidents] == [(code, "registry/lookup_parties")]
    assert api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["status"] == "submitted"
    flaky.failures = 0
    assert api.post("admin", f"/incidents/{incidents[0]['id']}/retry").status_code == 200
    with app.app_context():
        jobs.run_pending()
        db.session.remove()
    assert api.get("admin", "/incidents").get_json() == []
    assert [t["task"] for t in api.get("reception.hoankiem", f"/tasks?dossier={code}").get_json()] == [
        "reception_check"
    ]


def test_a_crashed_workers_job_is_picked_up_after_its_lease(app: Any, client: Any, clock: FixedClock) -> None:
    api = Api(client)
    api.post("reception.hoankiem", "/dossiers", json=no_mail_submission())
    with app.app_context():
        claimed = jobs.claim_jobs("worker-that-dies")
        assert len(claimed) == 1
        assert jobs.claim_jobs("other-worker") == []  # leased
        clock.advance(seconds=jobs.LEASE.total_seconds() + 1)
        assert jobs.claim_jobs("other-worker") == claimed
        assert jobs.run_job(claimed[0]) == "done"
        # the dead worker comes back and feeds the same result again: nothing changes
        jobs.feed_result(claimed[0], {"mother": None})
        db.session.remove()
    job = _job(app)
    assert job.status == "done" and job.attempts == 2


def test_no_job_runs_twice_across_competing_claimers(app: Any, client: Any) -> None:
    api = Api(client)
    for _ in range(6):
        api.post("reception.hoankiem", "/dossiers", json=no_mail_submission())
    taken: list[int] = []
    with app.app_context():
        for worker in ("a", "b", "c"):
            taken += jobs.claim_jobs(worker, limit=2)
        assert jobs.claim_jobs("d") == []
        db.session.remove()
    assert len(taken) == len(set(taken)) == 6


def test_timer_jobs_fire_when_due(app: Any, client: Any, clock: FixedClock) -> None:
    api = Api(client)
    code = api.post("reception.hoankiem", "/dossiers", json=no_mail_submission()).get_json()["code"]
    with app.app_context():
        jobs.run_pending()
        db.session.remove()
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    due = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["due_at"]
    assert due.startswith("2026-03-10T10:00")  # 17:00 Hà Nội the same working day
    clock.advance(hours=8, seconds=1)
    with app.app_context():
        assert jobs.fire_due_timers() == 1
        db.session.remove()
    names = {d["name"] for d in api.get("officer.hoankiem", f"/dossiers/{code}/documents").get_json()}
    assert "phieu_xin_loi" in names


def test_a_worker_parses_the_active_diagrams_before_its_first_dossier(app: Any) -> None:
    """The thread runner warms the definition cache at start: the first lookup a worker runs does not wait
    for a diagram to be parsed (bench/lookup_latency.py shows the cold first sample)."""
    from sqlalchemy import select

    from app.models import ProcessVersion

    with app.app_context():
        app.extensions.pop("hotich_definitions", None)
        active = set(db.session.scalars(select(ProcessVersion.id).where(ProcessVersion.active.is_(True))))
        jobs.warm_up()
        assert set(app.extensions["hotich_definitions"]) == active and len(active) >= 3
        db.session.remove()
