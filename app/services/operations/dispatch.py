"""Which operations a diagram may call and how a command runs them: internal ones now, inside the command's
transaction (results recorded as events, served back on replay); external ones (the population registry)
deferred as jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from datetime import datetime
from typing import Any

from app.engine.scripting import DEFERRED, ServiceDispatcher
from app.models import Dossier
from app.procedures import LOOKUP_OPERATION, all_procedures
from app.services.audit import PendingEvent
from app.services.operations.acceptance import accept
from app.services.operations.issuing import issue, post_notice, sign_documents
from app.services.operations.rules import refuse_if_registered_meanwhile, run_rules
from app.services.operations.verification import extend_deadline, request_verification, resume_verification
from app.services.register_entries import enter_in_register, record_register_signature, void_register_entry


class _ExternalOperations(Set[str]):
    """The party lookup and every registered procedure's registry operations (read when asked, so a
    procedure registered later is included)."""

    def _current(self) -> frozenset[str]:
        ops = {LOOKUP_OPERATION}
        for procedure in all_procedures():
            ops.update(procedure.registry_operations)
        return frozenset(ops)

    def __contains__(self, operation: object) -> bool:
        return operation in self._current()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._current()))

    def __len__(self) -> int:
        return len(self._current())


EXTERNAL_OPERATIONS: Set[str] = _ExternalOperations()


class CommandDispatcher(ServiceDispatcher):
    """Runs internal operations for one command and records their results; defers external ones."""

    def __init__(self, dossier: Dossier, now: datetime) -> None:
        self.dossier = dossier
        self.now = now
        self.events: list[PendingEvent] = []

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in EXTERNAL_OPERATIONS:
            return DEFERRED
        handler = INTERNAL_OPERATIONS.get(operation)
        if handler is None:
            raise ValueError(f"unknown service operation {operation}")
        result = handler(self, task.data, params)
        self.events.append(
            PendingEvent(
                "internal_result", "system", task.task_spec.name, {"operation": operation, "result": result}
            )
        )
        return result


class ReplayDispatcher(ServiceDispatcher):
    """Serves recorded internal results back, in order, while a dossier is re-executed."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        self.recorded = recorded

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in EXTERNAL_OPERATIONS:
            return DEFERRED
        if not self.recorded or self.recorded[0]["operation"] != operation:
            raise LookupError(f"no recorded result for {operation}")
        return self.recorded.pop(0)["result"]


def enter_register(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    refuse_if_registered_meanwhile(d.dossier, data, d.now)
    return enter_in_register(d.dossier, str(params["kind"]), data, d.now)


def void_register(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    reason = str((data.get("chairman_sign") or {}).get("note") or "")
    return void_register_entry(d.dossier, reason, d.now)


def sign_register(d: CommandDispatcher, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return record_register_signature(d.dossier, data, str(params["task"]), d.now)


INTERNAL_OPERATIONS: dict[str, Callable[[CommandDispatcher, dict[str, Any], dict[str, Any]], Any]] = {
    "rules/evaluate": run_rules,
    "dossier/accept": accept,
    "documents/issue": issue,
    "register/enter": enter_register,
    "register/sign": sign_register,
    "register/void": void_register,
    "documents/sign": sign_documents,
    "notice/post": post_notice,
    "verification/request": request_verification,
    "verification/resume": resume_verification,
    "deadline/extend": extend_deadline,
}


def is_known_operation(operation: str) -> bool:
    """An operation a diagram may call: an internal one, or an external one of a registered procedure."""
    return operation in INTERNAL_OPERATIONS or operation in EXTERNAL_OPERATIONS
