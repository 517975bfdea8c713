"""The audit key ring: HMAC-SHA256 keys that seal chain heads and anchors, kept outside the database.

The current key comes from `HOTICH_AUDIT_KEY` (with `HOTICH_AUDIT_KEY_ID`), else from the key file
(`HOTICH_AUDIT_KEY_FILE`, default `audit_keys.json` in the instance folder, mode 0600), generated on first
use. Every MAC is stored with its key id, so after a rotation old heads still verify with the old key: the
file keeps retired keys, and `HOTICH_AUDIT_OLD_KEYS` ("id:secret,id:secret") lists them when the key
comes from the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

KEY_FILE = "audit_keys.json"


class AuditKeyError(RuntimeError):
    """The key configuration cannot be used (e.g. rotating a key that comes from the environment)."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    def mac(self, message: str) -> tuple[str, str]:
        """(key id, hex HMAC-SHA256 of `message`) with the current key."""
        return self.current_id, self.mac_with(self.current_id, message)

    def mac_with(self, key_id: str, message: str) -> str:
        return hmac.new(self.keys[key_id], message.encode(), hashlib.sha256).hexdigest()

    def check(self, key_id: str | None, message: str, mac: str | None) -> bool:
        """Does `mac` authenticate `message` under key `key_id`? An unknown key id never does."""
        if not key_id or not mac or key_id not in self.keys:
            return False
        return hmac.compare_digest(self.mac_with(key_id, message), mac)


def keyring() -> Keyring:
    """The current application's key ring (read once per application)."""
    ring: Keyring | None = current_app.extensions.get("hotich_audit_keyring")
    if ring is None:
        ring = load_keyring(current_app.config, current_app.instance_path)
        current_app.extensions["hotich_audit_keyring"] = ring
    return ring


def load_keyring(config: Any, instance_path: str) -> Keyring:
    secret = config.get("HOTICH_AUDIT_KEY")
    if secret:
        key_id = str(config.get("HOTICH_AUDIT_KEY_ID") or "env")
        keys = _parse_old_keys(str(config.get("HOTICH_AUDIT_OLD_KEYS") or ""))
        keys[key_id] = str(secret).encode()
        return Keyring(key_id, keys)
    data = _read_or_create(key_file(config, instance_path))
    return Keyring(data["current"], {k: bytes.fromhex(v) for k, v in data["keys"].items()})


def key_file(config: Any, instance_path: str) -> Path:
    return Path(config.get("HOTICH_AUDIT_KEY_FILE") or Path(instance_path) / KEY_FILE)


def rotate_key_file(config: Any, instance_path: str) -> str:
    """Add a new key to the key file and make it current; retired keys stay for old MACs."""
    if config.get("HOTICH_AUDIT_KEY"):
        raise AuditKeyError(
            "HOTICH_AUDIT_KEY is set: rotate by setting a new key and id and listing the old one in "
            "HOTICH_AUDIT_OLD_KEYS"
        )
    path = key_file(config, instance_path)
    data = _read_or_create(path)
    key_id = _new_key_id(set(data["keys"]))
    data["keys"][key_id] = secrets.token_hex(32)
    data["current"] = key_id
    tmp = path.with_suffix(".tmp")
    _write_private(tmp, data)
    tmp.replace(path)
    return key_id


def _parse_old_keys(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        key_id, sep, secret = item.strip().partition(":")
        if sep and key_id and secret:
            keys[key_id] = secret.encode()
    return keys


def _new_key_id(taken: set[str]) -> str:
    while True:
        key_id = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
        if key_id not in taken:
            return key_id


def _read_or_create(path: Path) -> dict[str, Any]:
    if not path.exists():
        key_id = _new_key_id(set())
        try:
            _write_private(path, {"current": key_id, "keys": {key_id: secrets.token_hex(32)}}, exclusive=True)
        except FileExistsError:
            pass  # another process created it first: use theirs
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("current") not in (data.get("keys") or {}):
        raise AuditKeyError(f"{path.name}: the current key is not in the file")
    return data


def _write_private(path: Path, data: dict[str, Any], exclusive: bool = False) -> None:
    """Write the file readable by its owner only (0600) from the first byte on."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    path.chmod(0o600)
