"""Tolerant reading of submission data: dotted paths, dates, years; garbage reads as None, never raises."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from app.domain.calendar import LOCAL_TZ
from app.domain.text import fold

_VIETNAMESE = {"viet nam", "vietnam", "vn", "vnm", "vietnamese", "nuoc cong hoa xa hoi chu nghia viet nam"}


def get(data: Any, path: str) -> Any:
    """Value at a dotted path ('child.birth_date'), or None when any step is missing or not a mapping."""
    value = data
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def block(data: Any, path: str) -> Mapping[str, Any] | None:
    """The mapping at path, or None when absent, null or not a mapping."""
    value = get(data, path)
    return value if isinstance(value, Mapping) else None


def text(data: Any, path: str) -> str | None:
    """Non-blank stripped string at path, else None."""
    value = get(data, path)
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_date(value: Any) -> date | None:
    """A 'YYYY-MM-DD' string (or a date) as a date; None when absent or malformed."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_moment(value: Any) -> tuple[date, datetime | None] | None:
    """An ISO date or date-time as (local date, local datetime or None); None when malformed."""
    if isinstance(value, str):
        raw = value.strip()
        only_date = parse_date(raw)
        if only_date is not None:
            return only_date, None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        else:
            try:
                moment = moment.astimezone(LOCAL_TZ)
            except OverflowError:  # at the ends of the calendar (years 1 and 9999) no local time exists
                return moment.date(), None
        return moment.date(), moment
    return None


def parse_year(value: Any) -> int | None:
    """A plausible 4-digit year from an int or digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1800 <= value <= 2399:
        return value
    return None


def member(value: Any, options: Collection[str]) -> bool:
    """True when value is one of the string options (safe for unhashable garbage)."""
    return isinstance(value, str) and value in options


def is_vietnamese(nationality: str) -> bool:
    """True when a nationality text means Vietnam ('Việt Nam', 'Viet Nam', 'VN')."""
    return fold(nationality).replace("-", " ") in _VIETNAMESE


def same_folded(a: str, b: str) -> bool:
    """Equal after removing case and diacritics (ethnicity, place names)."""
    return fold(a).removeprefix("dan toc ").strip() == fold(b).removeprefix("dan toc ").strip()
