"""Configuration from environment variables with safe defaults (the default needs no service but SQLite)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def load_config(instance_path: str) -> dict[str, Any]:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    default_db = f"sqlite:///{Path(instance_path) / 'hotich.db'}"
    return {
        "SQLALCHEMY_DATABASE_URI": normalize_db_url(os.environ.get("DATABASE_URL") or default_db),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "MAX_CONTENT_LENGTH": int(os.environ.get("HOTICH_MAX_BODY_BYTES", 30 * 1024 * 1024)),
        "HOTICH_JOB_RUNNER": os.environ.get("HOTICH_JOB_RUNNER", "off"),  # 'thread' in the default run
        "HOTICH_REGISTRY_URL": os.environ.get("HOTICH_REGISTRY_URL") or None,
        "HOTICH_REGISTRY_TOKEN": os.environ.get("HOTICH_REGISTRY_TOKEN") or None,
        "HOTICH_REGISTRY_TIMEOUT": float(os.environ.get("HOTICH_REGISTRY_TIMEOUT", "5")),
        # how long a claimed job is its runner's: after that (the runner died) another runner takes it
        "HOTICH_JOB_LEASE_SECONDS": float(os.environ.get("HOTICH_JOB_LEASE_SECONDS", "60")),
        # unset: QR codes point at the address the app is served on (app/services/collaborators.py)
        "HOTICH_VERIFY_BASE_URL": os.environ.get("HOTICH_VERIFY_BASE_URL") or None,
        # the training space at /training/ (its own database: HOTICH_TRAINING_DATABASE_URL, default
        # instance/training.db); HOTICH_TRAINING=0 leaves it out
        "HOTICH_TRAINING": os.environ.get("HOTICH_TRAINING", "1") != "0",
        "HOTICH_TRAINING_DATABASE_URL": normalize_db_url(os.environ["HOTICH_TRAINING_DATABASE_URL"])
        if os.environ.get("HOTICH_TRAINING_DATABASE_URL")
        else None,
        "HOTICH_DEMO_PASSWORD": os.environ.get("HOTICH_DEMO_PASSWORD", "demo12345"),
        # behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust (0 = none)
        "HOTICH_TRUSTED_PROXIES": int(os.environ.get("HOTICH_TRUSTED_PROXIES", "0")),
        # the audit MAC key (else a key file generated in the instance folder, see app.services.audit_keys)
        "HOTICH_AUDIT_KEY": os.environ.get("HOTICH_AUDIT_KEY") or None,
        "HOTICH_AUDIT_KEY_ID": os.environ.get("HOTICH_AUDIT_KEY_ID") or None,
        "HOTICH_AUDIT_OLD_KEYS": os.environ.get("HOTICH_AUDIT_OLD_KEYS") or "",
        "HOTICH_AUDIT_KEY_FILE": os.environ.get("HOTICH_AUDIT_KEY_FILE") or None,
        "HOTICH_MAIL_OUTBOX": os.environ.get("HOTICH_MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def normalize_db_url(url: str) -> str:
    """Use psycopg 3 for postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
