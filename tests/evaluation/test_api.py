"""GET and POST /api/v1/clients/<id>/measures: programme staff only, checked, newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.evaluation.models import OutcomeMeasure
from outreach.people.models import Client
from tests.evaluation.factories import FULL_WELLBEING, outcome_measure


def path(client_id: int) -> str:
    return f"/clients/{client_id}/measures"


def stored(app) -> list[OutcomeMeasure]:
    with app.app_context():
        return list(db.session.scalars(select(OutcomeMeasure)))


def test_coordinator_records_and_lists_newest_first(app, world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    made = api.post(path(cid), json={"kind": "wellbeing", "answers": FULL_WELLBEING})
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    assert (shown["source"], shown["kind"], shown["ucla_total"], shown["declined"]) == (
        "web", "wellbeing", 6, False)
    assert shown["completed_at"] and shown["recorded_by_id"] == world.coordinator.id
    assert shown["asked_at"].endswith("+00:00")
    second = api.post(path(cid), json={"kind": "satisfaction", "answers": {"satisfaction": 5}})
    third = api.post(path(cid), json={"kind": "wellbeing", "declined": True})
    assert second.status_code == third.status_code == 201
    listed = api.get(path(cid)).get_json()
    assert [m["id"] for m in listed["items"]] == [third.get_json()["id"],
                                                 second.get_json()["id"], shown["id"]]
    assert listed["next_cursor"] is None
    only = api.get(path(cid) + "?kind=satisfaction").get_json()["items"]
    assert [m["satisfaction"] for m in only] == [5]


def test_list_pages_with_a_cursor_newest_first(app, world, api_as):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        ids = [outcome_measure(person, asked_at=utcnow() - timedelta(days=100 * i)).id
               for i in range(5)]
        db.session.commit()
    api = api_as(world.admin)
    seen, cursor = [], None
    while True:
        page = api.get(path(world.client_on_round.id) + "?limit=2" +
                       (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    bad = api.get(path(world.client_on_round.id) + "?cursor=%27%3B--")
    assert bad.status_code == 400 or bad.status_code == 422
    assert api.get(path(world.client_on_round.id) + "?kind=mood").status_code == 422


def test_reading_is_audited_as_a_client_read(app, world, api_as):
    assert api_as(world.coordinator).get(path(world.client_on_round.id)).status_code == 200
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.client_id == world.client_on_round.id,
            AuditEvent.action == "client.read")).all()
    assert [e.detail["for"] for e in events] == ["measures"]


@pytest.mark.parametrize(("sent", "field"), [
    ({"kind": "wellbeing", "answers": {"mood": 3}}, "answers"),
    ({"kind": "wellbeing", "answers": {"ons_happy": 11}}, "answers"),
    ({"kind": "wellbeing", "answers": {"ucla_left_out": 0}}, "answers"),
    ({"kind": "wellbeing", "answers": {"ucla_left_out": "2"}}, "answers"),
    ({"kind": "wellbeing", "answers": {"ucla_left_out": 2.0}}, "answers"),
    ({"kind": "wellbeing", "answers": {}}, "answers"),
    ({"kind": "wellbeing", "answers": {"ons_happy": None}}, "answers"),
    ({"kind": "satisfaction", "answers": {"satisfaction": 6}}, "answers"),
    ({"kind": "satisfaction", "answers": {"ons_happy": 3}}, "answers"),
    ({"kind": "wellbeing", "declined": True, "answers": {"ons_happy": 3}}, "answers"),
    ({"kind": "mood", "answers": {"ons_happy": 3}}, "kind"),
    ({"answers": {"ons_happy": 3}}, "kind"),
    ({"kind": "wellbeing", "answers": {"ons_happy": 3}, "source": "sms"}, "source"),
    ({"kind": "wellbeing", "answers": {"x" * 10_000: 3}}, "answers"),
    ({"kind": "wellbeing", "answers": {f"i{n}": 1 for n in range(10_000)}}, "answers"),
    ({"kind": "wellbeing", "answers": ["ons_happy", 3]}, "answers"),
    ({"kind": "wellbeing", "declined": "yes please"}, "declined"),
])
def test_bad_input_is_a_422_naming_the_field(app, world, api_as, sent, field):
    response = api_as(world.coordinator).post(path(world.client_on_round.id), json=sent)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert stored(app) == []


def test_not_json_is_refused(world, api_as):
    api = api_as(world.coordinator)
    response = api.request("POST", path(world.client_on_round.id), data="kind=wellbeing",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_other_roles_neither_read_nor_record(app, world, api_as, role):
    api = api_as(getattr(world, role))
    assert api.get(path(world.client_on_round.id)).status_code == 403
    assert api.post(path(world.client_on_round.id), json={
        "kind": "wellbeing", "declined": True}).status_code == 403
    assert stored(app) == []


def test_other_organisation_is_refused_and_the_refusal_audited(app, world, api_as):
    api = api_as(world.other_coordinator)
    assert api.get(path(world.client_on_round.id)).status_code == 403
    assert api.post(path(world.client_on_round.id), json={
        "kind": "wellbeing", "declined": True}).status_code == 403
    assert api.get(path(2**31 - 1)).status_code == 404
    assert stored(app) == []
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.client_id == world.client_on_round.id,
            AuditEvent.action == "client.denied")).all()
    assert [e.actor_id for e in denied] == [world.other_coordinator.id] * 2


def test_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = spec["paths"]["/api/v1/clients/{client_id}/measures"]
    assert set(operations) >= {"get", "post"}
