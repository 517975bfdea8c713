"""Flask CLI commands: seed-demo, deploy-processes, worker, run-jobs."""

from __future__ import annotations

import click
from flask import Flask, current_app


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo communes, users and registry persons (idempotent)."""
        from app.services.seed import seed_demo

        counts = seed_demo(current_app.config["HOTICH_DEMO_PASSWORD"])
        from app.services.demo_dossiers import seed_demo_dossiers

        counts["dossiers"] = seed_demo_dossiers()
        click.echo(f"demo data: {counts}")

    @app.cli.command("deploy-processes")
    def deploy_processes_command() -> None:
        """Deploy the shipped BPMN under processes/ when it changed."""
        from app.services.processes import deploy_shipped_processes

        for v in deploy_shipped_processes():
            click.echo(f"deployed {v.key} v{v.version}")

    @app.cli.command("worker")
    @click.option("--interval", default=1.0, help="Seconds between polls for due timers.")
    def worker_command(interval: float) -> None:
        """Run jobs and timers until stopped; run any number of these against PostgreSQL. No job's failure
        stops the worker; it wakes on NOTIFY (PostgreSQL) as soon as a job is committed."""
        import threading

        from app.services.jobs import run_forever

        click.echo("job worker started")
        run_forever(current_app._get_current_object(), threading.Event(), interval)  # type: ignore[attr-defined]

    @app.cli.command("run-jobs")
    def run_jobs_command() -> None:
        """Run every due job and timer once, then exit."""
        from app.services.jobs import run_pending

        click.echo(f"jobs run: {run_pending()}")
