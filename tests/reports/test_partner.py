"""The partner report's figures against the hand-computed month in `partner_fixture`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import true

from outreach.auth.models import User
from outreach.db import db
from outreach.errors import ValidationFailed
from outreach.escalations.access import escalation_filter
from outreach.reports import partner
from outreach.reports.partner import Headline, Month
from outreach.reports.partner_tables import as_csv
from tests.reports import partner_fixture as fixture

MARCH = Month(2026, 3)
NOW = datetime(2026, 4, 10, 12, tzinfo=UTC)


@pytest.fixture
def month(ctx, world):
    return fixture.build(world)


def _scope(user) -> object:
    return escalation_filter(db.session.get(User, user.id))


def test_coordinator_sees_the_hand_computed_month(month, world):
    report = partner.build(_scope(world.coordinator), month.gp, MARCH, now=NOW)
    assert report.headline == Headline(
        received=6, acknowledged=4, acknowledged_in_time=3, passed_on=2, resolved=3,
        resolved_in_time=2, open_at_end=3, acknowledge_median=2.0, acknowledge_p90=24.0,
        resolve_median=72.0, resolve_p90=108.0, rated=3, usefulness_mean=4.0)
    assert report.headline.acknowledged_in_time_rate == 50.0
    assert report.headline.resolved_in_time_rate == 33.3
    assert report.by_severity == [("urgent", 2), ("soon", 2), ("routine", 2)]
    assert report.by_category == [("fall", 1), ("medication", 1), ("food_or_shopping", 1),
                                  ("transport", 1), ("safeguarding", 1), ("other", 1)]
    assert report.ratings == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    assert not report.partial and report.zones == ["Europe/Jersey"]


def test_the_month_before_is_february_in_jersey_time(month, world):
    report = partner.build(_scope(world.coordinator), month.gp, MARCH, now=NOW)
    # E7 was made at 23:30 UTC on 28 February; resolved on 1 March, after February ended.
    assert report.previous == Headline(
        received=1, acknowledged=1, acknowledged_in_time=0, passed_on=0, resolved=1,
        resolved_in_time=1, open_at_end=1, acknowledge_median=2.0, acknowledge_p90=2.0,
        resolve_median=6.0, resolve_p90=6.0, rated=1, usefulness_mean=2.0)


def test_outcomes_are_listed_without_the_client(month, world):
    report = partner.build(_scope(world.coordinator), month.gp, MARCH, now=NOW)
    assert [(o.category, o.outcome) for o in report.outcomes] == [
        ("fall", "helped"), ("food_or_shopping", "referred_on"), ("other", "not_needed")]
    note = report.outcomes[0].note
    assert note == "Saw [client] at home; called [client] twice."
    text = as_csv(report, "note")
    for secret in ("Zofia", "zofia", "Kowalczyk", "KOWALCZYK", "900555", "Brzęczyszczykiewicz"):
        assert secret not in text


def test_a_provider_counts_every_programme_in_each_programmes_time_zone(month, world):
    """E10 was made at 02:00 UTC on 1 April: 31 March in New York, so March there."""
    report = partner.build(_scope(world.provider), month.gp, MARCH, now=NOW)
    assert report.headline.received == 7
    assert report.by_severity == [("urgent", 3), ("soon", 2), ("routine", 2)]
    assert report.zones == ["America/New_York", "Europe/Jersey"]
    assert partner.build(true(), month.gp, MARCH, now=NOW).headline.received == 7


def test_the_other_operators_coordinator_sees_only_their_own_programme(month, world):
    report = partner.build(_scope(world.other_coordinator), month.gp, MARCH, now=NOW)
    assert report.headline.received == 1
    assert report.headline.open_at_end == 1
    assert report.outcomes == []


def test_the_partners_list_has_each_recipient_organisation_not_contacts(month, world):
    rows = partner.partners(_scope(world.coordinator), MARCH, now=NOW)
    by_name = {r.organisation.name: r for r in rows}
    assert set(by_name) == {month.gp.name, month.food_bank.name}
    assert by_name[month.gp.name].headline.received == 6
    assert by_name[month.gp.name].previous.received == 1
    assert by_name[month.food_bank.name].headline == Headline(
        received=1, acknowledged=1, acknowledged_in_time=1, open_at_end=1,
        acknowledge_median=1.0, acknowledge_p90=1.0)


def test_an_empty_month_has_zero_figures_and_blank_times(month, world):
    report = partner.build(_scope(world.coordinator), month.gp, Month(2025, 6), now=NOW)
    assert report.headline == Headline() and report.previous == Headline()
    assert report.headline.acknowledged_in_time_rate is None
    assert report.outcomes == [] and report.by_category == []
    assert partner.partners(_scope(world.coordinator), Month(2025, 6), now=NOW) == []


def test_the_current_month_counts_what_is_open_now(month, world):
    """Early in April, E6 (made 1 April, BST) is open now; April is marked as under way."""
    report = partner.build(_scope(world.coordinator), month.gp, Month(2026, 4), now=NOW)
    assert report.partial
    assert report.headline.received == 1 and report.headline.open_at_end == 1


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "abc", "", "2026-3", "2026-03-01",
                                  "2026-03; DROP TABLE escalations", "２０２６-０３", "1999-12",
                                  "2026-05", "9999-01"])
def test_bad_or_future_months_are_refused(text):
    with pytest.raises(ValidationFailed):
        partner.parse_month(text, now=NOW)


def test_months_up_to_now_are_accepted():
    assert partner.parse_month(" 2026-04 ", now=NOW) == Month(2026, 4)
    assert partner.parse_month("2000-01", now=NOW) == Month(2000, 1)
    assert Month(2026, 1).previous == Month(2025, 12)
    assert Month(2025, 12).following == Month(2026, 1)


@pytest.mark.parametrize(("note", "expected"), [
    ("Rang Ann Lee-Smith back", "Rang [client] back"),
    ("ann-lee smith agreed", "[client]-[client] [client] agreed"),
    ("Annual review booked", "Annual review booked"),  # "Ann" only as a whole word
    ("Call +44 7700 900321 or 07700900321", "Call [client] or [client]"),
    ("", ""),
])
def test_redaction_takes_out_the_name_and_number(note, expected):
    assert partner.redact(note, "Ann Lee-Smith", "+447700900321") == expected
