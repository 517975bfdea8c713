"""The outcome of a dossier (`dossier.result`): its typed shape and its one writer.

Operations, registry results and withdrawal record what happened through `record_result`, which accepts only
the keys below, each with its type (mypy checks every caller; an unknown key is a KeyError at run time too);
everything shown or printed about an outcome reads these keys.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from app.models import Dossier


class Flag(TypedDict):
    rule: str
    severity: str
    message: str
    field: str | None


class DossierResult(TypedDict, total=False):
    fee: dict[str, Any]  # amount, exempt_reason, lines (dossier/accept)
    original_due_at: str  # the statutory due date, the on-time yardstick (QĐ 766); an apology never moves it
    deadline: dict[str, Any]  # start, working_days, paused_working_days (C7, C8)
    apology: dict[str, Any]  # issued_at, new_due_at (C10)
    resolved_at: str
    on_time: bool | None
    refused: bool
    reasons: list[str]
    flags: list[Flag]  # findings the process itself raised (C11 late supplement request, KH-13 read-back)
    posting: dict[str, Any]  # started_at, ends_at, days (NĐ 123/2015 Art. 14)
    verification: dict[str, Any]  # requests, status, paused_since, reply (marital-status verification)
    register: dict[str, Any]  # book, number
    registered_on: str
    classification: str
    personal_id: str | None  # the child's personal id from the population registry
    registry: dict[str, Any]  # recorded, reason, locked (registry update of a marriage or death)
    withdrawn: dict[str, Any]  # at, by, reason, status_before
    # Luật Hộ tịch Art. 16(2), 18(2), 34(2): the register signed, the chairman's signature, a voided entry
    register_signature: dict[str, Any]  # at, officer, declarant, mode (in_person | at_collection)
    signed_at: str  # the chairman signed and issued the certificate or extract
    register_void: dict[str, Any]  # at, reason (refused at the signature after the entry)
    registry_revoked: dict[str, Any]  # the compensating registry call's result


RESULT_KEYS = frozenset(DossierResult.__annotations__)


def record_result(dossier: Dossier, **changes: Unpack[DossierResult]) -> None:
    """Merge `changes` into the dossier's outcome (a new dict, so the JSON column is written)."""
    unknown = set(changes) - RESULT_KEYS
    if unknown:
        raise KeyError(f"not a dossier result field: {sorted(unknown)}")
    dossier.result = {**(dossier.result or {}), **changes}  # keys and types checked by mypy at the callers


def add_flags(dossier: Dossier, flags: list[Flag]) -> list[Flag]:
    """Record process-raised findings once each, in the result and among the findings; returns the new."""
    known = list((dossier.result or {}).get("flags") or [])
    new = [f for f in flags if f not in known]
    if new:
        record_result(dossier, flags=[*known, *new])
        dossier.findings = [*(dossier.findings or []), *(dict(f) for f in new)]
    return new
