"""The scheduling rules: frequencies, pauses, cover, time zones."""

from datetime import UTC, date, datetime

import pytest

from outreach.visits.models import VisitPause, VisitPlan
from outreach.visits.schedule import is_due, local_date, local_day_bounds

MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, d) for d in range(2, 9))


def plan(frequency, weekdays="", starts_on=date(2026, 3, 2), ends_on=None):
    return VisitPlan(frequency=frequency, weekdays=weekdays, starts_on=starts_on, ends_on=ends_on)


def test_daily_follows_the_round_days():
    p = plan("daily")
    assert [is_due(p, d, [1, 2, 3, 4, 5]) for d in (MON, FRI, SAT, SUN)] == [
        True, True, False, False]
    assert is_due(p, SUN, None)


def test_chosen_weekdays():
    p = plan("weekdays", "1,3,5")
    assert [is_due(p, d, [1, 2, 3, 4, 5]) for d in (MON, TUE, WED, THU, FRI)] == [
        True, False, True, False, True]


def test_weekly_and_fortnightly():
    weekly = plan("weekly", "3")
    fortnightly = plan("fortnightly", "3")
    weds = [date(2026, 3, 4), date(2026, 3, 11), date(2026, 3, 18), date(2026, 3, 25)]
    assert [is_due(weekly, d, None) for d in weds] == [True] * 4
    assert [is_due(fortnightly, d, None) for d in weds] == [True, False, True, False]
    assert not is_due(weekly, THU, None)


def test_fortnightly_across_a_month_end_and_a_year_end():
    p = plan("fortnightly", "5", starts_on=date(2026, 12, 18))
    assert is_due(p, date(2026, 12, 18), None)
    assert not is_due(p, date(2026, 12, 25), None)
    assert is_due(p, date(2027, 1, 1), None)
    assert is_due(p, date(2027, 1, 29), None)


def test_start_end_and_pauses():
    p = plan("daily", starts_on=TUE, ends_on=THU)
    assert [is_due(p, d, None) for d in (MON, TUE, THU, FRI)] == [False, True, True, False]
    hospital = [VisitPause(starts_on=WED, ends_on=WED)]
    assert not is_due(p, WED, None, hospital)
    assert is_due(p, THU, None, hospital)


@pytest.mark.parametrize(("moment", "expected"), [
    # 23:30 UTC on 31 March 2026 is already 1 April in Jersey (BST).
    (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), date(2026, 4, 1)),
    # 23:30 UTC in January is still the same day (GMT).
    (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), date(2026, 1, 15)),
])
def test_local_dates_follow_the_programme_time_zone(moment, expected):
    assert local_date(moment, "Europe/Jersey") == expected


def test_days_are_23_and_25_hours_long_at_the_clock_changes():
    start, end = local_day_bounds(date(2026, 3, 29), "Europe/Jersey")
    assert (end - start).total_seconds() == 23 * 3600
    start, end = local_day_bounds(date(2026, 10, 25), "Europe/Jersey")
    assert (end - start).total_seconds() == 25 * 3600
