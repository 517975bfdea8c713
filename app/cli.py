"""Flask CLI commands: seed-demo, deploy-processes, worker, run-jobs, backup, restore, user-active."""

from __future__ import annotations

from pathlib import Path

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

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(file: Path) -> None:
        """Back up the database to FILE while the application runs (SQLite online backup; pg_dump)."""
        from app.backup import BackupError, backup

        try:
            click.echo(f"backup written to {file}: {backup(file)}")
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
    def restore_command(file: Path, yes: bool) -> None:
        """Replace the database by the backup FILE, then migrate it to this code's schema. Stop the web and
        job processes first."""
        from app.backup import BackupError, restore

        if not yes:
            click.confirm(f"Replace the whole database by {file}?", abort=True)
        try:
            click.echo(f"restored from {file}: {restore(file)}")
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc

    @app.cli.command("user-active")
    @click.argument("username")
    @click.argument("state", type=click.Choice(["on", "off"]))
    def user_active_command(username: str, state: str) -> None:
        """Activate or deactivate an account; deactivation ends its sessions and API tokens at once."""
        from app.services.auth import set_user_active
        from app.services.errors import ServiceError

        try:
            set_user_active(username, state == "on")
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"{username}: {'active' if state == 'on' else 'deactivated'}")
