"""Working hours and whether someone is on shift, read in the person's own IANA timezone.

Hours are one daily window `"HH:MM-HH:MM"`: `"09:00-18:00"`, overnight `"22:00-06:00"` (a shift that started
at 22:00 yesterday is still on at 02:00 today), or all day `"00:00-24:00"`. The start is inclusive and the
end exclusive; an end of 00:00 is read as 24:00, midnight at the end of the day. The experts file has no
working days, so every day of the week counts.

Everything is judged on the local wall clock, so DST needs no special case: a 09:00-18:00 person in
Europe/Berlin starts at 07:00 UTC in summer and 08:00 UTC in winter. On the night the clocks go forward a
shift that spans the missing hour is an hour shorter; when they go back, an hour longer. A shift whose start
falls in the missing hour begins the moment the clocks jump past it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MINUTES_PER_DAY = 24 * 60
ALL_DAY = "00:00-24:00"
HOURS_EXAMPLE = '"09:00-18:00", overnight "22:00-06:00", or all day "00:00-24:00"'

_HOURS = re.compile(r"([0-9]{2}):([0-9]{2})\s*[-–]\s*([0-9]{2}):([0-9]{2})")


class InvalidHours(ValueError):
    """Working hours that do not read as `HH:MM-HH:MM`; the message says why in plain words."""


class UnknownTimezone(ValueError):
    """A timezone name that is not in the IANA database."""


@dataclass(frozen=True)
class WorkingHours:
    """One daily window of work in minutes after local midnight; `end` is exclusive, up to 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise InvalidHours(f"{self.start}-{self.end} is not a window inside one day")
        if self.start == self.end:
            raise InvalidHours("start and end are the same")

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """Read `"09:00-18:00"`; raise InvalidHours saying what is wrong."""
        match = _HOURS.fullmatch(text.strip())
        if match is None:
            raise InvalidHours(f"{text!r} is not working hours; write them like {HOURS_EXAMPLE}")
        start = _minutes(match.group(1), match.group(2), text, may_be_midnight_end=False)
        end = _minutes(match.group(3), match.group(4), text, may_be_midnight_end=True)
        if start == end:
            raise InvalidHours(
                f"{text!r} starts and ends at the same time; for someone who is always on, write {ALL_DAY!r}"
            )
        return cls(start=start, end=end or MINUTES_PER_DAY)

    @property
    def all_day(self) -> bool:
        """True for `00:00-24:00`: always on shift."""
        return self.start == 0 and self.end == MINUTES_PER_DAY

    @property
    def overnight(self) -> bool:
        """True when the window crosses local midnight, like `22:00-06:00`."""
        return self.end < self.start

    @property
    def starts_at(self) -> time:
        """The local wall-clock time the shift starts."""
        return time(self.start // 60, self.start % 60)

    def covers(self, local: time) -> bool:
        """Whether a local wall-clock time falls inside the window."""
        minute = local.hour * 60 + local.minute
        if self.overnight:
            return minute >= self.start or minute < self.end
        return self.start <= minute < self.end

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _minutes(hours: str, minutes: str, text: str, *, may_be_midnight_end: bool) -> int:
    hour, minute = int(hours), int(minutes)
    if minute >= 60:
        raise InvalidHours(f"{text!r} has {hours}:{minutes}, but minutes go from 00 to 59")
    if hour > 24 or (hour == 24 and minute != 0):
        raise InvalidHours(f"{text!r} has {hours}:{minutes}, but the day ends at 24:00")
    if hour == 24 and not may_be_midnight_end:
        raise InvalidHours(f"{text!r} starts at 24:00; start at 00:00 instead")
    return hour * 60 + minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=512)
def load_timezone(name: str) -> ZoneInfo:
    """The IANA timezone called `name` (e.g. `Europe/Berlin`); raise UnknownTimezone if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimezone(_unknown_timezone_message(name)) from error


def _unknown_timezone_message(name: str) -> str:
    known = {zone.lower(): zone for zone in available_timezones()}
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.8)
    hint = f"; did you mean {known[close[0]]!r}?" if close else "; use an IANA name like 'Europe/Berlin'"
    return f"unknown timezone {name!r}{hint}"


def on_shift(hours: WorkingHours, timezone: str, moment: datetime) -> bool:
    """Whether `moment` (timezone-aware) falls inside the working hours on the person's own wall clock."""
    if hours.all_day:
        return True
    local = _aware(moment).astimezone(load_timezone(timezone))
    return hours.covers(local.time())


def next_shift_start(hours: WorkingHours, timezone: str, moment: datetime) -> datetime | None:
    """The first shift start strictly after `moment`, in UTC; None for all-day hours (never off shift)."""
    if hours.all_day:
        return None
    zone = load_timezone(timezone)
    moment = _aware(moment)
    today = moment.astimezone(zone).date()
    # Today's start if it is still ahead, else tomorrow's; the day after only when a DST jump swallows
    # tomorrow's whole shift (a start and end both inside the skipped hour).
    for offset in range(3):
        start = _shift_start_on(today + timedelta(days=offset), hours, zone)
        if start is not None and start > moment:
            return start
    raise AssertionError("a daily shift always starts within three days")  # pragma: no cover


def _shift_start_on(day: date, hours: WorkingHours, zone: ZoneInfo) -> datetime | None:
    """The UTC instant the shift begins on `day`; None if the clocks skip over the whole shift."""
    wall = datetime.combine(day, hours.starts_at, tzinfo=zone)
    start = wall.astimezone(UTC)  # fold=0: the first of two identical wall times when the clocks go back
    if start.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return start
    # The start lies in the hour the clocks skip, so the shift begins at the jump itself: if it is on then
    # and was not already on just before (an overnight shift whose short break the jump swallowed).
    jump = _jump_between(wall.replace(fold=1).astimezone(UTC), start, zone)
    begins = hours.covers(jump.astimezone(zone).time())
    already_on = hours.covers((jump - timedelta(seconds=1)).astimezone(zone).time())
    return jump if begins and not already_on else None


def _jump_between(earlier: datetime, later: datetime, zone: ZoneInfo) -> datetime:
    """The instant the UTC offset changes, between a moment before the jump and one after it."""
    after = later.astimezone(zone).utcoffset()
    low, high = int(earlier.timestamp()), int(later.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moments must be timezone-aware (UTC)")
    return moment
