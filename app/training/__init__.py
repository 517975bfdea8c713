"""The training space (tập huấn nghiệp vụ) at /training/: the same application, pages, API, processes and
forms, run as a second app on its own database with its own registry stand-in of synthetic persons.

Isolation is by construction, not by checks: the training app has another database URL (register books,
numbering, statistics and audit trails are its own), always the embedded registry (never HOTICH_REGISTRY_URL),
mail only as files in its own outbox, and its own session cookie on the /training path. Every page carries the
"TẬP HUẤN" banner and every document the watermark. The real app forwards /training/* to it (werkzeug's
DispatcherMiddleware); it is built on the first such request, so an install that never trains pays nothing.

    models.py     exercises and attempts (tables of the training database only)
    exercises.py  the exercises, starting one, scoring it, resetting a trainee's space
"""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import inspect, select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

PREFIX = "/training"
WATERMARK = "MẪU TẬP HUẤN – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ"


def install(app: Flask) -> None:
    """Mount the training space under /training of the real app (unless HOTICH_TRAINING is off)."""
    lazy = _LazyTraining(app)
    app.extensions["hotich_training"] = lazy
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {PREFIX: lazy})  # type: ignore[method-assign]


def training_app(app: Flask) -> Flask:
    """The training app of a real app (built and prepared on first use)."""
    lazy: _LazyTraining = app.extensions["hotich_training"]
    return lazy.get()


class _LazyTraining:
    """WSGI app that builds the training app on its first request (one per process, thread-safe)."""

    def __init__(self, real: Flask) -> None:
        self.real = real
        self._app: Flask | None = None
        self._lock = threading.Lock()

    def get(self) -> Flask:
        with self._lock:
            if self._app is None:
                self._app = _build(self.real)
        return self._app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.get().wsgi_app(environ, start_response)


def training_config(real: Flask) -> dict[str, Any]:
    """The real app's configuration with everything that could reach the real world replaced."""
    instance = Path(real.instance_path)
    url = real.config.get("HOTICH_TRAINING_DATABASE_URL") or f"sqlite:///{instance / 'training.db'}"
    keep = {k: v for k, v in real.config.items() if k not in _NEVER_COPIED}
    base = real.config.get("HOTICH_VERIFY_BASE_URL")
    return {
        **keep,
        "TRAINING": True,
        "HOTICH_TRAINING": False,  # no training space inside the training space
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "HOTICH_REGISTRY_URL": None,  # always the stand-in, with synthetic persons
        "HOTICH_REGISTRY_TOKEN": None,
        "HOTICH_MAIL_OUTBOX": str(Path(real.config["HOTICH_MAIL_OUTBOX"]).parent / "training-outbox"),
        # unset, both apps print the address they are served on (the training app's includes /training)
        "HOTICH_VERIFY_BASE_URL": str(base).rstrip("/") + PREFIX if base else None,
        "SESSION_COOKIE_NAME": "hotich_training_session",
        "SESSION_COOKIE_PATH": PREFIX,
    }


_NEVER_COPIED = {
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "SQLALCHEMY_BINDS",
    "HOTICH_SMTP_HOST",
    "HOTICH_SMTP_USER",
    "HOTICH_SMTP_PASSWORD",
    "SERVER_NAME",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_PATH",
}


def _build(real: Flask) -> Flask:
    from app import create_app

    config = training_config(real)
    trainees = _real_people(real)
    training = create_app(config)
    prepare(training, trainees)
    return training


def _real_people(real: Flask) -> dict[str, Any]:
    """The real app's communes, officials and active process versions, read (never written) for the copy."""
    from app.models import Commune, ProcessVersion, User, db

    with real.app_context():
        communes = [
            {
                "code": c.code,
                "name": c.name,
                "province_code": c.province_code,
                "province_name": c.province_name,
            }
            for c in db.session.scalars(select(Commune))
        ]
        users = [
            {
                "username": u.username,
                "full_name": u.full_name,
                "password_hash": u.password_hash,
                "roles_csv": u.roles_csv,
                "commune_code": u.commune_code,
                "scope_csv": u.scope_csv,
                "personal_id": u.personal_id,
                "active": u.active,
            }
            for u in db.session.scalars(select(User))
            if "portal" not in u.roles  # the portal never trains
        ]
        versions = [
            (v.key, v.bpmn_xml.encode("utf-8"))
            for v in db.session.scalars(select(ProcessVersion).where(ProcessVersion.active.is_(True)))
        ]
        db.session.remove()
    return {"communes": communes, "users": users, "versions": versions}


def prepare(training: Flask, people: dict[str, Any]) -> None:
    """Create the training database if it is new, and bring its officials and processes in line with the
    real ones (under a file lock: every worker process of an install may get here at once)."""
    lock_path = Path(training.instance_path) / "training.lock"
    with open(lock_path, "w") as lock, training.app_context():
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _prepare(people)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prepare(people: dict[str, Any]) -> None:
    import hashlib

    from app.models import Commune, User, db
    from app.services.collaborators import collaborators
    from app.services.processes import active_version, deploy_shipped_processes, store_version
    from app.services.seed import add_demo_persons
    from app.services.transaction import write
    from app.training.exercises import ensure_shipped
    from app.training.models import TrainingBase

    if not inspect(db.engine).has_table("dossier"):
        db.create_all()
    TrainingBase.metadata.create_all(db.engine)

    def copy_people() -> None:
        add_demo_persons()  # the registry stand-in's synthetic persons
        for c in people["communes"]:
            if db.session.get(Commune, c["code"]) is None:
                db.session.add(Commune(**c))
        db.session.flush()
        real_names = {u["username"] for u in people["users"]}
        for row in people["users"]:
            user = db.session.scalars(select(User).where(User.username == row["username"])).first()
            if user is None:
                db.session.add(User(**row))
            else:
                for key, value in row.items():
                    setattr(user, key, value)
        for user in db.session.scalars(select(User)):
            if user.username not in real_names:  # gone from the real app since the last copy
                user.active = False

    write(copy_people)
    deploy_shipped_processes()

    def copy_versions() -> None:
        for key, xml in people["versions"]:
            newest = active_version(key, required=False)
            if newest is None or newest.sha256 != hashlib.sha256(xml).hexdigest():
                store_version(key, xml, "training-sync")

    write(copy_versions)
    ensure_shipped(collaborators().clock.now())
    db.session.remove()
