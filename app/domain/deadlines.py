"""Statutory time limits, in working days or hours, with their legal source.

The per-procedure numbers live in each procedure's record (app/procedures/<key>.py, `limits`); the functions
here take that TimeLimits, or a procedure key, which is looked up in app.procedures (no Flask, no SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from app.domain.calendar import LOCAL_TZ, WorkingCalendar, default_calendar, to_local

Channel = Literal["online", "counter", "post"]

# Luật Hộ tịch Art. 15(1): a birth is registered within 60 days of the birth.
BIRTH_REGISTRATION_DAYS = 60
# Luật Hộ tịch Art. 33(1): a death is registered within 15 days of the death.
DEATH_REGISTRATION_DAYS = 15


@dataclass(frozen=True)
class TimeLimits:
    """A procedure's limits: processing (working days, without and with verification) and the citizen's
    registration period in days (None: the procedure has none, e.g. marriage)."""

    processing_working_days: int
    with_verification_working_days: int
    registration_days: int | None = None


# NĐ 123/2015 Art. 3 as amended by NĐ 07/2025: another commune replies to verification within 3 working days.
VERIFICATION_REPLY_WORKING_DAYS = 3
# Portal records S1–S3: the requester confirms the electronic draft within 1 day; silence = consent.
DRAFT_CONFIRMATION = timedelta(days=1)
# NQ 66.7/2025/NQ-CP (C11): supplement request within 8 working hours online, 1 working day otherwise.
SUPPLEMENT_REQUEST_ONLINE_WORKING_HOURS = 8
SUPPLEMENT_REQUEST_OTHER_WORKING_DAYS = 1


def limits_of(procedure: str | TimeLimits) -> TimeLimits:
    """The limits themselves, or those of a procedure key; ValueError for an unknown procedure."""
    if isinstance(procedure, TimeLimits):
        return procedure
    from app.procedures import get

    return get(procedure).limits


def processing_working_days(procedure: str | TimeLimits, *, needs_verification: bool) -> int:
    """Processing limit in working days for a procedure; ValueError for an unknown procedure."""
    limits = limits_of(procedure)
    return limits.with_verification_working_days if needs_verification else limits.processing_working_days


def processing_due_at(
    procedure: str | TimeLimits,
    received_at: datetime,
    *,
    needs_verification: bool = False,
    paused_working_days: int = 0,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """When the result is due (UTC), applying the 15:00 cut-off (C7) and verification pauses (C8)."""
    cal = calendar or default_calendar()
    days = processing_working_days(procedure, needs_verification=needs_verification)
    return cal.due_at(received_at, days, paused_working_days=paused_working_days)


def verification_reply_due_at(sent_at: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """When the verifying commune's reply is due (UTC): close of the 3rd working day after sending.

    Counted from the day after the request (BLDS Art. 147), unlike processing limits, which count the day of
    receipt itself under Luật Hộ tịch Art. 5(3).
    """
    cal = calendar or default_calendar()
    day = cal.add_working_days(to_local(sent_at).date(), VERIFICATION_REPLY_WORKING_DAYS)
    return datetime.combine(day, cal.closing_time(day), LOCAL_TZ).astimezone(UTC)


def supplement_request_due_at(
    received_at: datetime, channel: str, calendar: WorkingCalendar | None = None
) -> datetime:
    """Latest time (UTC) to ask for a supplement: 8 working hours online, else 1 working day (C11)."""
    cal = calendar or default_calendar()
    if channel == "online":
        return cal.add_working_hours(received_at, SUPPLEMENT_REQUEST_ONLINE_WORKING_HOURS)
    return cal.due_at(received_at, SUPPLEMENT_REQUEST_OTHER_WORKING_DAYS)


def draft_confirmation_due_at(sent_at: datetime) -> datetime:
    """When an unanswered electronic draft counts as confirmed (1 day after sending)."""
    return sent_at + DRAFT_CONFIRMATION


def registration_days(procedure: str | TimeLimits) -> int | None:
    """The citizen's statutory registration period in days (None for marriage, which has none)."""
    return limits_of(procedure).registration_days


def is_registration_late(
    procedure: str | TimeLimits,
    event_date: date,
    registration_date: date,
    calendar: WorkingCalendar | None = None,
) -> bool:
    """True when a birth or death is registered after its statutory period ("Quá hạn")."""
    days = registration_days(procedure)
    if days is None:
        return False
    return (calendar or default_calendar()).is_late(event_date, registration_date, days)
