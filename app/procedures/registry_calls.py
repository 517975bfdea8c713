"""Population-registry calls the procedures share: the party lookup and keeping a registration's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.procedures.record import RegistryCall
from app.services.dossier_result import Flag, add_flags, record_result

if TYPE_CHECKING:
    from app.integrations.registry import RegistryClient
    from app.models import Dossier


def party_ids(dossier_data: dict[str, Any], roles: tuple[str, ...]) -> dict[str, str]:
    """{role: personal id} of the parties the dossier names."""
    out = {}
    for role in roles:
        person = dossier_data.get(role)
        pid = person.get("personal_id") if isinstance(person, dict) else None
        if pid:
            out[role] = str(pid)
    return out


def lookup_parties(roles: tuple[str, ...]) -> RegistryCall:
    """The registry/lookup_parties call: the registry record of each party (None when not found)."""

    def call(
        registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
    ) -> dict[str, Any]:
        return {role: registry.lookup(pid) for role, pid in party_ids(dossier_data, roles).items()}

    return call


def record_registry_outcome(dossier: Dossier, result: dict[str, Any]) -> None:
    """Keep whether the registry was updated; problems found reading it back become dossier flags."""
    registry = {k: result[k] for k in ("recorded", "reason", "locked", "previous_status") if k in result}
    record_result(dossier, registry=registry)
    add_flags(
        dossier,
        [
            Flag(rule=f["rule"], severity="flag", message=f["message"], field=f.get("field"))
            for f in result.get("check") or []
        ],
    )


def keep_revocation(dossier: Dossier, result: dict[str, Any]) -> None:
    """The compensating registry call after a refusal past the entry, kept with the dossier."""
    record_result(dossier, registry_revoked=dict(result))
