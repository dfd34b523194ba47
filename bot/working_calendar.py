"""Working time: which moments are business hours, and where a business-day duration ends.

Everything goes in and out as timezone-aware datetimes (results in UTC); the calendar converts to its own
IANA timezone with zoneinfo, so daylight-saving changes are handled by local dates and times, not by offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.durations import Duration

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
_HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def parse_working_hours(text: str) -> tuple[time, time]:
    """Parse `09:00-17:00` into (opens, closes); raise ValueError with the reason otherwise."""
    found = _HOURS.fullmatch(text.strip())
    if not found:
        raise ValueError(f"`{text}` is not a range of working hours: write it like 09:00-17:00")
    try:
        opens = time(int(found[1]), int(found[2]))
        closes = time(int(found[3]), int(found[4]))
    except ValueError:
        raise ValueError(f"`{text}` has a time of day that does not exist: use 00:00 to 23:59") from None
    if opens >= closes:
        raise ValueError(f"`{text}` must open before it closes (ranges across midnight are not supported)")
    return opens, closes


class WorkingCalendar:
    """Working weekdays and hours in one IANA timezone, minus holidays."""

    def __init__(
        self,
        *,
        timezone: str,
        opens: time = time(9),
        closes: time = time(17),
        weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
        holidays: Iterable[date] = (),
    ) -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone `{timezone}`: use an IANA name such as Europe/Berlin"
            ) from None
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening hours are local times of day: give them without a timezone")
        if opens >= closes:
            raise ValueError(f"working hours must open before they close, not {opens:%H:%M}-{closes:%H:%M}")
        self.weekdays = frozenset(weekdays)
        if not self.weekdays:
            raise ValueError("a calendar needs at least one working weekday")
        if not self.weekdays <= set(range(7)):
            raise ValueError("weekdays are numbered 0 (Monday) to 6 (Sunday)")
        self.timezone = timezone
        self.opens = opens
        self.closes = closes
        self.holidays = frozenset(holidays)

    def __repr__(self) -> str:
        days = ",".join(str(day) for day in sorted(self.weekdays))
        return (
            f"WorkingCalendar({self.timezone}, {self.opens:%H:%M}-{self.closes:%H:%M}, "
            f"weekdays={days}, holidays={len(self.holidays)})"
        )

    def is_working_day(self, day: date) -> bool:
        """Whether `day` (a local date) is a working weekday and not a holiday."""
        return day.weekday() in self.weekdays and day not in self.holidays

    def is_working_time(self, moment: datetime) -> bool:
        """Whether `moment` falls in working hours (opening time included, closing time excluded)."""
        local = self._local(moment)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_working_time(self, moment: datetime) -> datetime:
        """`moment` itself if it is working time, otherwise the next opening, in UTC."""
        local = self._local(moment)
        if self.is_working_time(moment):
            return local.astimezone(UTC)
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self.opens):
            day = self._next_working_day(day)
        return self._at(day, self.opens)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """`start` plus `duration`, in UTC.

        Wall-clock durations add elapsed time and ignore the calendar. Business days count working days and
        keep the local time of day:

        - from inside working hours, `n bd` ends on the n-th following working day at the same local time
          (Friday 15:00 + 1bd = Monday 15:00; with Monday a holiday, Tuesday 15:00);
        - from outside working hours (before opening, after closing, a weekend or a holiday) the count
          starts at the next opening: Friday 20:00 + 1bd = Tuesday 09:00 and Tuesday 07:00 + 1bd =
          Wednesday 09:00, so a business-day deadline always lands inside working hours;
        - across a daylight-saving change the local time is kept, so that day is 23 or 25 hours long; a
          local time that does not exist on the end date (the spring-forward gap) moves forward by the
          gap's length, and an ambiguous one (the fall-back hour) means its first occurrence.
        """
        if not duration.is_business_days:
            return self._local(start).astimezone(UTC) + duration.as_timedelta()
        clock_starts = self._local(self.next_working_time(start))
        day = clock_starts.date()
        for _ in range(duration.amount):
            day = self._next_working_day(day)
        return self._at(day, clock_starts.time())

    def _next_working_day(self, day: date) -> date:
        # Terminates: at least one weekday works and the holidays are finite.
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, time_of_day: time) -> datetime:
        # fold=0: zoneinfo then reads a gap time with the offset before the change (so it lands later in
        # real time) and an ambiguous time as its first occurrence.
        return datetime.combine(day, time_of_day, tzinfo=self.zone).astimezone(UTC)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no timezone: pass a timezone-aware (UTC) datetime")
        return moment.astimezone(self.zone)


_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_weekdays(text: str) -> frozenset[int]:
    """`mon-fri`, `sun-thu` or `mon,tue,thu` → weekday numbers (Monday is 0); ValueError otherwise."""
    days: set[int] = set()
    for part in (piece.strip().lower() for piece in text.split(",") if piece.strip()):
        first, dash, last = part.partition("-")
        if first[:3] not in _DAYS or (dash and last[:3] not in _DAYS):
            raise ValueError(f"`{text}` is not a list of weekdays: write mon-fri or mon,tue,wed")
        start = _DAYS[first[:3]]
        end = _DAYS[last[:3]] if dash else start
        day = start
        while True:
            days.add(day)
            if day == end:
                break
            day = (day + 1) % 7
    if not days:
        raise ValueError("name at least one working day, like mon-fri")
    return frozenset(days)


def calendar_from_settings(*, days: str, hours: str, timezone: str, holidays: str) -> WorkingCalendar:
    """The working calendar of SWARMBOT_WORKING_DAYS, _WORKING_HOURS, SWARMBOT_TIMEZONE and _HOLIDAYS."""
    opens, closes = parse_working_hours(hours)
    dates = [date.fromisoformat(day.strip()) for day in holidays.split(",") if day.strip()]
    return WorkingCalendar(
        timezone=timezone, opens=opens, closes=closes, weekdays=parse_weekdays(days), holidays=dates
    )
