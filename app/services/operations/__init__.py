"""The service-task operations a diagram may call.

Internal operations touch only our own database and run inside the command's transaction (their results are
recorded as events, so a replay serves them back). External operations talk to the population registry:
they become jobs and their results come back later as recorded commands.

Internal: rules/evaluate, dossier/accept (due date, fee, appointment slip), documents/issue (also the
apology's new appointment, the C11 timeliness of a supplement request and the on-time outcome),
register/enter, notice/post (abandoned child, 7 days), verification/request and verification/resume
(marital-status verification; the wait pauses the clock, C8), deadline/extend (5 working days when the
conditions need verification). External: registry/lookup_parties, registry/register_birth|marriage|death.
"""

from app.services.operations.acceptance import processing_start, task_due_at
from app.services.operations.dispatch import (
    EXTERNAL_OPERATIONS,
    INTERNAL_OPERATIONS,
    CommandDispatcher,
    ReplayDispatcher,
    is_known_operation,
)
from app.services.operations.issuing import POSTING_DAYS
from app.services.operations.rules import INACTIVE_STATUSES, evaluate_rules, kinship_from_lookups

__all__ = [
    "EXTERNAL_OPERATIONS",
    "INACTIVE_STATUSES",
    "INTERNAL_OPERATIONS",
    "POSTING_DAYS",
    "CommandDispatcher",
    "ReplayDispatcher",
    "evaluate_rules",
    "is_known_operation",
    "kinship_from_lookups",
    "processing_start",
    "task_due_at",
]
