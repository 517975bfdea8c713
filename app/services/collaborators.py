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
    calendar: WorkingCalendar
    fees: FeeSchedule
    verify_base_url: str
    settings: dict[str, Any] = field(default_factory=dict)


def collaborators() -> Collaborators:
    """The Collaborators of the current application."""
    rt: Collaborators = current_app.extensions["hotich"]
    return rt
