"""Feed tokens over the API: who may make, list and revoke them, and what is kept of them."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.escalations.models import FeedToken


def _make(api, **body):
    return api.post("/feed-tokens", json={"name": "Practice reader", **body})


def _atom(client, raw):
    return client.get("/feeds/escalations.atom", query_string={"token": raw})


def test_provider_makes_a_token_for_its_own_organisation(app, world, api_as, client):
    response = _make(api_as(world.provider))
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["organisation_id"] == world.gp.id
    assert made["name"] == "Practice reader"
    assert made["created_by_id"] == world.provider.id
    assert made["token"].startswith("oft_")
    assert made["feed_url"] == f"http://localhost/feeds/escalations.atom?token={made['token']}"
    with app.app_context():
        stored = db.session.get(FeedToken, made["id"])
        # Only the digest is kept: the raw token cannot be read back from the database.
        assert stored.digest == hashlib.sha256(made["token"].encode()).hexdigest()
        assert made["token"] not in {stored.digest, stored.name}
        audit = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "feed_token.issue"))
        assert (audit.actor_id, audit.subject_id) == (world.provider.id, str(made["id"]))
    assert _atom(client, made["token"]).status_code == 200


def test_coordinator_token_opens_the_operator_feed(world, api_as):
    made = _make(api_as(world.coordinator)).get_json()
    assert made["organisation_id"] == world.operator.id
    again = _make(api_as(world.coordinator), organisation_id=world.operator.id)
    assert again.status_code == 201
    assert again.get_json()["token"] != made["token"]


def test_admin_names_the_organisation(world, api_as):
    admin = api_as(world.admin)
    response = _make(admin, organisation_id=world.food_bank.id)
    assert response.status_code == 201
    assert response.get_json()["organisation_id"] == world.food_bank.id
    missing = _make(admin)
    assert missing.status_code == 422
    assert "organisation_id" in missing.get_json()["error"]["fields"]
    unknown = _make(admin, organisation_id=2**31 - 1)
    assert unknown.status_code == 422


@pytest.mark.parametrize("who", ["provider", "coordinator", "other_coordinator"])
def test_nobody_but_an_admin_makes_a_token_for_another_organisation(who, app, world, api_as):
    response = _make(api_as(getattr(world, who)), organisation_id=world.food_bank.id)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(FeedToken)).all() == []


@pytest.mark.parametrize("who", ["visitor", "tutor"])
def test_visitors_and_tutors_have_no_feed(who, world, api_as):
    api = api_as(getattr(world, who))
    assert _make(api).status_code == 403
    assert api.get("/feed-tokens").status_code == 403


def test_anonymous_and_the_session_get_nothing(world, client, login):
    assert client.post("/api/v1/feed-tokens", json={"name": "x"}).status_code == 401
    login(world.provider)
    assert client.post("/api/v1/feed-tokens", json={"name": "x"}).status_code == 401
    assert client.get("/api/v1/feed-tokens").status_code == 401


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 7}, {"name": "a\x00b"},
    {"name": "ok", "organisation_id": "gp"}, {"name": "ok", "organisation_id": -1},
    {"name": "ok", "token": "oft_mine"},
])
def test_bad_input_is_refused(body, app, world, api_as):
    response = api_as(world.provider).post("/feed-tokens", json=body)
    assert response.status_code == 422, response.get_json()
    with app.app_context():
        assert db.session.scalars(select(FeedToken)).all() == []


def test_list_shows_own_tokens_without_the_secret(world, api_as):
    provider, coordinator = api_as(world.provider), api_as(world.coordinator)
    mine = _make(provider).get_json()["id"]
    theirs = _make(coordinator).get_json()["id"]
    listed = provider.get("/feed-tokens").get_json()
    assert [t["id"] for t in listed["items"]] == [mine]
    assert not {"token", "digest", "feed_url"} & set(listed["items"][0])
    # A non-admin cannot widen the list by naming another organisation.
    other = provider.get("/feed-tokens", query_string={"organisation_id": world.operator.id})
    assert [t["id"] for t in other.get_json()["items"]] == [mine]
    admin = api_as(world.admin)
    assert {t["id"] for t in admin.get("/feed-tokens").get_json()["items"]} == {mine, theirs}
    only_gp = admin.get("/feed-tokens", query_string={"organisation_id": world.gp.id})
    assert [t["id"] for t in only_gp.get_json()["items"]] == [mine]
    assert admin.get("/feed-tokens", query_string={"organisation_id": "x"}).status_code == 422


def test_list_pages_with_a_cursor(world, api_as):
    api = api_as(world.provider)
    made = [_make(api).get_json()["id"] for _ in range(3)]
    first = api.get("/feed-tokens", query_string={"limit": 2}).get_json()
    second = api.get("/feed-tokens", query_string={"limit": 2,
                                                   "cursor": first["next_cursor"]}).get_json()
    assert [t["id"] for t in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None


def test_revoked_token_stops_opening_the_feed(app, world, api_as, client):
    api = api_as(world.provider)
    made = _make(api).get_json()
    assert _atom(client, made["token"]).status_code == 200
    assert api.delete(f"/feed-tokens/{made['id']}").status_code == 204
    refused = _atom(client, made["token"])
    assert refused.status_code == 401
    assert "WWW-Authenticate" in refused.headers
    assert api.delete(f"/feed-tokens/{made['id']}").status_code == 204  # twice is harmless
    listed = api.get("/feed-tokens").get_json()["items"]
    assert listed[0]["revoked_at"] is not None
    with app.app_context():
        revokes = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "feed_token.revoke")).all()
        assert [(e.actor_id, e.subject_id) for e in revokes] == [
            (world.provider.id, str(made["id"]))]


def test_another_organisations_token_cannot_be_revoked(app, world, api_as, client):
    made = _make(api_as(world.coordinator)).get_json()
    for who in ("provider", "other_coordinator"):
        assert api_as(getattr(world, who)).delete(f"/feed-tokens/{made['id']}").status_code == 404
    assert api_as(world.visitor).delete(f"/feed-tokens/{made['id']}").status_code == 403
    assert _atom(client, made["token"]).status_code == 200
    assert api_as(world.admin).delete(f"/feed-tokens/{made['id']}").status_code == 204
    assert _atom(client, made["token"]).status_code == 401
    assert api_as(world.admin).delete(f"/feed-tokens/{2**31 - 1}").status_code == 404


def test_use_is_noted_on_the_token(app, world, api_as, client):
    made = _make(api_as(world.provider)).get_json()
    assert made["last_used_at"] is None
    _atom(client, made["token"])
    with app.app_context():
        assert db.session.get(FeedToken, made["id"]).last_used_at is not None


def test_an_api_token_is_not_a_feed_token(world, api_as, client):
    api = api_as(world.provider)
    assert _atom(client, api.token).status_code == 401
