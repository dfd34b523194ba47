from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import parse_duration
from bot.working_calendar import WorkingCalendar, parse_working_hours

BERLIN = ZoneInfo("Europe/Berlin")
EASTER_2026 = {date(2026, 4, 3), date(2026, 4, 6)}  # Good Friday and Easter Monday


def berlin(year, month, day, hour, minute=0):
    """A Berlin local time as the UTC datetime the calendar takes and returns."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def office():
    return WorkingCalendar(timezone="Europe/Berlin", opens=time(9), closes=time(17), holidays=EASTER_2026)


def test_a_business_day_from_friday_afternoon_ends_monday_at_the_same_time(office):
    assert office.add(berlin(2026, 3, 13, 15), parse_duration("1bd")) == berlin(2026, 3, 16, 15)


def test_business_days_skip_holidays(office):
    # Thursday before Easter: Good Friday, the weekend and Easter Monday do not count.
    assert office.add(berlin(2026, 4, 2, 15), parse_duration("1bd")) == berlin(2026, 4, 7, 15)
    assert office.add(berlin(2026, 4, 2, 15), parse_duration("2bd")) == berlin(2026, 4, 8, 15)


def test_business_days_keep_the_local_time_across_a_daylight_saving_change(office):
    # Europe moved to summer time on Sunday 29 March 2026: 15:00 CET is 14:00 UTC, 15:00 CEST is 13:00 UTC.
    start = berlin(2026, 3, 27, 15)
    end = office.add(start, parse_duration("1bd"))
    assert end == datetime(2026, 3, 30, 13, tzinfo=UTC)
    assert end - start == timedelta(hours=71)


def test_business_days_keep_the_local_time_when_clocks_fall_back(office):
    end = office.add(berlin(2026, 10, 23, 10), parse_duration("1bd"))
    assert end == datetime(2026, 10, 26, 9, tzinfo=UTC)  # 10:00 CET, after 10:00 CEST on Friday


def test_wall_clock_days_are_elapsed_hours_even_across_a_daylight_saving_change(office):
    start = berlin(2026, 3, 28, 12)
    end = office.add(start, parse_duration("1d"))
    assert end - start == timedelta(hours=24)
    assert end.astimezone(BERLIN).hour == 13


def test_wall_clock_durations_ignore_working_hours_and_weekends(office):
    saturday_night = berlin(2026, 3, 14, 23)
    assert office.add(saturday_night, parse_duration("30m")) == saturday_night + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (berlin(2026, 3, 13, 20), berlin(2026, 3, 17, 9), "Friday evening: the clock starts Monday 09:00"),
        (
            berlin(2026, 3, 17, 7),
            berlin(2026, 3, 18, 9),
            "before opening: the clock starts at 09:00 that day",
        ),
        (berlin(2026, 3, 17, 17), berlin(2026, 3, 19, 9), "closing time is already outside working hours"),
        (berlin(2026, 3, 14, 11), berlin(2026, 3, 17, 9), "Saturday: the clock starts Monday 09:00"),
        (berlin(2026, 4, 6, 11), berlin(2026, 4, 8, 9), "a holiday: the clock starts the next working day"),
    ],
)
def test_business_days_from_outside_working_hours_count_from_the_next_opening(office, start, end, why):
    assert office.add(start, parse_duration("1bd")) == end, why


def test_results_are_utc_whatever_timezone_the_start_was_given_in(office):
    start = datetime(2026, 3, 13, 10, tzinfo=ZoneInfo("America/New_York"))  # 15:00 in Berlin
    end = office.add(start, parse_duration("1bd"))
    assert end.tzinfo is UTC
    assert end == berlin(2026, 3, 16, 15)


def test_a_naive_datetime_is_refused(office):
    with pytest.raises(ValueError, match="has no timezone"):
        office.add(datetime(2026, 3, 13, 10), parse_duration("1bd"))
    with pytest.raises(ValueError, match="has no timezone"):
        office.is_working_time(datetime(2026, 3, 13, 10))


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (berlin(2026, 3, 16, 9), True),
        (berlin(2026, 3, 16, 16, 59), True),
        (berlin(2026, 3, 16, 17), False),
        (berlin(2026, 3, 16, 8, 59), False),
        (berlin(2026, 3, 14, 12), False),
        (berlin(2026, 4, 6, 12), False),
    ],
)
def test_working_time_includes_opening_and_excludes_closing_weekends_and_holidays(office, moment, working):
    assert office.is_working_time(moment) is working


def test_next_working_time_is_the_moment_itself_during_working_hours(office):
    assert office.next_working_time(berlin(2026, 3, 16, 11)) == berlin(2026, 3, 16, 11)
    assert office.next_working_time(berlin(2026, 4, 2, 18)) == berlin(2026, 4, 7, 9)


def test_a_local_time_missing_on_the_end_day_moves_forward_by_the_spring_gap():
    always_open = WorkingCalendar(
        timezone="Europe/Berlin", opens=time(0), closes=time(23, 59), weekdays=range(7)
    )
    end = always_open.add(berlin(2026, 3, 28, 2, 30), parse_duration("1bd"))
    assert end.astimezone(BERLIN).time() == time(3, 30)  # 02:30 did not exist on 29 March


def test_an_ambiguous_local_time_on_the_end_day_means_its_first_occurrence():
    always_open = WorkingCalendar(
        timezone="Europe/Berlin", opens=time(0), closes=time(23, 59), weekdays=range(7)
    )
    end = always_open.add(berlin(2026, 10, 24, 2, 30), parse_duration("1bd"))
    assert end == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, before the clocks fell back


def test_weekdays_can_be_any_working_week():
    sunday_to_thursday = WorkingCalendar(timezone="Asia/Dubai", weekdays={6, 0, 1, 2, 3})
    thursday = datetime(2026, 3, 12, 10, tzinfo=ZoneInfo("Asia/Dubai"))
    end = sunday_to_thursday.add(thursday, parse_duration("1bd"))
    assert end.astimezone(ZoneInfo("Asia/Dubai")) == datetime(2026, 3, 15, 10, tzinfo=ZoneInfo("Asia/Dubai"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone `Mars/Olympus`"),
        ({"timezone": "UTC", "opens": time(17), "closes": time(9)}, "must open before they close"),
        ({"timezone": "UTC", "weekdays": []}, "at least one working weekday"),
        ({"timezone": "UTC", "weekdays": [7]}, "numbered 0 (Monday) to 6 (Sunday)"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused_with_the_reason(settings, message):
    with pytest.raises(ValueError) as caught:
        WorkingCalendar(**settings)
    assert message in str(caught.value)


def test_working_hours_parse_from_the_experts_file_form():
    assert parse_working_hours("09:00-18:00") == (time(9), time(18))
    with pytest.raises(ValueError, match="must open before it closes"):
        parse_working_hours("22:00-06:00")
    with pytest.raises(ValueError, match="like 09:00-17:00"):
        parse_working_hours("9 to 5")
    with pytest.raises(ValueError, match="does not exist"):
        parse_working_hours("09:00-25:00")


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=15),
)
def test_business_days_always_end_in_working_time_at_least_that_many_days_later(start, days):
    office = WorkingCalendar(timezone="Europe/Berlin", holidays=EASTER_2026)
    end = office.add(start, parse_duration(f"{days}bd"))
    assert office.is_working_time(end)
    assert end >= start + timedelta(days=days) - timedelta(hours=1)  # a spring-forward day lasts 23 hours
