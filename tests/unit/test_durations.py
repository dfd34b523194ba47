from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import Duration, DurationUnit, InvalidDuration, parse_duration


@pytest.mark.parametrize(
    ("text", "amount", "unit", "elapsed"),
    [
        ("90s", 90, DurationUnit.SECONDS, timedelta(seconds=90)),
        ("30m", 30, DurationUnit.MINUTES, timedelta(minutes=30)),
        ("2h", 2, DurationUnit.HOURS, timedelta(hours=2)),
        ("1d", 1, DurationUnit.DAYS, timedelta(days=1)),
        (" 45m ", 45, DurationUnit.MINUTES, timedelta(minutes=45)),
    ],
)
def test_wall_clock_durations_parse_to_elapsed_time(text, amount, unit, elapsed):
    duration = parse_duration(text)
    assert duration == Duration(amount, unit)
    assert not duration.is_business_days
    assert duration.as_timedelta() == elapsed


def test_business_days_parse_and_know_they_need_a_calendar():
    duration = parse_duration("2bd")
    assert duration == Duration(2, DurationUnit.BUSINESS_DAYS)
    assert duration.is_business_days
    with pytest.raises(ValueError, match="WorkingCalendar"):
        duration.as_timedelta()


@pytest.mark.parametrize("text", ["90s", "30m", "2h", "1d", "2bd", "365d"])
def test_a_duration_prints_as_it_is_written(text):
    assert str(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a duration cannot be empty: write a whole number and a unit, e.g. 30m"),
        ("30", "`30` needs a unit, e.g. 30m"),
        ("30min", "`30min` has an unknown unit `min`"),
        ("1.5h", "`1.5h` is not a whole number: write 90m"),
        ("0.3m", "`0.3m` is not a whole number: write 18s"),
        ("1.33h", "`1.33h` is not a whole number: use a whole number of a smaller unit"),
        ("1h30m", "`1h30m` mixes units: use one, e.g. 90m"),
        ("1d12h", "`1d12h` mixes units: use one, e.g. 36h"),
        ("-5m", "`-5m` is negative: a duration must be longer than zero"),
        ("0m", "a duration must be longer than zero, not 0m"),
        ("30M", "write units in lower case: `30m`, not `30M`"),
        ("30 m", "write `30m` without spaces"),
        ("soon", "`soon` is not a duration: write a whole number and a unit, e.g. 30m or 2bd"),
        ("366d", "`366d` is too long: a duration may be at most 365 days"),
        ("9000h", "`9000h` is too long"),
    ],
)
def test_bad_durations_are_rejected_with_a_reason_that_says_how_to_fix_them(text, message):
    with pytest.raises(InvalidDuration) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(message)


def test_invalid_duration_is_a_value_error_so_pydantic_reports_it_as_one():
    assert issubclass(InvalidDuration, ValueError)


@pytest.mark.parametrize(
    ("later", "earlier", "always_longer"),
    [
        ("2h", "30m", True),
        ("30m", "30m", False),
        ("3bd", "2bd", True),
        ("1bd", "23h", True),  # a business day ends at least a calendar day later
        ("1bd", "1d", False),
        ("48h", "1bd", False),  # a long weekend or holidays can stretch one business day past any time
    ],
)
def test_durations_compare_only_when_the_order_holds_on_any_calendar(later, earlier, always_longer):
    assert parse_duration(later).is_always_longer_than(parse_duration(earlier)) is always_longer


@given(st.integers(min_value=1, max_value=365), st.sampled_from(["d", "bd"]))
def test_every_whole_number_of_days_round_trips(amount, suffix):
    assert str(parse_duration(f"{amount}{suffix}")) == f"{amount}{suffix}"
