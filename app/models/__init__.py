"""SQLAlchemy models, and nothing else."""

from app.models.audit import AuditAnchor, AuditEvent, AuditHead
from app.models.base import db
from app.models.calendar import CalendarDay
from app.models.dossier import Attachment, ClosedTask, Document, Dossier, DossierParty, OpenTask
from app.models.feedback import Feedback, FeedbackProposal
from app.models.identity import ApiToken, Commune, LoginThrottle, User, UserSession
from app.models.job import Job
from app.models.process import ProcessDraft, ProcessVersion
from app.models.reads import PersonalDataRead
from app.models.register import Counter, RegisterBook, RegisterEntry
from app.models.registry import Person
from app.models.search_index import dossier_fts  # noqa: F401 - its DDL events join create_all

__all__ = [
    "db",
    "AuditAnchor",
    "AuditEvent",
    "AuditHead",
    "Attachment",
    "ClosedTask",
    "Document",
    "Dossier",
    "DossierParty",
    "OpenTask",
    "Feedback",
    "FeedbackProposal",
    "ApiToken",
    "Commune",
    "LoginThrottle",
    "User",
    "UserSession",
    "Job",
    "ProcessDraft",
    "ProcessVersion",
    "PersonalDataRead",
    "Counter",
    "RegisterBook",
    "RegisterEntry",
    "Person",
    "CalendarDay",
]
