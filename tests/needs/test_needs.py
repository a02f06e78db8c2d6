"""Needs over the API: reporting, the safety-net categories, listing and reading in scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from tests import factories


def test_visitor_reports_a_need_for_a_client_on_their_round(app, world, api_as):
    response = api_as(world.visitor).post("/needs", json={
        "client_id": world.client_on_round.id, "category": "home_or_heating",
        "severity": "soon", "description": "Boiler broken"})
    assert response.status_code == 201, response.get_json()
    need = response.get_json()
    assert (need["source"], need["status"], need["raised_by_id"]) == (
        "web", "open", world.visitor.id)
    assert api_as(world.visitor).get(f"/needs/{need['id']}").get_json() == need


@pytest.mark.parametrize("category", ["no_answer", "no_response", "missed_visit", "not_seen",
                                      "invalid_number"])
def test_safety_net_categories_cannot_be_reported_by_hand(category, world, api_as):
    response = api_as(world.coordinator).post("/needs", json={
        "client_id": world.client_on_round.id, "category": category, "severity": "urgent"})
    assert response.status_code == 422
    assert "category" in response.get_json()["error"]["fields"]


def test_source_system_cannot_be_claimed(world, api_as):
    response = api_as(world.coordinator).post("/needs", json={
        "client_id": world.client_on_round.id, "category": "no_answer", "severity": "urgent",
        "source": "system"})
    assert response.status_code == 422


def test_need_for_a_client_out_of_reach_is_refused_and_audited(app, world, api_as):
    response = api_as(world.visitor).post("/needs", json={
        "client_id": world.client_off_round.id, "category": "money", "severity": "routine"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.action == "client.denied",
            AuditEvent.client_id == world.client_off_round.id)) == world.visitor.id


def test_lists_are_scoped_and_filtered(app, world, api_as):
    with app.app_context():
        on = factories.need(world.client_on_round, "money").id
        off = factories.need(world.client_off_round, "transport").id
        foreign = factories.need(world.foreign_client).id
        db.session.commit()
    ids = lambda api, **q: {n["id"] for n in api.get("/needs", query_string=q)  # noqa: E731
                            .get_json()["items"]}
    assert ids(api_as(world.visitor)) == {on}
    assert ids(api_as(world.coordinator)) == {on, off}
    assert ids(api_as(world.coordinator), category="transport") == {off}
    assert ids(api_as(world.coordinator), client_id=world.client_on_round.id) == {on}
    assert ids(api_as(world.coordinator), status="resolved") == set()
    assert ids(api_as(world.admin)) >= {on, off, foreign}
    assert api_as(world.coordinator).get(f"/needs/{foreign}").status_code == 403
    assert api_as(world.visitor).get(f"/needs/{off}").status_code == 403
    assert api_as(world.provider).get("/needs").status_code == 403
    assert api_as(world.coordinator).get("/needs/2147483647").status_code == 404


@pytest.mark.parametrize("change", [
    {"category": "rocket"}, {"severity": "whenever"}, {"client_id": "1"},
    {"description": "x" * 2001}, {"source": "sms"}, {"category": None}, {"extra": 1},
])
def test_bad_need_input(change, world, api_as):
    data = {"client_id": world.client_on_round.id, "category": "money", "severity": "soon"}
    response = api_as(world.coordinator).post("/needs", json=data | change)
    assert response.status_code == 422


@pytest.mark.parametrize("query", [{"status": "x"}, {"category": "x"}, {"client_id": "abc"},
                                   {"client_id": "0"}])
def test_bad_need_filters(query, world, api_as):
    assert api_as(world.coordinator).get("/needs", query_string=query).status_code == 422
