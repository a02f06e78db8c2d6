"""A feed token lives only as long as its maker's access: deactivated, moved to another
organisation, given a role without a feed, or deleted, its tokens stop opening the feed, and
each refusal is audited. API tokens of users who lost access open nothing either."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import Role
from outreach.escalations.models import FeedToken
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories

ATOM = "/feeds/escalations.atom"


@pytest.fixture
def gp_escalation(app, world):
    with app.app_context():
        mary = db.session.get(Client, world.client_on_round.id)
        factories.escalation(mary, db.session.get(Organisation, world.gp.id),
                             category="fall", severity="urgent")
        db.session.commit()


def _feed_token(api) -> dict:
    made = api.post("/feed-tokens", json={"name": "Practice reader"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _refusals(app, token_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "feed_token.refused",
            AuditEvent.subject_id == str(token_id))))


def _change(app, user_id: int, how: str, world) -> None:
    """Take the feed away from the user, as an admin or the database would."""
    with app.app_context():
        user = db.session.get(User, user_id)
        if how == "deactivated":
            user.active = False
        elif how in ("visitor", "tutor"):
            user.role = Role(how)
        elif how == "moved":
            user.organisation_id = world.food_bank.id
        elif how == "deleted":
            db.session.delete(user)
        db.session.commit()


LOSSES = ["deactivated", "visitor", "tutor", "moved", "deleted"]


@pytest.mark.parametrize("how", LOSSES)
def test_a_feed_token_dies_with_its_makers_access(how, app, world, api_as, client,
                                                  gp_escalation):
    with app.app_context():
        maker = factories.user(Role.PROVIDER, db.session.get(Organisation, world.gp.id))
        db.session.commit()
        maker_id = maker.id
    made = _feed_token(api_as(maker))
    opened = client.get(ATOM, query_string={"token": made["token"]})
    assert opened.status_code == 200
    assert b"Fall" in opened.get_data() or b"fall" in opened.get_data()
    _change(app, maker_id, how, world)
    refused = client.get(ATOM, query_string={"token": made["token"]})
    assert refused.status_code in (401, 403)
    body = refused.get_data(as_text=True)
    assert "fall" not in body.lower()
    assert world.client_on_round.full_name not in body
    events = _refusals(app, made["id"])
    assert len(events) == 1
    assert events[0].detail["reason"] == "maker_lost_access"
    assert events[0].detail["organisation_id"] == world.gp.id
    # Every later use is refused and audited too: nothing brings the token back.
    assert client.get(ATOM, query_string={"token": made["token"]}).status_code in (401, 403)
    assert len(_refusals(app, made["id"])) == 2


def test_a_token_of_a_maker_who_keeps_access_still_opens(app, world, api_as, client,
                                                          gp_escalation):
    """A change that leaves the maker allowed to make the token (a new name, another role
    that may read the feed, an admin's token) leaves the token working."""
    made = _feed_token(api_as(world.provider))
    with app.app_context():
        user = db.session.get(User, world.provider.id)
        user.full_name = "Dr Renamed"
        user.role = Role.COORDINATOR
        db.session.commit()
    assert client.get(ATOM, query_string={"token": made["token"]}).status_code == 200
    admin_made = api_as(world.admin).post("/feed-tokens", json={
        "name": "Admin reader", "organisation_id": world.gp.id}).get_json()
    assert client.get(ATOM, query_string={"token": admin_made["token"]}).status_code == 200
    _change(app, world.admin.id, "tutor", world)
    assert client.get(ATOM, query_string={"token": admin_made["token"]}).status_code in (401,
                                                                                        403)
    assert len(_refusals(app, admin_made["id"])) == 1


def test_deactivating_through_the_api_closes_the_makers_feed(app, world, api_as, client,
                                                             gp_escalation):
    made = _feed_token(api_as(world.provider))
    changed = api_as(world.admin).patch(f"/users/{world.provider.id}", json={"active": False})
    assert changed.status_code == 200, changed.get_json()
    assert client.get(ATOM, query_string={"token": made["token"]}).status_code in (401, 403)
    with app.app_context():
        assert db.session.get(FeedToken, made["id"]) is not None  # kept, for the record
    assert len(_refusals(app, made["id"])) == 1


@pytest.mark.parametrize("path", ["/api/v1/escalations", "/fhir/r4/Task", ATOM,
                                  "/api/v1/feed-tokens", "/api/v1/users/me"])
def test_api_tokens_of_deactivated_users_open_nothing(path, app, world, api_as, client,
                                                      gp_escalation):
    api = api_as(world.provider)
    auth = {"Authorization": f"Bearer {api.token}"}
    assert client.get(path, headers=auth).status_code == 200
    # Straight in the database, as a script or another instance might: no revoke_all ran.
    _change(app, world.provider.id, "deactivated", world)
    refused = client.get(path, headers=auth)
    assert refused.status_code == 401
    assert world.client_on_round.full_name not in refused.get_data(as_text=True)
