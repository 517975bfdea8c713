"""Dates and times as people type and read them (dd/mm/yyyy, Hà Nội time) and as the data stores them."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from app.domain.calendar import LOCAL_TZ, local_text

_DATE_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{1,2})[:hg](\d{2})")


def format_date(value: str) -> str:
    m = _DATE_ISO.match(value)
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else value


def format_datetime(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return local_text(moment)


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also with . or -), or YYYY-MM-DD; None when it is not a real date."""
    text = text.strip()
    m = _DATE_DMY.fullmatch(text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _DATE_ISO.fullmatch(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 8 and digits == text:
        return parse_date(f"{digits[:2]}/{digits[2:4]}/{digits[4:]}")
    return None


def parse_datetime(text: str) -> datetime | None:
    """ "dd/mm/yyyy hh:mm" (or "hh:mm dd/mm/yyyy") in Hà Nội time, as an aware datetime."""
    parts = text.replace(",", " ").split()
    day: date | None = None
    clock: time | None = None
    for part in parts:
        m = _TIME.fullmatch(part)
        if m and 0 <= int(m.group(1)) < 24 and 0 <= int(m.group(2)) < 60:
            clock = time(int(m.group(1)), int(m.group(2)))
        elif day is None:
            day = parse_date(part)
    if day is None or clock is None or len(parts) != 2:
        return None
    return datetime.combine(day, clock, LOCAL_TZ)
