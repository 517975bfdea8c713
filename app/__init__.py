"""Hộ tịch BPMN: the Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from app.extensions import babel, csrf, db, login_manager, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, the services' collaborators, blueprints and CLI commands."""
    app = Flask(
        __name__, instance_path=os.environ.get("HOTICH_INSTANCE_PATH") or None, instance_relative_config=True
    )
    from app.config import load_config

    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault(
            "connect_args", {"timeout": 30, "check_same_thread": False}
        )
    app.config.setdefault("SQLALCHEMY_SESSION_OPTIONS", {})

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    from app.web.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)

    with app.app_context():
        from app.database import configure_engine

        configure_engine(db.engine)
    _install_collaborators(app)
    from app.services import job_signal

    job_signal.install()  # wakes the job runner after a commit that created a job
    from app.services.audit import install_sealing

    install_sealing()  # seals the chain head of every dossier a commit appended events to

    from app.web import register_web

    register_web(app)
    from app.cli import register_cli

    register_cli(app)
    if app.config.get("TRAINING"):
        from app.web.pages.training import training_pages

        app.register_blueprint(training_pages)
    elif app.config.get("HOTICH_TRAINING", True):
        from app import training

        training.install(app)
    if app.config["HOTICH_JOB_RUNNER"] == "thread":
        from app.services.jobs import BackgroundRunner

        runner = BackgroundRunner(app)
        app.extensions["hotich_runner"] = runner
        runner.start()
    return app


def _install_collaborators(app: Flask) -> None:
    from types import MappingProxyType

    from app import procedures
    from app.domain.fees import FeeSchedule
    from app.engine.clock import SystemClock
    from app.forms import default_registry
    from app.integrations.registry import EmbeddedRegistry, HttpRegistry
    from app.services.collaborators import Collaborators

    registry = (
        HttpRegistry(
            app.config["HOTICH_REGISTRY_URL"],
            token=app.config["HOTICH_REGISTRY_TOKEN"],
            timeout=app.config["HOTICH_REGISTRY_TIMEOUT"],
        )
        if app.config["HOTICH_REGISTRY_URL"]
        else EmbeddedRegistry()
    )
    app.extensions["hotich"] = Collaborators(
        clock=app.config.get("HOTICH_CLOCK") or SystemClock(),
        registry=registry,
        forms=default_registry(),
        # provincial amounts in VND (HĐND resolution; unverified for Hà Nội, so late fees default to 0)
        # each procedure's amount is HOTICH_FEE_<its FeeRule.schedule_key> (HOTICH_FEE_LATE_BIRTH, …)
        fees=FeeSchedule(
            amounts=MappingProxyType(
                {
                    key: _amount(app, f"HOTICH_FEE_{key.upper()}", 0)
                    for key in (p.fee.schedule_key for p in procedures.all_procedures())
                    if key
                }
            ),
            copy=_amount(app, "HOTICH_FEE_COPY", 8_000),
        ),
        configured_verify_base_url=app.config.get("HOTICH_VERIFY_BASE_URL") or None,
        settings={"job_lease_seconds": float(app.config.get("HOTICH_JOB_LEASE_SECONDS", 60))},
    )

    @app.before_request
    def _remember_base_url() -> None:
        app.extensions["hotich"].saw_request()


def _amount(app: Flask, name: str, default: int) -> int:
    """A fee amount from the app config or the environment (VND)."""
    return int(app.config.get(name) or os.environ.get(name) or default)
