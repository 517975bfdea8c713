from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.calendar import LOCAL_TZ
from app.domain.deadlines import (
    draft_confirmation_due_at,
    is_registration_late,
    processing_due_at,
    processing_working_days,
    registration_days,
    supplement_request_due_at,
    verification_reply_due_at,
)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("procedure", "verification", "days"),
    [
        ("birth", False, 1),
        ("birth", True, 1),
        ("death", False, 1),
        ("death", True, 5),
        ("marriage", False, 1),
        ("marriage", True, 5),
    ],
)
def test_processing_working_days(procedure: str, verification: bool, days: int) -> None:
    assert processing_working_days(procedure, needs_verification=verification) == days


def test_unknown_procedure() -> None:
    with pytest.raises(ValueError):
        processing_working_days("adoption", needs_verification=False)


def test_processing_due_at() -> None:
    assert processing_due_at("birth", local(2026, 2, 13, 15, 1)) == local(2026, 2, 23, 17)
    assert processing_due_at("marriage", local(2026, 2, 12, 9), needs_verification=True) == local(
        2026, 2, 25, 17
    )
    assert processing_due_at("death", local(2026, 3, 10, 9), paused_working_days=3) == local(2026, 3, 13, 17)


def test_verification_reply_due_at() -> None:
    assert verification_reply_due_at(local(2026, 2, 12, 10)) == local(2026, 2, 24, 17)


@pytest.mark.parametrize(
    ("channel", "received", "due"),
    [
        ("online", local(2026, 2, 13, 14), local(2026, 2, 23, 14)),
        ("counter", local(2026, 2, 13, 14), local(2026, 2, 13, 17)),
        ("post", local(2026, 2, 13, 16), local(2026, 2, 23, 17)),
    ],
)
def test_supplement_request_due_at(channel: str, received: datetime, due: datetime) -> None:
    assert supplement_request_due_at(received, channel) == due


def test_draft_confirmation_is_one_calendar_day() -> None:
    sent = datetime(2026, 2, 13, 9, tzinfo=UTC)
    assert draft_confirmation_due_at(sent) == sent + timedelta(days=1)


@pytest.mark.parametrize(
    ("procedure", "event", "registered", "late"),
    [
        ("birth", date(2026, 1, 5), date(2026, 3, 6), False),  # day 60
        ("birth", date(2026, 1, 5), date(2026, 3, 7), True),  # day 61
        ("death", date(2026, 2, 23), date(2026, 3, 10), False),  # day 15
        ("death", date(2026, 2, 23), date(2026, 3, 11), True),  # day 16
        ("marriage", date(2000, 1, 1), date(2026, 3, 11), False),
    ],
)
def test_is_registration_late(procedure: str, event: date, registered: date, late: bool) -> None:
    assert is_registration_late(procedure, event, registered) is late


def test_registration_days() -> None:
    assert (registration_days("birth"), registration_days("death"), registration_days("marriage")) == (
        60,
        15,
        None,
    )
