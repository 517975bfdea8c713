"""The procedure registry: one record per civil-status procedure (app/procedures/<key>.py).

`get("birth")` is the only way to learn what a procedure needs; an unknown key raises UnknownProcedure
(never a default). Tests register extra procedures with `register` and take them away with `unregister`.
"""

from __future__ import annotations

import threading

from app.procedures.record import (
    LOOKUP_OPERATION,
    BookColumn,
    ContextBuilder,
    DocumentKind,
    DocumentSource,
    Figure,
    MinistryStatistics,
    Procedure,
    RegisterRefusal,
    RegisterSpec,
    RegistryCall,
    RegistryOperation,
)

__all__ = [
    "LOOKUP_OPERATION",
    "BookColumn",
    "ContextBuilder",
    "DocumentKind",
    "DocumentSource",
    "Figure",
    "MinistryStatistics",
    "Procedure",
    "RegisterRefusal",
    "RegisterSpec",
    "RegistryCall",
    "RegistryOperation",
    "UnknownProcedure",
    "all_procedures",
    "by_process_key",
    "document_kind",
    "get",
    "keys",
    "register",
    "registry_operation",
    "unregister",
]


class UnknownProcedure(LookupError, ValueError):
    """No procedure is registered under this key (a LookupError; a ValueError for the domain's callers)."""

    def __str__(self) -> str:
        return f"unknown procedure: {self.args[0]!r}" if self.args else "unknown procedure"


_lock = threading.Lock()
_records: dict[str, Procedure] = {}


def register(procedure: Procedure) -> Procedure:
    """Add a procedure; its key and process key must be new."""
    with _lock:
        if procedure.key in _records:
            raise ValueError(f"procedure {procedure.key!r} is already registered")
        if any(p.process_key == procedure.process_key for p in _records.values()):
            raise ValueError(f"process key {procedure.process_key!r} is already registered")
        _records[procedure.key] = procedure
    return procedure


def unregister(key: str) -> None:
    """Remove a procedure (tests that registered one clean up with this)."""
    with _lock:
        if _records.pop(key, None) is None:
            raise UnknownProcedure(key)


def get(key: str | None) -> Procedure:
    """The record of a procedure key ("birth"); UnknownProcedure for anything else."""
    found = _records.get(key) if isinstance(key, str) else None
    if found is None:
        raise UnknownProcedure(key)
    return found


def by_process_key(process_key: str) -> Procedure:
    for procedure in all_procedures():
        if procedure.process_key == process_key:
            return procedure
    raise UnknownProcedure(process_key)


def all_procedures() -> tuple[Procedure, ...]:
    """Registered procedures, in registration order (birth, marriage, death, then any added)."""
    with _lock:
        return tuple(_records.values())


def keys() -> tuple[str, ...]:
    return tuple(p.key for p in all_procedures())


def registry_operation(operation: str) -> RegistryOperation | None:
    """The registry operation of that name ("registry/register_birth") in whichever record has it."""
    return next(
        (p.registry_operations[operation] for p in all_procedures() if operation in p.registry_operations),
        None,
    )


def document_kind(kind: str) -> DocumentKind | None:
    """The document kind of that name ("birth_certificate") in whichever record issues it."""
    return next((d for p in all_procedures() for d in p.documents if d.kind == kind), None)


def _register_shipped() -> None:
    from app.procedures import birth, death, marriage

    for module in (birth, marriage, death):
        register(module.PROCEDURE)


_register_shipped()
