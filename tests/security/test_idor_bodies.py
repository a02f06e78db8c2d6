"""IDOR through ids in JSON bodies: the address names the caller's own record, the body names
something of the other operator (a round, a contact, an organisation, a client). Each is refused
with a 4xx in the error format and nothing changes. (The access matrix tries ids in addresses.)"""

from __future__ import annotations

import pytest

from outreach.db import db
from outreach.enums import Role
from outreach.people.models import Client
from outreach.visits.models import VisitPlan
from tests import factories


@pytest.fixture
def theirs(app, world):
    """The other operator's round, visitor and a contact of their client."""
    with app.app_context():
        visitor = factories.user(Role.VISITOR, db.session.merge(world.other_operator))
        other_round = factories.round_(db.session.merge(world.other_programme), visitor)
        contact = factories.contact(db.session.merge(world.foreign_client))
        db.session.commit()
        return {"round": other_round.id, "visitor": visitor.id, "contact": contact.id}


def _refused(response) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_json())
    assert response.status_code != 401
    error = response.get_json()["error"]
    assert error["code"] and isinstance(error["fields"], dict)
    return error


def test_a_client_cannot_be_put_on_another_operators_round(app, world, api_as, theirs):
    api = api_as(world.coordinator)
    client_id = world.client_off_round.id
    assert "round_id" in _refused(api.patch(f"/clients/{client_id}",
                                            json={"round_id": theirs["round"]}))["fields"]
    with app.app_context():
        assert db.session.get(Client, client_id).round_id is None


def test_a_visit_plan_cannot_name_another_operators_round(app, world, api_as, theirs):
    api = api_as(world.coordinator)
    client_id = world.client_off_round.id
    error = _refused(api.request("PUT", f"/clients/{client_id}/visit-plan", json={
        "round_id": theirs["round"], "frequency": "weekly", "weekdays": [1]}))
    assert set(error["fields"]) == {"round_id"}
    with app.app_context():
        plan = db.session.scalar(db.select(VisitPlan).where(VisitPlan.client_id == client_id))
        assert plan is None or plan.round_id != theirs["round"]


def test_consent_cannot_name_another_clients_contact(app, world, api_as, theirs):
    api = api_as(world.coordinator)
    client_id = world.client_on_round.id
    before = api.get(f"/clients/{client_id}/consents").get_json()["items"]
    _refused(api.post(f"/clients/{client_id}/consents", json={
        "purpose": "share_information", "contact_id": theirs["contact"]}))
    assert api.get(f"/clients/{client_id}/consents").get_json()["items"] == before


def test_a_round_cannot_be_given_another_operators_visitor(app, world, api_as, theirs):
    api = api_as(world.coordinator)
    _refused(api.patch(f"/rounds/{world.round.id}", json={"visitor_id": theirs["visitor"]}))
    _refused(api.post(f"/rounds/{world.round.id}/covers", json={
        "visitor_id": theirs["visitor"], "starts_on": "2026-07-01", "ends_on": "2026-07-02"}))
    assert api.get(f"/rounds/{world.round.id}").get_json()["visitor_id"] == world.visitor.id


def test_a_coordinator_cannot_move_a_user_to_another_operator(app, world, api_as):
    api = api_as(world.coordinator)
    _refused(api.patch(f"/users/{world.visitor.id}",
                       json={"organisation_id": world.other_operator.id}))
    _refused(api.post("/users", json={
        "email": "planted@example.org", "password": "a long enough password",
        "role": "coordinator", "organisation_id": world.other_operator.id}))
    assert api.get(f"/users/{world.visitor.id}").get_json()["organisation_id"] \
        == world.operator.id


def test_a_text_cannot_be_sent_to_another_operators_client(app, world, api_as):
    api = api_as(world.coordinator)
    _refused(api.post("/messages", json={"client_id": world.foreign_client.id,
                                         "body": "Hello from the wrong island"}))
    _refused(api.post("/needs", json={"client_id": world.foreign_client.id,
                                      "category": "other", "severity": "routine",
                                      "description": "planted"}))
