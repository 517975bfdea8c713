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


# lookup entries that are not one party's record (the page shows them apart)
LOOKUP_EXTRAS = ("family", "official_family", "marital_verification", "registry_births", "parents_marriage")
ANCESTOR_GENERATIONS = 3  # HN&GĐ Art. 3(18): three generations, counted from the common ancestor


def family_records(registry: RegistryClient, roots: list[str]) -> dict[str, Any]:
    """What the kinship bars (HN&GĐ Art. 5(2)(d), LHT Art. 12(1)(h)) need around the given persons.

    The persons themselves, their blood ancestors up to three generations (whose records name the parents'
    spouses, current and former: step-parents), their spouses current and former (whose records name the
    parents-in-law), and their adoptive parents. Records by personal id; a missing person is left out.
    """
    found: dict[str, Any] = {}

    def fetch(pid: str) -> dict[str, Any] | None:
        if pid not in found:
            found[pid] = registry.lookup(pid)
        record = found[pid]
        return record if isinstance(record, dict) else None

    def ids(record: dict[str, Any] | None, *keys: str) -> list[str]:
        out = [record.get(k) for k in keys] if record else []
        return [p for p in out if isinstance(p, str) and p]

    roots = list(dict.fromkeys(roots))
    for pid in roots:  # spouses current and former, adoptive parents: their own records
        record = fetch(pid)
        linked = ids(
            record, "spouse_personal_id", "adoptive_mother_personal_id", "adoptive_father_personal_id"
        )
        linked += [p for p in (record or {}).get("former_spouse_personal_ids") or [] if isinstance(p, str)]
        for other in linked:
            fetch(other)
    frontier = roots
    for _ in range(ANCESTOR_GENERATIONS):  # blood ancestors: parents, grandparents, great-grandparents
        nxt: list[str] = []
        for pid in frontier:
            nxt += ids(fetch(pid), "mother_personal_id", "father_personal_id")
        frontier = list(dict.fromkeys(nxt))
    return {pid: rec for pid, rec in found.items() if isinstance(rec, dict)}


def children_in_registry(registry: RegistryClient, parent_id: str) -> list[dict[str, Any]]:
    """Persons the registry records as children of a parent (KS-10); [] when the client cannot tell."""
    children_of = getattr(registry, "children_of", None)
    if children_of is None:
        return []
    found = children_of(parent_id)
    if not isinstance(found, list):
        return []
    # a person locked while alive is a birth revoked after a refusal past the entry (the compensating
    # registry call): no registration stands, so it is not a KS-10 duplicate
    return [
        dict(r)
        for r in found
        if isinstance(r, dict) and not (r.get("civil_status_locked") and not r.get("deceased_on"))
    ]


def lookup_parties_with_family(roles: tuple[str, ...]) -> RegistryCall:
    """The party lookup plus the parties' family links (`family`), for the no-relative-decides rules
    (LHT Art. 12(1)(h)) and the requester's declared relationship."""
    parties = lookup_parties(roles)

    def call(
        registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
    ) -> dict[str, Any]:
        result = parties(registry, dossier_data, code, now)
        roots = [
            str(r["personal_id"]) for r in result.values() if isinstance(r, dict) and r.get("personal_id")
        ]
        result["family"] = family_records(registry, roots)
        return result

    return call


def record_registry_outcome(dossier: Dossier, result: dict[str, Any]) -> None:
    """Keep whether the registry was updated; problems found reading it back become dossier flags."""
    keys = ("recorded", "reason", "locked", "previous_status")
    registry: dict[str, Any] = {k: result[k] for k in keys if k in result}
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
