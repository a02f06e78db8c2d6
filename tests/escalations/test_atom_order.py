"""The Atom feed's order, read with a real feed reader's parser: newest change first, whatever
order the rows were written in, and the feed's `updated` is its newest entry's."""

from __future__ import annotations

import calendar
from datetime import timedelta

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.db import db, utcnow
from outreach.enums import EscalationEventKind, OrganisationKind
from outreach.escalations.services import record_event
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories

PATH = "/feeds/escalations.atom"


def _token(app, organisation_id: int) -> str:
    from sqlalchemy import select

    from outreach.auth.models import User
    from outreach.escalations import feed_tokens

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        raw, _ = feed_tokens.issue(admin, db.session.get(Organisation, organisation_id), "t")
        db.session.commit()
    return raw


def _read(client, token: str, **query) -> feedparser.FeedParserDict:
    response = client.get(PATH, query_string={"token": token, **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _seconds(struct) -> int:
    return calendar.timegm(struct)


def _assert_newest_first(parsed) -> None:
    times = [_seconds(entry.updated_parsed) for entry in parsed.entries]
    assert times == sorted(times, reverse=True)
    if times:
        assert _seconds(parsed.feed.updated_parsed) >= max(times)
        assert _seconds(parsed.feed.updated_parsed) == times[0]


def test_an_urgent_escalation_changed_last_is_on_the_default_page(app, world, client):
    """Rows written later about older changes (an import, a history, a job catching up) must
    not push the newest change off the page the reader sees."""
    now = utcnow()
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        mary = db.session.get(Client, world.client_on_round.id)
        fall = factories.need(mary, "fall", "urgent", description="On the floor")
        urgent = factories.escalation(mary, gp, need=fall, created_at=now - timedelta(minutes=5))
        record_event(urgent, EscalationEventKind.NOTE, note="Calling now", now=now)
        # Sixty older changes, written after it (so with larger row ids).
        food = factories.escalation(mary, gp, created_at=now - timedelta(days=4))
        for minutes in range(60):
            record_event(food, EscalationEventKind.NOTE, note="Earlier call",
                         now=now - timedelta(days=3, minutes=minutes))
        db.session.commit()
        urgent_id = urgent.id
    parsed = _read(client, _token(app, world.gp.id))
    assert len(parsed.entries) == 50
    links = [entry.link for entry in parsed.entries]
    assert links[0].endswith(f"/escalations/{urgent_id}")
    assert parsed.entries[0].title == "Note added: fall, urgent"
    assert parsed.entries[1].title == "New: fall, urgent"
    _assert_newest_first(parsed)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=st.lists(st.integers(min_value=-10_000, max_value=10_000), min_size=0,
                        max_size=12),
       limit=st.integers(min_value=1, max_value=12))
def test_any_order_of_writing_reads_newest_first(app, world, client, offsets, limit):
    """For any order in which changes are written, a page holds the `limit` latest changes,
    newest first, and the feed's updated is the newest entry's."""
    now = utcnow()
    with app.app_context():
        # A new practice each time: only this example's changes are in its feed.
        gp = factories.organisation(OrganisationKind.HEALTH)
        mary = db.session.get(Client, world.client_on_round.id)
        made = factories.escalation(mary, gp, created_at=now - timedelta(days=1))
        for offset in offsets:
            record_event(made, EscalationEventKind.NOTE, note="Called",
                         now=now + timedelta(seconds=offset))
        db.session.commit()
        gp_id = gp.id
    token = _token(app, gp_id)
    parsed = _read(client, token, limit=limit)
    day = -24 * 3600  # the escalation's own "created" entry
    expected = sorted([*offsets, day], reverse=True)[:limit]
    got = [_seconds(entry.updated_parsed) - _seconds(now.timetuple()) for entry in parsed.entries]
    assert got == expected
    _assert_newest_first(parsed)
