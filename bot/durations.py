"""Durations as playbooks write them: `90s`, `30m`, `2h`, `1d` (wall-clock) and `2bd` (business days).

A wall-clock duration is elapsed time: `1d` is 24 hours, even across a daylight-saving change. A business-day
duration has no fixed length; only a WorkingCalendar (bot/working_calendar.py) can place it in time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum


class InvalidDuration(ValueError):
    """Text that is not `<whole number><unit>`; the message says how to fix it."""


class DurationUnit(Enum):
    """The units a duration may use, by their suffix."""

    SECONDS = "s"
    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"
    BUSINESS_DAYS = "bd"


_UNIT_SECONDS = {
    DurationUnit.SECONDS: 1,
    DurationUnit.MINUTES: 60,
    DurationUnit.HOURS: 3600,
    DurationUnit.DAYS: 86400,
}
_SMALLER_UNIT = {
    DurationUnit.MINUTES: DurationUnit.SECONDS,
    DurationUnit.HOURS: DurationUnit.MINUTES,
    DurationUnit.DAYS: DurationUnit.HOURS,
}
_SUFFIXES = {unit.value: unit for unit in DurationUnit}
# Longer than any reminder, SLA or escalation window makes sense, and far below timedelta's limits.
MAX_DAYS = 365
UNITS_HELP = "s (seconds), m (minutes), h (hours), d (days) or bd (business days)"
_HELP = f"units are {UNITS_HELP}"

_SIMPLE = re.compile(r"(?P<amount>\d+)(?P<unit>[a-z]+)")
_FRACTION = re.compile(r"(?P<amount>\d*\.\d+|\d+\.\d*)(?P<unit>[a-z]+)")
_COMPOUND = re.compile(r"(?:\d+[smhd])+")
_COMPOUND_PART = re.compile(r"(\d+)([smhd])")


@dataclass(frozen=True)
class Duration:
    """A positive whole number of one unit, wall-clock (`30m`) or business days (`2bd`)."""

    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidDuration(f"a duration must be longer than zero, not {self}")
        if self.amount * _UNIT_SECONDS.get(self.unit, 86400) > MAX_DAYS * 86400:
            raise InvalidDuration(f"`{self}` is too long: a duration may be at most {MAX_DAYS} days")

    @property
    def is_business_days(self) -> bool:
        """Whether this counts working days on a calendar rather than elapsed time."""
        return self.unit is DurationUnit.BUSINESS_DAYS

    def as_timedelta(self) -> timedelta:
        """The elapsed time of a wall-clock duration; business days need a WorkingCalendar instead."""
        if self.is_business_days:
            raise ValueError(f"`{self}` counts business days: add it with a WorkingCalendar")
        return timedelta(seconds=self.amount * _UNIT_SECONDS[self.unit])

    def is_always_longer_than(self, other: Duration) -> bool:
        """Whether this ends after `other` from any start, whatever the calendar."""
        if self.is_business_days and other.is_business_days:
            return self.amount > other.amount
        if other.is_business_days:
            # A business day may span a long weekend or holidays, so no wall-clock span surely outlasts it.
            return False
        # `n bd` ends at least n calendar days later (same local time on a later working day).
        mine = timedelta(days=self.amount) if self.is_business_days else self.as_timedelta()
        return mine > other.as_timedelta()

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


def parse_duration(text: str) -> Duration:
    """Parse `90s`, `30m`, `2h`, `1d` or `2bd`; raise InvalidDuration with a fix-it message otherwise."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidDuration(
            f"a duration cannot be empty: write a whole number and a unit, e.g. 30m; {_HELP}"
        )
    simple = _SIMPLE.fullmatch(cleaned)
    if simple:
        unit = _SUFFIXES.get(simple["unit"])
        if unit is None:
            raise InvalidDuration(f"`{cleaned}` has an unknown unit `{simple['unit']}`: {_HELP}")
        return Duration(int(simple["amount"]), unit)
    raise InvalidDuration(_explain(cleaned))


def _explain(text: str) -> str:
    """The most helpful reason `text` is not a duration."""
    if text.isdigit():
        return f"`{text}` needs a unit, e.g. {text}m; {_HELP}"
    if text.startswith("-"):
        return f"`{text}` is negative: a duration must be longer than zero"
    if text != text.lower() and _SIMPLE.fullmatch(text.lower()):
        return f"write units in lower case: `{text.lower()}`, not `{text}`"
    if " " in text and _SIMPLE.fullmatch(text.replace(" ", "")):
        return f"write `{text.replace(' ', '')}` without spaces"
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        hint = _whole_number_hint(float(fraction["amount"]), fraction["unit"])
        return f"`{text}` is not a whole number: {hint}"
    if _COMPOUND.fullmatch(text):
        return f"`{text}` mixes units: use one, e.g. {_single_unit(text)}"
    return f"`{text}` is not a duration: write a whole number and a unit, e.g. 30m or 2bd; {_HELP}"


def _whole_number_hint(amount: float, suffix: str) -> str:
    unit = _SUFFIXES.get(suffix)
    smaller = _SMALLER_UNIT.get(unit) if unit else None
    if unit and smaller:
        converted = amount * _UNIT_SECONDS[unit] / _UNIT_SECONDS[smaller]
        if converted.is_integer() and converted > 0:
            return f"write {int(converted)}{smaller.value}"
    return "use a whole number of a smaller unit, e.g. 90m rather than 1.5h"


def _single_unit(text: str) -> str:
    seconds = sum(
        int(amount) * _UNIT_SECONDS[_SUFFIXES[suffix]] for amount, suffix in _COMPOUND_PART.findall(text)
    )
    for unit in (DurationUnit.DAYS, DurationUnit.HOURS, DurationUnit.MINUTES):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit.value}"
    return f"{seconds}s"
