"""Today's round: who is due, in walking order, with what to deliver, remind and ask about."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.people.models import Client
from outreach.rounds.models import Round
from tests import factories

EVERY_DAY = "1,2,3,4,5,6,7"


@pytest.fixture
def clock():
    """Set the application's clock; put it back afterwards."""
    yield set_clock
    set_clock(None)


@pytest.fixture
def stops(app, world):
    """Three clients on the round, every day, listed out of walking order on purpose."""
    with app.app_context():
        db.session.get(Round, world.round.id).weekdays = EVERY_DAY
        first = db.session.get(Client, world.client_on_round.id)
        third = factories.client(world.programme, round_id=world.round.id, walk_order=3,
                                 access_notes="Key safe 1234", parish="St Helier")
        second = factories.client(world.programme, round_id=world.round.id, walk_order=2)
        for c in (first, second, third):
            factories.visit_plan(c, "daily", starts_on=date(2026, 1, 1))
        db.session.commit()
        return [first.id, second.id, third.id]


def _due(api, round_id, on=None):
    query = {"date": on.isoformat()} if on else {}
    return api.get(f"/rounds/{round_id}/due", query_string=query)


def test_walking_order_and_everything_for_the_door(app, world, api_as, stops):
    on = date(2026, 3, 10)
    with app.app_context():
        third = db.session.get(Client, stops[2])
        prescription = factories.prescription(third, world.gp)
        factories.prescription(third, status="delivered")
        factories.appointment(third, datetime(2026, 3, 12, 9, 30, tzinfo=UTC))
        factories.appointment(third, datetime(2026, 3, 30, 9, 30, tzinfo=UTC))  # too far off
        factories.appointment(third, datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
                              cancelled_at=datetime(2026, 3, 1, tzinfo=UTC))
        concern = factories.need(third, "loneliness", "routine", description="Lonely")
        factories.need(third, "missed_visit", "soon", source="system")
        factories.need(third, "fall", "urgent", status="resolved")
        done = factories.visit(db.session.get(Client, stops[0]), world.visitor,
                               visited_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
        db.session.commit()
    response = _due(api_as(world.visitor), world.round.id, on)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["date"] == "2026-03-10" and body["visitor_id"] == world.visitor.id
    assert body["round"]["id"] == world.round.id
    assert [item["client"] for item in body["items"]] == stops
    first, _, last = body["items"]
    assert first["done"] and first["visit_id"] == done.id and first["outcome"] == "seen_well"
    assert not last["done"] and last["visit_id"] is None
    assert last["access_notes"] == "Key safe 1234" and last["parish"] == "St Helier"
    assert [p["id"] for p in last["prescriptions"]] == [prescription.id]
    assert [a["starts_at"] for a in last["appointments"]] == ["2026-03-12T09:30:00+00:00"]
    assert last["open_needs"] == [{"id": concern.id, "category": "loneliness",
                                   "severity": "routine", "description": "Lonely"}]
    with app.app_context():
        audited = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.visitor.id,
            AuditEvent.detail["for"].as_string() == "due")))
    assert audited == set(stops)


def test_spring_forward_day(app, world, api_as, stops):
    """29 March 2026 has 23 hours in Jersey; times are shown with the summer offset."""
    on = date(2026, 3, 29)
    with app.app_context():
        c = db.session.get(Client, stops[0])
        # 23:30 UTC on 28 March is still 28 March (GMT): not a visit of the 29th.
        factories.visit(c, visited_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
        # The last minutes of the reminder week, in BST: 23:30 on 5 April is in, 00:30 on
        # 6 April is out.
        inside = factories.appointment(c, datetime(2026, 4, 5, 22, 30, tzinfo=UTC))
        factories.appointment(c, datetime(2026, 4, 5, 23, 30, tzinfo=UTC))
        db.session.commit()
    item = _due(api_as(world.coordinator), world.round.id, on).get_json()["items"][0]
    assert not item["done"]
    assert [a["id"] for a in item["appointments"]] == [inside.id]
    assert item["appointments"][0]["starts_at"] == "2026-04-05T23:30:00+01:00"


def test_fall_back_day(app, world, api_as, stops):
    """25 October 2026 has 25 hours: a visit at 23:30 UTC is still that day in Jersey."""
    with app.app_context():
        factories.visit(db.session.get(Client, stops[1]),
                        visited_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC))  # 00:30 BST 25th
        db.session.commit()
    items = _due(api_as(world.admin), world.round.id, date(2026, 10, 25)).get_json()["items"]
    assert [i["done"] for i in items] == [False, True, False]
    items = _due(api_as(world.admin), world.round.id, date(2026, 10, 24)).get_json()["items"]
    assert not any(i["done"] for i in items)


def test_default_date_is_today_where_the_programme_runs(world, api_as, stops, clock):
    clock(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))  # already 1 April in Jersey
    body = _due(api_as(world.visitor), world.round.id).get_json()
    assert body["date"] == "2026-04-01"


def test_fortnightly_weekly_and_chosen_days_across_a_month_end(app, world, api_as):
    with app.app_context():
        round_ = db.session.get(Round, world.round.id)
        round_.weekdays = "1,2,3,4,5"
        clients = {}
        for key, frequency, days in (("fortnightly", "fortnightly", "4"),
                                     ("weekly", "weekly", "4"), ("mon_thu", "weekdays", "1,4")):
            c = factories.client(world.programme, round_id=round_.id)
            factories.visit_plan(c, frequency, days, starts_on=date(2026, 4, 16))
            clients[c.id] = key
        db.session.commit()
    api = api_as(world.coordinator)

    def due_on(on):
        return {clients[i["client"]] for i in _due(api, world.round.id, on).get_json()["items"]
                if i["client"] in clients}

    assert due_on(date(2026, 4, 16)) == {"fortnightly", "weekly", "mon_thu"}
    assert due_on(date(2026, 4, 23)) == {"weekly", "mon_thu"}
    assert due_on(date(2026, 4, 30)) == {"fortnightly", "weekly", "mon_thu"}  # month end
    assert due_on(date(2026, 5, 4)) == {"mon_thu"}
    assert due_on(date(2026, 5, 7)) == {"weekly", "mon_thu"}
    assert due_on(date(2026, 5, 14)) == {"fortnightly", "weekly", "mon_thu"}
    assert due_on(date(2026, 4, 9)) == set()  # before the plans start


def test_pauses_and_round_days(app, world, api_as, stops):
    with app.app_context():
        factories.pause(db.session.get(Client, stops[1]), date(2026, 2, 27), date(2026, 3, 2))
        db.session.get(Round, world.round.id).weekdays = "1,2,3,4,5"
        db.session.commit()
    api = api_as(world.coordinator)

    def due_on(on):
        return [i["client"] for i in _due(api, world.round.id, on).get_json()["items"]]

    assert due_on(date(2026, 2, 27)) == [stops[0], stops[2]]  # Friday, first day away
    assert due_on(date(2026, 2, 28)) == []  # Saturday: the round does not run
    assert due_on(date(2026, 3, 2)) == [stops[0], stops[2]]  # Monday, last day away
    assert due_on(date(2026, 3, 3)) == stops


def test_cover_hands_over_the_due_list_and_the_clients(app, world, api_as, stops, clock):
    with app.app_context():
        factories.cover(db.session.get(Round, world.round.id), world.other_visitor,
                        date(2026, 7, 1), date(2026, 7, 14))
        db.session.commit()
    clock(datetime(2026, 7, 5, 10, 0, tzinfo=UTC))
    cover, regular = api_as(world.other_visitor), api_as(world.visitor)
    body = _due(cover, world.round.id).get_json()
    assert body["visitor_id"] == world.other_visitor.id
    assert [i["client"] for i in body["items"]] == stops
    assert cover.get(f"/clients/{stops[0]}").status_code == 200
    assert _due(regular, world.round.id).status_code == 403
    assert regular.get(f"/clients/{stops[0]}").status_code == 403
    # After the cover the round is the regular visitor's again, on any day they ask about.
    assert _due(regular, world.round.id, date(2026, 7, 15)).status_code == 200
    assert _due(cover, world.round.id, date(2026, 7, 15)).status_code == 404
    assert _due(api_as(world.coordinator), world.round.id).get_json()["visitor_id"] \
        == world.other_visitor.id


@pytest.mark.parametrize("who", ["other_coordinator", "provider", "tutor", "other_visitor"])
def test_others_cannot_read_the_due_list(world, api_as, stops, who):
    response = _due(api_as(getattr(world, who)), world.round.id, date(2026, 3, 10))
    assert response.status_code in (403, 404)
    assert response.get_json()["error"]["code"] in ("forbidden", "not_found")


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-02-30", "2026-13-01", "9" * 50,
                                   "2026-03-10'; DROP TABLE rounds; --", "２０２６-03-10"])
def test_bad_dates_are_refused(world, api_as, value):
    response = api_as(world.coordinator).get(f"/rounds/{world.round.id}/due",
                                             query_string={"date": value})
    assert response.status_code == 422
    assert "date" in response.get_json()["error"]["fields"]


def test_unknown_query_parameters_and_rounds(world, api_as):
    api = api_as(world.coordinator)
    assert api.get(f"/rounds/{world.round.id}/due?colour=blue").status_code == 422
    assert api.get(f"/rounds/{2**31 - 1}/due").status_code == 404
    assert api.get("/rounds/99999999999999999999/due").status_code == 404


def test_empty_round(world, api_as):
    body = _due(api_as(world.admin), world.round.id, date(2026, 3, 10)).get_json()
    assert body["items"] == []
