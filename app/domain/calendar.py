"""Working-day calendar of a Vietnamese commune: public holidays, office hours, processing due dates."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DayKind = Literal["non_working", "working"]
DAY_KINDS: tuple[DayKind, ...] = ("non_working", "working")
# The Government's day-off swaps, each with its source document (shipped data, see the file's "_about").
OFFICIAL_DAYS_OFF_FILE = Path(__file__).parent / "data" / "official_days_off.json"


@dataclass(frozen=True)
class DayOverride:
    """One day the official calendar says differently from the weekly rhythm and the statutory holidays:
    a weekday made a day off (`non_working`) or a weekend day made a working day (`working`)."""

    day: date
    kind: DayKind
    name: str
    source: str = ""


@dataclass
class WorkingCalendar:
    """Mon–Fri (optionally Saturday morning) minus Vietnamese public holidays, plus configured swaps."""

    saturday_morning: bool = False
    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    # the Government's swaps and admin corrections; they win over the statutory holidays of `holidays`
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    _public: holidays.HolidayBase = field(init=False, repr=False, compare=False)
    _off: frozenset[date] = field(init=False, repr=False, compare=False)
    _on: frozenset[date] = field(init=False, repr=False, compare=False)

    OPENS_AT: ClassVar[time] = time(8, 0)
    CLOSES_AT: ClassVar[time] = time(17, 0)
    LUNCH_START: ClassVar[time] = time(12, 0)
    LUNCH_END: ClassVar[time] = time(13, 0)
    SATURDAY_CLOSES_AT: ClassVar[time] = time(12, 0)
    CUTOFF: ClassVar[time] = time(15, 0)  # Luật Hộ tịch Art. 5(3): received after 15:00 → next working day

    def __post_init__(self) -> None:
        # `holidays` expands lazily to any year queried; it includes Tết and official swapped days off.
        self._public = holidays.country_holidays("VN", language="vi")
        self._off = self.extra_holidays | {d for d, o in self.overrides.items() if o.kind == "non_working"}
        self._on = self.extra_working_days | {d for d, o in self.overrides.items() if o.kind == "working"}

    # --- days -------------------------------------------------------------------------------------------

    def is_public_holiday(self, d: date) -> bool:
        """True on a public holiday (incl. Tết), an official swapped day off or an extra holiday."""
        if d in self._on:
            return False
        return d in self._off or d in self._public

    def is_working_day(self, d: date) -> bool:
        """True when the office works on d (weekday, or Saturday morning if configured, or a make-up day)."""
        if d in self._on:
            return True
        if self.is_public_holiday(d):
            return False
        if d.weekday() < 5:
            return True
        _ = d in self._public  # populate the year so its official make-up Saturdays are known
        if d in self._public.weekend_workdays:
            return True
        return d.weekday() == 5 and self.saturday_morning

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before d."""
        d -= timedelta(days=1)
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself not counted); n=0 returns d, negative n goes back."""
        for _ in range(abs(n)):
            d = self.next_working_day(d) if n > 0 else self.previous_working_day(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days d with a < d <= b (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i)))

    # --- hours ------------------------------------------------------------------------------------------

    def office_periods(self, d: date) -> list[tuple[time, time]]:
        """Office periods of day d in local time (empty on a non-working day)."""
        if not self.is_working_day(d):
            return []
        if d.weekday() == 5 and self.saturday_morning and d not in self._on:
            if d not in self._public.weekend_workdays:
                return [(self.OPENS_AT, self.SATURDAY_CLOSES_AT)]
        return [(self.OPENS_AT, self.LUNCH_START), (self.LUNCH_END, self.CLOSES_AT)]

    def closing_time(self, d: date) -> time:
        """When the office closes on working day d."""
        periods = self.office_periods(d)
        return periods[-1][1] if periods else self.CLOSES_AT

    def due_at(
        self,
        received_at: datetime,
        working_days: int,
        *,
        cutoff: time = CUTOFF,
        paused_working_days: int = 0,
    ) -> datetime:
        """Result due time (UTC) for a dossier received at received_at with a limit in working days.

        Luật Hộ tịch Art. 5(3) (C7): same day if received on a working day before the cut-off, else the
        next working day; verification time (C8, NĐ 123 Art. 3) is added as paused working days.
        """
        if working_days < 1:
            raise ValueError("working_days must be >= 1")
        local = to_local(received_at)
        # "after 15:00" (C7): 15:00:00 itself is still before the cut-off, 15:00:01 is after; counted in
        # whole seconds, as the receipt time is shown. A Saturday counter's closing time bounds it too.
        clock = local.time().replace(microsecond=0, tzinfo=None)
        start = local.date()
        before_cutoff = clock <= cutoff and clock < self.closing_time(start)
        if not (self.is_working_day(start) and before_cutoff):
            start = self.next_working_day(start)
        due_day = self.add_working_days(start, working_days - 1 + paused_working_days)
        return datetime.combine(due_day, self.closing_time(due_day), LOCAL_TZ).astimezone(UTC)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """start + hours counted only within office periods of working days (C11: 8 working hours); UTC."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        local = to_local(start)
        remaining = timedelta(hours=hours)
        day = local.date()
        while True:
            for opens, closes in self.office_periods(day):
                begin = max(datetime.combine(day, opens, LOCAL_TZ), local)
                end = datetime.combine(day, closes, LOCAL_TZ)
                if begin >= end:
                    continue
                if end - begin >= remaining:
                    return (begin + remaining).astimezone(UTC)
                remaining -= end - begin
            day += timedelta(days=1)

    # --- statutory periods ------------------------------------------------------------------------------

    def registration_deadline(self, event_date: date, days: int) -> date:
        """Last day to register an event within `days` days.

        BLDS Art. 147: counting starts the day after the event; Art. 148(5): a last day that is a weekend
        or holiday moves to the next working day.
        """
        last = event_date + timedelta(days=days)
        return last if self._is_business_day(last) else self._next_business_day(last)

    def is_late(self, event_date: date, registration_date: date, days: int) -> bool:
        """True when registration_date is after the statutory deadline ("Quá hạn")."""
        return registration_date > self.registration_deadline(event_date, days)

    def _is_business_day(self, d: date) -> bool:
        # BLDS Art. 148 speaks of weekend rest days and holidays; a Saturday-morning counter does not count.
        if d in self._on:
            return True
        if self.is_public_holiday(d):
            return False
        _ = d in self._public
        return d.weekday() < 5 or d in self._public.weekend_workdays

    def _next_business_day(self, d: date) -> date:
        d += timedelta(days=1)
        while not self._is_business_day(d):
            d += timedelta(days=1)
        return d

    # --- the published calendar (api.md § Calendar) -------------------------------------------------------

    def non_working_days(self, year: int) -> list[tuple[date, str]]:
        """The year's days off falling on a weekday or holiday list: statutory holidays and swaps, by date."""
        _ = date(year, 1, 1) in self._public
        days: dict[date, str] = {d: str(n) for d, n in self._public.items() if d.year == year}
        days.update({d: "Ngày nghỉ" for d in self.extra_holidays if d.year == year})
        days.update(
            {d: o.name for d, o in self.overrides.items() if d.year == year and o.kind == "non_working"}
        )
        return sorted((d, n) for d, n in days.items() if d not in self._on)

    def working_weekend_days(self, year: int) -> list[tuple[date, str]]:
        """The year's Saturdays and Sundays made working days (official make-up days, admin corrections)."""
        _ = date(year, 1, 1) in self._public
        days: dict[date, str] = {
            d: "Ngày làm bù" for d in self._public.weekend_workdays if d.year == year and d not in self._off
        }
        days.update({d: "Ngày làm việc" for d in self.extra_working_days if d.year == year})
        days.update({d: o.name for d, o in self.overrides.items() if d.year == year and o.kind == "working"})
        return sorted((d, n) for d, n in days.items() if d.weekday() >= 5)


def official_overrides() -> dict[date, DayOverride]:
    """The shipped day-off swaps (app/domain/data/official_days_off.json), by date."""
    return dict(_official_overrides())


@lru_cache(maxsize=1)
def _official_overrides() -> tuple[tuple[date, DayOverride], ...]:
    raw = json.loads(OFFICIAL_DAYS_OFF_FILE.read_text(encoding="utf-8"))
    out: list[tuple[date, DayOverride]] = []
    for item in raw["days"]:
        kind = item["kind"]
        if kind not in DAY_KINDS:
            raise ValueError(f"unknown day kind in {OFFICIAL_DAYS_OFF_FILE.name}: {kind!r}")
        day = date.fromisoformat(item["date"])
        out.append((day, DayOverride(day, kind, item["name"], item.get("source", ""))))
    return tuple(out)


def calendar_with(
    corrections: Iterable[DayOverride] = (), *, saturday_morning: bool = False
) -> WorkingCalendar:
    """The official calendar (statutory holidays + shipped swaps) with `corrections` applied on top."""
    overrides = official_overrides()
    overrides.update({o.day: o for o in corrections})
    return WorkingCalendar(saturday_morning=saturday_morning, overrides=overrides)


def to_local(moment: datetime) -> datetime:
    """The moment in Asia/Ho_Chi_Minh; ValueError for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(LOCAL_TZ)


def as_local(moment: datetime) -> datetime:
    """A moment as a Hà Nội clock shows it, for printing: an aware one converted, a naive one taken as Hà
    Nội wall-clock time already. At the ends of the calendar (0001-01-01T00:00+14:00) there is no Hà Nội
    time: the moment is shown as written."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    try:
        return moment.astimezone(LOCAL_TZ)
    except OverflowError:
        return moment


def local_date(moment: datetime) -> date:
    """The calendar day of an aware moment in Hà Nội (the day an event counts for the law)."""
    return to_local(moment).date()


def local_text(moment: datetime, *, with_time: bool = True) -> str:
    """"dd/mm/yyyy HH:MM" (or "dd/mm/yyyy") as a Hà Nội clock shows the moment (see as_local); the year always
    has four digits."""
    local = as_local(moment)
    day = f"{local.day:02d}/{local.month:02d}/{local.year:04d}"
    return f"{day} {local.hour:02d}:{local.minute:02d}" if with_time else day


def stored_moment(value: object) -> datetime | None:
    """An ISO moment kept in a dossier's JSON ("resolved_at"), aware (UTC when stored naive); None when it is
    missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age_on(born: object, on: date) -> int | None:
    """Completed years on `on` of someone born on an ISO date or in a year (2001, "2001"); None if unknown."""
    if isinstance(born, int) or (isinstance(born, str) and len(born) == 4 and born.isdigit()):
        return on.year - int(born)
    if not isinstance(born, str):
        return None
    try:
        b = date.fromisoformat(born[:10])
    except ValueError:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The shared calendar: national holidays and the shipped official swaps (no Saturday counter, no admin
    corrections — those come from the database through app.services.working_calendar)."""
    return calendar_with()


def registration_deadline(event_date: date, days: int) -> date:
    """Statutory last registration day on the default calendar (see WorkingCalendar.registration_deadline)."""
    return default_calendar().registration_deadline(event_date, days)


def is_late(event_date: date, registration_date: date, days: int) -> bool:
    """True when registration_date is after the statutory deadline on the default calendar."""
    return default_calendar().is_late(event_date, registration_date, days)
