from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.shifts import InvalidHours, UnknownTimezone, WorkingHours, load_timezone, next_shift_start, on_shift

BERLIN = "Europe/Berlin"
NINE_TO_SIX = WorkingHours.parse("09:00-18:00")
OVERNIGHT = WorkingHours.parse("22:00-06:00")
ALL_DAY = WorkingHours.parse("00:00-24:00")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_day_hours_parse_into_minutes_after_midnight():
    assert WorkingHours.parse("09:00-18:00") == WorkingHours(start=540, end=1080)
    assert not NINE_TO_SIX.overnight and not NINE_TO_SIX.all_day


def test_overnight_and_all_day_forms_are_recognised():
    assert OVERNIGHT.overnight
    assert ALL_DAY.all_day and not ALL_DAY.overnight


def test_spaces_around_the_dash_are_tolerated_and_printing_is_canonical():
    assert str(WorkingHours.parse(" 09:30 - 17:45 ")) == "09:30-17:45"


def test_an_end_of_midnight_reads_as_the_end_of_the_day():
    assert WorkingHours.parse("22:00-00:00") == WorkingHours.parse("22:00-24:00")
    assert on_shift(WorkingHours.parse("22:00-00:00"), "UTC", utc(2026, 6, 1, 23, 59))
    assert not on_shift(WorkingHours.parse("22:00-00:00"), "UTC", utc(2026, 6, 1, 0, 0))


def test_non_ascii_digits_are_not_hours():
    with pytest.raises(InvalidHours):
        WorkingHours.parse("٠٩:٠٠-١٨:٠٠")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9-17", "write them like"),
        ("9:00-18:00", "write them like"),
        ("09:00", "write them like"),
        ("09:00-18:00-20:00", "write them like"),
        ("", "write them like"),
        ("09:60-18:00", "minutes go from 00 to 59"),
        ("25:00-06:00", "the day ends at 24:00"),
        ("09:00-24:30", "the day ends at 24:00"),
        ("24:00-06:00", "start at 00:00 instead"),
        ("09:00-09:00", "same time"),
        ("00:00-00:00", "00:00-24:00"),
    ],
)
def test_malformed_hours_are_rejected_with_a_reason(text: str, reason: str):
    with pytest.raises(InvalidHours, match=reason):
        WorkingHours.parse(text)


@given(st.integers(0, 1439), st.integers(0, 1440))
def test_any_valid_hours_string_round_trips(start: int, end: int):
    text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    if start == end:
        with pytest.raises(InvalidHours):
            WorkingHours.parse(text)
    elif end == 0:
        assert str(WorkingHours.parse(text)) == text.replace("-00:00", "-24:00")
    else:
        assert str(WorkingHours.parse(text)) == text


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from([BERLIN, "America/New_York", "Asia/Kolkata"]))
def test_all_day_hours_are_always_on_shift(moment: datetime, timezone: str):
    assert on_shift(ALL_DAY, timezone, moment)
    assert next_shift_start(ALL_DAY, timezone, moment) is None


def test_shift_start_is_inclusive_and_end_exclusive():
    assert on_shift(NINE_TO_SIX, "UTC", utc(2026, 6, 1, 9, 0))
    assert on_shift(NINE_TO_SIX, "UTC", utc(2026, 6, 1, 17, 59, 59))
    assert not on_shift(NINE_TO_SIX, "UTC", utc(2026, 6, 1, 18, 0))
    assert not on_shift(NINE_TO_SIX, "UTC", utc(2026, 6, 1, 8, 59, 59))


def test_hours_are_read_on_the_persons_own_wall_clock():
    moment = utc(2026, 6, 1, 14, 0)  # 16:00 in Berlin, 10:00 in New York, 23:00 in Tokyo
    assert on_shift(NINE_TO_SIX, BERLIN, moment)
    assert on_shift(NINE_TO_SIX, "America/New_York", moment)
    assert not on_shift(NINE_TO_SIX, "Asia/Tokyo", moment)


def test_overnight_shift_started_yesterday_is_still_on_at_two_in_the_morning():
    assert on_shift(OVERNIGHT, BERLIN, utc(2026, 6, 2, 0, 0))  # 02:00 CEST
    assert on_shift(OVERNIGHT, BERLIN, utc(2026, 6, 1, 20, 0))  # 22:00 CEST
    assert not on_shift(OVERNIGHT, BERLIN, utc(2026, 6, 2, 4, 0))  # 06:00 CEST
    assert not on_shift(OVERNIGHT, BERLIN, utc(2026, 6, 1, 12, 0))


def test_berlin_nine_to_six_follows_the_march_change_to_summer_time():
    # 2026-03-29 is the last Sunday of March: Berlin moves from UTC+1 to UTC+2 at 01:00 UTC.
    assert not on_shift(NINE_TO_SIX, BERLIN, utc(2026, 3, 28, 7, 30))  # 08:30 CET
    assert on_shift(NINE_TO_SIX, BERLIN, utc(2026, 3, 28, 8, 0))  # 09:00 CET
    assert on_shift(NINE_TO_SIX, BERLIN, utc(2026, 3, 29, 7, 0))  # 09:00 CEST
    assert not on_shift(NINE_TO_SIX, BERLIN, utc(2026, 3, 29, 16, 0))  # 18:00 CEST


def test_berlin_nine_to_six_follows_the_october_change_back_to_winter_time():
    # 2026-10-25 is the last Sunday of October: Berlin moves back from UTC+2 to UTC+1 at 01:00 UTC.
    assert on_shift(NINE_TO_SIX, BERLIN, utc(2026, 10, 24, 7, 0))  # 09:00 CEST
    assert not on_shift(NINE_TO_SIX, BERLIN, utc(2026, 10, 25, 7, 0))  # 08:00 CET
    assert on_shift(NINE_TO_SIX, BERLIN, utc(2026, 10, 25, 16, 30))  # 17:30 CET


def test_overnight_shift_is_an_hour_shorter_on_the_spring_night_and_longer_in_autumn():
    def minutes_on(start: datetime) -> int:
        return sum(on_shift(OVERNIGHT, BERLIN, start + timedelta(minutes=m)) for m in range(24 * 60))

    assert minutes_on(utc(2026, 3, 28, 12, 0)) == 7 * 60
    assert minutes_on(utc(2026, 10, 24, 12, 0)) == 9 * 60
    assert minutes_on(utc(2026, 6, 1, 12, 0)) == 8 * 60


def test_next_shift_start_is_later_today_when_the_shift_has_not_begun():
    start = next_shift_start(NINE_TO_SIX, BERLIN, utc(2026, 6, 1, 5, 0))
    assert start == utc(2026, 6, 1, 7, 0)
    assert start is not None and f"{start.astimezone(load_timezone(BERLIN)):%H:%M}" == "09:00"


def test_next_shift_start_is_tomorrow_once_todays_shift_has_begun():
    assert next_shift_start(NINE_TO_SIX, BERLIN, utc(2026, 6, 1, 17, 0)) == utc(2026, 6, 2, 7, 0)
    assert next_shift_start(NINE_TO_SIX, BERLIN, utc(2026, 6, 1, 7, 0)) == utc(2026, 6, 2, 7, 0)


def test_next_shift_start_crosses_the_dst_change_at_the_local_time():
    assert next_shift_start(NINE_TO_SIX, BERLIN, utc(2026, 3, 28, 17, 0)) == utc(2026, 3, 29, 7, 0)
    assert next_shift_start(NINE_TO_SIX, BERLIN, utc(2026, 10, 24, 17, 0)) == utc(2026, 10, 25, 8, 0)


def test_shift_starting_in_the_skipped_hour_begins_when_the_clocks_jump():
    hours = WorkingHours.parse("02:30-10:00")
    start = next_shift_start(hours, BERLIN, utc(2026, 3, 28, 12, 0))
    assert start == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first wall time at or after 02:30
    assert on_shift(hours, BERLIN, start)
    assert not on_shift(hours, BERLIN, start - timedelta(seconds=1))


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(
        ["09:00-18:00", "22:00-06:00", "02:30-03:15", "02:10-02:50", "00:00-12:00", "13:00-24:00"]
    ),
    st.sampled_from([BERLIN, "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_the_next_shift_start_is_the_first_on_shift_moment_after_being_off(
    moment: datetime, text: str, timezone: str
):
    hours = WorkingHours.parse(text)
    start = next_shift_start(hours, timezone, moment)
    assert start is not None and start > moment
    assert on_shift(hours, timezone, start)
    assert not on_shift(hours, timezone, start - timedelta(seconds=1))


def test_a_shift_wholly_inside_the_skipped_hour_does_not_happen_that_night():
    hours = WorkingHours.parse("02:10-02:50")
    assert next_shift_start(hours, BERLIN, utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 0, 10)  # 02:10 CEST


def test_unknown_timezone_suggests_the_closest_name():
    with pytest.raises(UnknownTimezone, match="did you mean 'Europe/Berlin'"):
        load_timezone("europe/berlin")


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        on_shift(NINE_TO_SIX, BERLIN, datetime(2026, 6, 1, 12, 0))
