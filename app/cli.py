"""Flask CLI commands: seed-demo, deploy-processes, worker, run-jobs, backup, restore, user-active, and the
audit proofs (write-anchor, verify-anchor, verify-bundle, rotate-audit-key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

    @app.cli.command("write-anchor")
    def write_anchor_command() -> None:
        """Write today's audit anchor (one hash over every dossier's sealed chain head) and print it."""
        from app.services.audit_anchor import write_anchor
        from app.services.errors import Conflict

        try:
            anchor = write_anchor()
        except Conflict as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"anchor {anchor.day.isoformat()}: {anchor.count} dossiers, root {anchor.root}")
        click.echo(f"key {anchor.key_id}, mac {anchor.mac}")

    @app.cli.command("verify-anchor")
    @click.argument("file", type=click.File("rb"))
    def verify_anchor_command(file: Any) -> None:
        """Check a kept anchor file against the database now; names every dossier whose history differs."""
        import json

        from app.services.audit_anchor import check_anchor
        from app.services.errors import ServiceError

        try:
            verdict = check_anchor(json.loads(file.read()))
        except (ValueError, ServiceError) as exc:
            raise click.ClickException(f"not an anchor file: {exc}") from exc
        click.echo(json.dumps(verdict, ensure_ascii=False, indent=1))
        if not verdict["ok"]:
            raise SystemExit(1)

    @app.cli.command("verify-bundle")
    @click.argument("file", type=click.File("rb"))
    def verify_bundle_command(file: Any) -> None:
        """Re-execute a proof bundle (GET /api/v1/dossiers/{code}/history) offline and print the verdict of
        /verify; the database is not used (the audit key ring authenticates the MACs)."""
        import json

        from app.services.audit_bundle import BundleError, engine_info, verify_bundle
        from app.services.audit_keys import keyring

        try:
            bundle = json.loads(file.read())
            verdict = verify_bundle(bundle, keyring())
        except (ValueError, BundleError) as exc:
            raise click.ClickException(str(exc)) from exc
        if bundle.get("engine") != engine_info():
            click.echo(
                f"warning: exported with {bundle.get('engine')}, verified with {engine_info()}", err=True
            )
        click.echo(json.dumps(verdict, ensure_ascii=False, indent=1))
        if not (verdict["chain_ok"] and verdict["replay_ok"]):
            raise SystemExit(1)

    @app.cli.command("rotate-audit-key")
    def rotate_audit_key_command() -> None:
        """Make a new audit key current in the key file; retired keys stay so old MACs still verify."""
        from app.services.audit_keys import AuditKeyError, rotate_key_file

        try:
            key_id = rotate_key_file(current_app.config, current_app.instance_path)
        except AuditKeyError as exc:
            raise click.ClickException(str(exc)) from exc
        current_app.extensions.pop("hotich_audit_keyring", None)
        click.echo(f"audit key {key_id} is now current")

    @app.cli.command("seal-audit-chains")
    def seal_audit_chains_command() -> None:
        """Once after `db upgrade` to audit_0001: MAC and seal the chains recorded before (intact ones)."""
        from app.services.audit import seal_unsealed_chains
        from app.services.collaborators import collaborators

        sealed, refused = seal_unsealed_chains(collaborators().clock.now())
        click.echo(f"sealed {sealed} dossier chains")
        if refused:
            click.echo("not sealed, the plain chain is already broken: " + ", ".join(refused))
            raise SystemExit(1)

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
