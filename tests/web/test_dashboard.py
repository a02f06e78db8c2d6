"""The coordinator's dashboard and the visitor's "Your concerns" page, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.people.models import Client
from outreach.rounds.models import Round
from outreach.tick import run_jobs
from tests import factories


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_afterwards():
    yield
    set_clock(None)


MONDAY = "2025-03-03T12:00:00+00:00"


@pytest.fixture
def day_on_round(app, world):
    """Monday 3 March: two clients due on the round, one already visited."""
    set_clock(at("2025-03-03T08:00:00+00:00"))
    with app.app_context():
        first = db.session.get(Client, world.client_on_round.id)
        second = factories.client(first.programme, round_id=world.round.id, walk_order=2,
                                  full_name="Second Stop")
        for c in (first, second):
            factories.visit_plan(c, "daily", starts_on=date(2025, 3, 3))
        factories.visit(first, world.visitor, visited_at=at("2025-03-03T10:00:00+00:00"))
        db.session.commit()
        return {"first": first.id, "second": second.id, "second_name": second.full_name}


def page(client, path="/dashboard/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_todays_rounds_show_progress_and_who_walks(app, world, client, login, day_on_round):
    login(world.coordinator)
    set_clock(at(MONDAY))
    text = page(client)
    assert "St Helier North" in text
    assert "1 of 2 visits done, 1 still to do" in text
    assert '<progress id="progress-' in text and 'max="2" value="1"' in text
    assert f"Walked by {world.visitor.full_name}" in text
    with app.app_context():
        factories.cover(db.session.get(Round, world.round.id), world.other_visitor,
                        date(2025, 3, 3), date(2025, 3, 3))
        db.session.commit()
    text = page(client)
    assert f"Walked by {world.other_visitor.full_name} (covering)" in text


def test_no_answer_turns_red_once_past_the_window(app, world, client, login, day_on_round):
    set_clock(at("2025-03-03T10:00:00+00:00"))
    with app.app_context():
        second = db.session.get(Client, day_on_round["second"])
        unanswered = factories.visit(second, world.visitor, outcome="no_answer")
        factories.need(second, "no_answer", "urgent", "system", visit_id=unanswered.id)
        db.session.commit()
    login(world.coordinator)
    set_clock(at("2025-03-03T11:59:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert "No answer 1 h 59 min ago (at 10:00 on 3 March)" in text
    assert 'class="flagged"' not in text and "With the designated contacts" in text
    set_clock(at("2025-03-03T12:01:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert 'class="flagged"' in text
    assert "the coordinator needs to act now" in text
    assert f'href="/clients/{day_on_round["second"]}"' in text


def test_missed_visits_and_clients_not_seen_are_listed(app, world, client, login,
                                                       day_on_round):
    set_clock(at("2025-03-04T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    login(world.coordinator)
    text = page(client)
    assert "Missed visits in the last week (1)" in text  # Monday's second stop
    assert "Visit due 3 March 2025 · St Helier North" in text
    assert "Everyone has been seen as their plan expects." in text
    set_clock(at("2025-03-07T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert "Clients not seen for too long (2)" in text
    assert "Not seen since the plan began" in text
    assert "Not seen since Monday 3 March 2025" in text
    with app.app_context():
        listed = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.coordinator.id)))
    assert {day_on_round["first"], day_on_round["second"]} <= listed


def test_other_operator_sees_nothing_of_ours(app, world, client, login, day_on_round):
    set_clock(at("2025-03-04T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    login(world.other_coordinator)
    text = page(client)
    assert "St Helier North" not in text
    assert day_on_round["second_name"] not in text
    assert world.client_on_round.full_name not in text
    assert "No visits were missed in the last week." in text


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_only_coordinators_and_admins_get_the_dashboard(role, world, client, login):
    login(getattr(world, role))
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert "St Helier North" not in response.get_data(as_text=True)


def test_admin_sees_every_operator(app, world, client, login, day_on_round):
    login(world.admin)
    set_clock(at(MONDAY))
    with app.app_context():
        foreign = db.session.get(Client, world.foreign_client.id)
        factories.need(foreign, "no_answer", "urgent", "system")
        db.session.commit()
    assert foreign.full_name in page(client)


def test_visitor_sees_what_became_of_their_concerns(app, world, client, login):
    set_clock(at("2025-03-03T10:00:00+00:00"))
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        mine = factories.visit(on, world.visitor, outcome="seen_concern")
        factories.need(on, "food_or_shopping", visit_id=mine.id, description="Cupboards empty")
        factories.need(on, "home_or_heating", visit_id=mine.id, description="Heating broken",
                       flagged_at=at("2025-03-03T13:00:00+00:00"))
        factories.need(on, "transport", visit_id=mine.id, description="Needs a lift",
                       status="resolved", resolved_at=at("2025-03-04T09:00:00+00:00"),
                       resolution="Lift booked with the community bus")
        theirs = factories.visit(on, world.other_visitor, outcome="seen_concern")
        factories.need(on, "loneliness", visit_id=theirs.id, description="Feels alone")
        db.session.commit()
    login(world.visitor)
    text = page(client, "/dashboard/my-concerns")
    assert "Food or shopping: Cupboards empty" in text
    assert "Open</span>: Waiting for someone to act on it" in text
    assert "Acted on</span>: Passed to the coordinator at 13:00 on 3 March" in text
    assert "Resolved</span>: Lift booked with the community bus (09:00 on 4 March)" in text
    assert "From your visit on 3 March 2025" in text
    assert "Feels alone" not in text


def test_my_concerns_is_empty_for_someone_without_visits(world, client, login):
    login(world.other_visitor)
    assert "No concerns have been raised from your visits yet." in page(
        client, "/dashboard/my-concerns")


def test_providers_have_no_concerns_page(world, client, login):
    login(world.provider)
    assert client.get("/dashboard/my-concerns").status_code == 403
