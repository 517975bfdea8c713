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


# The apology and new-appointment slip (C10) is sent before the appointment is missed. NĐ 61/2018/NĐ-CP
# (one-stop shop, kept by NĐ 118/2025) asks for it at the latest one day before the due date [knowledge,
# unsure]; a same-day procedure cannot give a day, so it is sent 2 working hours before closing time
# (15:00 on a 17:00 close, the receipt cut-off of C7) [design].
APOLOGY_LEAD_WORKING_HOURS_SAME_DAY = 2
APOLOGY_LEAD_WORKING_HOURS = 8  # one working day


def subtract_working_hours(end: datetime, hours: float, calendar: WorkingCalendar) -> datetime:
    """end − hours counted only within office periods of working days (the inverse of add_working_hours)."""
    if hours < 0:
        raise ValueError("hours must be >= 0")
    local = to_local(end)
    remaining = timedelta(hours=hours)
    day = local.date()
    for _ in range(3660):  # ten years of days: a calendar with no office period at all stops here
        for opens, closes in reversed(calendar.office_periods(day)):
            begin = datetime.combine(day, opens, LOCAL_TZ)
            finish = min(datetime.combine(day, closes, LOCAL_TZ), local)
            if finish <= begin:
                continue
            if finish - begin >= remaining:
                return (finish - remaining).astimezone(UTC)
            remaining -= finish - begin
        day -= timedelta(days=1)
    raise ValueError("no office hours before this moment")


def apology_due_at(due_at: datetime, working_days: int, calendar: WorkingCalendar | None = None) -> datetime:
    """When the apology slip is due if the result is not ready yet (UTC): a working day before the due date,
    or 2 working hours before it for a same-day limit (see APOLOGY_LEAD_*)."""
    cal = calendar or default_calendar()
    lead = APOLOGY_LEAD_WORKING_HOURS_SAME_DAY if working_days <= 1 else APOLOGY_LEAD_WORKING_HOURS
    moment = subtract_working_hours(due_at, lead, cal)
    local = to_local(moment)
    periods = cal.office_periods(local.date())
    if periods and local.time().replace(tzinfo=None) == periods[0][0]:  # "a day before": the eve's close
        eve = cal.previous_working_day(local.date())
        return datetime.combine(eve, cal.closing_time(eve), LOCAL_TZ).astimezone(UTC)
    return moment


def draft_confirmation_extension(sent_at: datetime, calendar: WorkingCalendar | None = None) -> float:
    """The working hours the citizen may hold the electronic draft (the 1 day of S1–S3, silence = consent):
    this time is the citizen's and is added to the due date, so confirmation never makes a dossier late."""
    cal = calendar or default_calendar()
    local, until = to_local(sent_at), to_local(draft_confirmation_due_at(sent_at))
    hours = 0.0
    day = local.date()
    while day <= until.date():
        for opens, closes in cal.office_periods(day):
            begin = max(datetime.combine(day, opens, LOCAL_TZ), local)
            finish = min(datetime.combine(day, closes, LOCAL_TZ), until)
            if finish > begin:
                hours += (finish - begin).total_seconds() / 3600
        day += timedelta(days=1)
    return hours
