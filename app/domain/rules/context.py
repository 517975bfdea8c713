"""What the rules need besides the submission: the registration date, registry lookups, the official."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.calendar import WorkingCalendar, default_calendar
from app.domain.kinship import KinshipGraph


@dataclass(frozen=True)
class RuleContext:
    """Facts gathered outside the submission; `lookups[role]` is None when looked up and not found."""

    registration_date: date  # today in Asia/Ho_Chi_Minh, or the date being registered
    commune_code: str  # the receiving commune (5-digit code, e.g. '00070')
    lookups: Mapping[str, Mapping[str, Any] | None]  # registry records by role; key absent = not looked up
    # the day the dossier was received: the citizen's registration period (LHT Art. 15, 33) runs to it, not to
    # the day an official examines it; None = registration_date
    received_on: date | None = None
    officer_personal_id: str | None = None  # deciding official, for KS-14 / KH-12 / KT-12
    kinship: KinshipGraph | None = None
    existing_births: Sequence[Mapping[str, Any]] = ()  # registered births matching this child (KS-10)
    registry_births: Sequence[Mapping[str, Any]] = ()  # persons the registry records as the mother's children
    existing_deaths: Sequence[Mapping[str, Any]] = ()  # registered deaths of this person (KT-06)
    # registered marriages naming a party, from the civil-status DB: {"code", "bride_personal_id",
    # "groom_personal_id"} (KH-04; the registry lookup may predate them)
    existing_marriages: Sequence[Mapping[str, Any]] = ()
    registry_birth_registered: bool | None = None  # death of a newborn: is there a birth registration (KT-09)
    calendar: WorkingCalendar | None = None  # for statutory deadlines; None = national holidays only
    # kinds of the files attached to the dossier (forms/common attachment_kind); None = not known
    attachments: frozenset[str] | None = None
    # the reply of the commune asked to verify marital status (NĐ 07/2025): {"confirmed_single": bool, ...}
    marital_verification: Mapping[str, Any] | None = None

    @property
    def registered_by(self) -> date:
        """The day the citizen went to register, which the statutory period is measured to (KS-03, KT-03)."""
        return self.received_on or self.registration_date

    @property
    def working_calendar(self) -> WorkingCalendar:
        """The calendar to count statutory deadlines with."""
        return self.calendar or default_calendar()

    def is_looked_up(self, role: str) -> bool:
        """True when the registry was asked about this role (found or not)."""
        return role in self.lookups

    def has_attachment(self, *kinds: str) -> bool:
        """True when a file of one of these kinds is attached (False when attachments are not known)."""
        return self.attachments is not None and any(k in self.attachments for k in kinds)

    def record(self, role: str) -> Mapping[str, Any] | None:
        """The registry record for a role, or None when not looked up, not found or malformed."""
        value = self.lookups.get(role)
        return value if isinstance(value, Mapping) else None
