"""The refusals the audit trail used to miss: each now leaves one event, saying what was refused
and to whom (the route walk in test_every_refusal_audited checks the count on every route)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from tests import factories
from tests.conftest import API, as_user, csrf_token


def _new_events(app, after: int) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > after)))


def _last(app) -> int:
    with app.app_context():
        return max(db.session.scalars(select(AuditEvent.id)).all(), default=0)


def _only(app, after: int) -> AuditEvent:
    events = _new_events(app, after)
    assert len(events) == 1, [e.action for e in events]
    return events[0]


def test_failed_logins_are_audited_on_the_form_and_the_api(app, world, client):
    before = _last(app)
    response = client.post("/login", data={"email": world.coordinator.email,
                                           "password": "not the password",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    event = _only(app, before)
    assert (event.action, event.subject_id, event.actor_id, event.via) == (
        "user.login_failed", str(world.coordinator.id), None, "web")
    assert event.detail["reason"] == "password"
    before = _last(app)
    answer = API(client).post("/auth/token", json={"email": "nobody@example.org",
                                                   "password": "not the password"})
    assert answer.status_code == 401
    event = _only(app, before)
    assert (event.action, event.subject_id, event.via) == ("user.login_failed", "", "api")
    assert "nobody" not in str(event.detail)  # no personal data in the trail


@pytest.mark.parametrize("field", ["password", "role"])
def test_a_coordinator_refused_a_change_of_another_users_password_or_role(field, app, world,
                                                                         api_as):
    before = _last(app)
    value = {"password": "plum orbit velvet lantern", "role": "visitor"}[field]
    response = api_as(world.coordinator).patch(f"/users/{world.admin.id}", json={field: value})
    assert response.status_code == 403
    event = _only(app, before)
    assert (event.action, event.actor_id, event.subject_id) == (
        "user.change_refused", world.coordinator.id, str(world.admin.id))


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_another_operators_programme_is_refused_on_the_api_as_on_the_form(method, app, world,
                                                                         api_as):
    before = _last(app)
    response = api_as(world.coordinator).request(
        method, f"/programmes/{world.other_programme.id}",
        json={"description": "mine now"} if method == "PATCH" else None)
    assert response.status_code == 403
    event = _only(app, before)
    assert (event.action, event.actor_id) == ("programme.denied", world.coordinator.id)
    assert event.detail["programme_id"] == world.other_programme.id


def test_a_feed_token_for_another_organisation_is_refused(app, world, api_as):
    before = _last(app)
    response = api_as(world.provider).post("/feed-tokens", json={
        "organisation_id": world.food_bank.id, "name": "not ours"})
    assert response.status_code == 403
    assert _only(app, before).actor_id == world.provider.id


@pytest.mark.parametrize("path", ["/feeds/escalations.atom", "/api/v1/escalations"])
def test_a_feed_naming_another_organisation_is_refused(path, app, world, client):
    with app.app_context():
        token = factories.token(world.provider)
        db.session.commit()
    before = _last(app)
    query = {"organisation_id": world.food_bank.id}
    if path.startswith("/api/"):
        query["since"] = ""  # the pull feed, from the start
    response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    event = _only(app, before)
    assert (event.action, event.actor_id, event.detail["status"]) == (
        "access.denied", world.provider.id, 403)


def test_a_visitor_asking_for_the_audit_trail_is_refused_by_role(app, world, api_as):
    before = _last(app)
    assert api_as(world.visitor).get("/audit-events").status_code == 403
    event = _only(app, before)
    assert (event.action, event.actor_id, event.detail["endpoint"]) == (
        "access.denied", world.visitor.id, "audit_api.list_audit_events")


def test_a_page_refused_by_role_before_anything_is_looked_up(app, world):
    browser = as_user(app, world.provider)
    before = _last(app)
    assert browser.get(f"/clients/{world.client_on_round.id}/plan").status_code in (403, 404)
    event = _only(app, before)
    assert event.actor_id == world.provider.id and event.via == "web"


def test_a_refusal_keeps_nothing_else_of_the_request(app, world, api_as):
    """What a refused request did before it was refused is rolled back; the event stays."""
    before = _last(app)
    response = api_as(world.visitor).get(f"/clients/{world.foreign_client.id}")
    assert response.status_code in (403, 404)
    event = _only(app, before)
    assert event.actor_id == world.visitor.id
    assert event.ip_address == "127.0.0.1"


def test_the_api_refusing_a_session_names_no_actor(app, world, client, login):
    """The API never goes by the session cookie, and neither does the record of its refusal."""
    login(world.coordinator)
    before = _last(app)
    assert client.get(f"/api/v1/clients/{world.client_on_round.id}").status_code == 401
    event = _only(app, before)
    assert (event.action, event.actor_id, event.via) == ("access.unauthenticated", None, "api")
