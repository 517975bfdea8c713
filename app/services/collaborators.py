"""The collaborators services need (clock, registry client, forms, calendar), configured once per app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from app.domain.calendar import WorkingCalendar
from app.domain.fees import FeeSchedule
from app.engine.clock import Clock
from app.forms import FormRegistry
from app.integrations.registry import RegistryClient


@dataclass
class Collaborators:
    clock: Clock
    registry: RegistryClient
    forms: FormRegistry
    fees: FeeSchedule
    verify_base_url: str
    settings: dict[str, Any] = field(default_factory=dict)
    saturday_morning: bool = False  # domain.md §10: some communes receive on Saturday mornings

    @property
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar as it stands now: statutory holidays, the shipped official swaps and the
        admin's corrections (every due date, late flag, fee and timer counts with this one)."""
        from app.services.working_calendar import effective_calendar

        return effective_calendar(saturday_morning=self.saturday_morning)


def collaborators() -> Collaborators:
    """The Collaborators of the current application."""
    rt: Collaborators = current_app.extensions["hotich"]
    return rt
