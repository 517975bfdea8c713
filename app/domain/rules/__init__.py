"""Validation rules per procedure (KS- birth, KH- marriage, KT- death), evaluated on submission data."""

from app.domain.rules.birth import evaluate_birth
from app.domain.rules.context import RuleContext
from app.domain.rules.death import evaluate_death
from app.domain.rules.marriage import evaluate_handover, evaluate_marriage

__all__ = ["RuleContext", "evaluate_birth", "evaluate_death", "evaluate_handover", "evaluate_marriage"]
