"""The Atom feed: token auth, one organisation's events only, newest first, valid Atom 1.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - it parses our own output, never a stranger's
from datetime import datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories

ATOM = "{http://www.w3.org/2005/Atom}"
PATH = "/feeds/escalations.atom"


def _feed_token(app, organisation_id: int) -> str:
    from outreach.auth.models import User
    from outreach.escalations import feed_tokens

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        raw, _ = feed_tokens.issue(admin, db.session.get(Organisation, organisation_id), "test")
        db.session.commit()
    return raw


@pytest.fixture
def made(app, world):
    """Escalations to the GP practice, the food bank and the other operator, oldest first."""
    with app.app_context():
        get = db.session.get
        on, off, foreign = (get(Client, c.id) for c in (
            world.client_on_round, world.client_off_round, world.foreign_client))
        gp, food, other = (get(Organisation, o.id) for o in (
            world.gp, world.food_bank, world.other_operator))
        pain = factories.need(on, "pain_or_illness", "urgent", description="Chest pain <again>")
        ids = {
            "gp_pain": factories.escalation(on, gp, need=pain).id,
            "food": factories.escalation(off, food).id,
            "gp_meds": factories.escalation(off, gp, category="medication").id,
            "foreign": factories.escalation(foreign, other).id,
        }
        db.session.commit()
    return ids


def _parse(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    return root


def _entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def _escalation_ids(root: ET.Element) -> list[int]:
    return [int(e.find(f"{ATOM}link").get("href").rsplit("/", 1)[1]) for e in _entries(root)]


def test_no_credentials_is_401_with_a_challenge(client):
    response = client.get(PATH)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("query, headers", [
    ({"token": "oft_not-a-real-token"}, {}),
    ({"token": ""}, {}),
    ({"token": "x" * 5000}, {}),
    ({}, {"Authorization": "Bearer otk_not-a-real-token"}),
    ({}, {"Authorization": "Basic dXNlcjpwYXNz"}),
    ({}, {"Authorization": "Bearer "}),
])
def test_bad_credentials_are_401(query, headers, client, made):
    response = client.get(PATH, query_string=query, headers=headers)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_the_login_session_does_not_open_the_feed(world, client, login, made):
    login(world.provider)
    assert client.get(PATH).status_code == 401


@pytest.mark.parametrize("who", ["visitor", "tutor"])
def test_roles_without_a_feed_are_refused(who, world, api_as, client):
    api = api_as(getattr(world, who))
    response = client.get(PATH, headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 403


def test_feed_token_shows_its_organisations_events_only_newest_first(app, world, client, made):
    root = _parse(client.get(PATH, query_string={"token": _feed_token(app, world.gp.id)}))
    assert _escalation_ids(root) == [made["gp_meds"], made["gp_pain"]]
    assert root.find(f"{ATOM}title").text == "Escalations for Test GP Practice"
    entries = _entries(root)
    updated = [datetime.fromisoformat(e.find(f"{ATOM}updated").text) for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert root.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert all(i.startswith("tag:localhost,") for i in ids)
    assert len(set(ids)) == len(ids)
    pain = entries[1]
    assert pain.find(f"{ATOM}title").text == "New: pain or illness, urgent"
    assert pain.find(f"{ATOM}link").get("href") == f"http://localhost/escalations/{made['gp_pain']}"
    content = pain.find(f"{ATOM}content")
    assert content.get("type") == "text"
    assert "Chest pain <again>" in content.text
    assert "Status: open" in content.text


def test_entries_keep_stable_ids_between_reads(app, world, client, made):
    token = _feed_token(app, world.gp.id)
    first = [e.find(f"{ATOM}id").text
             for e in _entries(_parse(client.get(PATH, query_string={"token": token})))]
    second = [e.find(f"{ATOM}id").text
              for e in _entries(_parse(client.get(PATH, query_string={"token": token})))]
    assert first == second


def test_client_is_named_but_nothing_more(app, world, client, made):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        name, dob, address, phone = (person.full_name, person.date_of_birth.isoformat(),
                                     person.address, person.phone)
    body = client.get(PATH, query_string={"token": _feed_token(app, world.gp.id)})
    text = body.get_data(as_text=True)
    assert name in text
    for secret in (dob, person.date_of_birth.strftime("%d %b %Y"), address, phone, phone[-6:]):
        assert secret not in text


def test_actions_appear_as_new_entries(app, world, api_as, client, made):
    provider = api_as(world.provider)
    assert provider.post(f"/escalations/{made['gp_pain']}/acknowledge",
                         json={"note": "Calling her now"}).status_code == 200
    root = _parse(client.get(PATH, headers={"Authorization": f"Bearer {provider.token}"}))
    newest = _entries(root)[0]
    assert newest.find(f"{ATOM}title").text == "Acknowledged: pain or illness, urgent"
    assert "Status: acknowledged" in newest.find(f"{ATOM}content").text
    assert _escalation_ids(root) == [made["gp_pain"], made["gp_meds"], made["gp_pain"]]
    # An entry says what its event left: the first one still reads as it did.
    assert "Status: open" in _entries(root)[2].find(f"{ATOM}content").text
    assert provider.post(f"/escalations/{made['gp_pain']}/resolve", json={
        "outcome": "referred_on", "usefulness": 4}).status_code == 200
    # The client is texted the outcome (a message entry); the resolve entry is just below it,
    # without the client: nothing about them is live with the GP any more.
    resolved = next(e for e in _entries(_parse(client.get(
        PATH, headers={"Authorization": f"Bearer {provider.token}"})))
        if e.find(f"{ATOM}title").text.startswith("Resolved"))
    assert resolved.find(f"{ATOM}title").text == "Resolved: pain or illness, urgent"
    assert "Outcome: referred on" in resolved.find(f"{ATOM}content").text
    assert "Chest pain" not in resolved.find(f"{ATOM}content").text


def test_other_organisations_are_never_shown(app, world, api_as, client, made):
    food = _parse(client.get(PATH, query_string={"token": _feed_token(app, world.food_bank.id)}))
    assert _escalation_ids(food) == [made["food"]]
    other = api_as(world.other_coordinator)
    theirs = _parse(client.get(PATH, headers={"Authorization": f"Bearer {other.token}"}))
    assert _escalation_ids(theirs) == [made["foreign"]]
    provider = api_as(world.provider)
    refused = client.get(PATH, query_string={"organisation_id": world.food_bank.id},
                         headers={"Authorization": f"Bearer {provider.token}"})
    assert refused.status_code == 403


def test_admin_reads_one_organisation_or_all(world, api_as, client, made):
    headers = {"Authorization": f"Bearer {api_as(world.admin).token}"}
    everything = _parse(client.get(PATH, headers=headers))
    assert set(_escalation_ids(everything)) == set(made.values())
    food = _parse(client.get(PATH, headers=headers,
                             query_string={"organisation_id": world.food_bank.id}))
    assert _escalation_ids(food) == [made["food"]]
    missing = client.get(PATH, headers=headers, query_string={"organisation_id": 2**31 - 1})
    assert missing.status_code == 404


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-1", "1.5", "٣"])
def test_bad_limit_is_400(limit, app, world, client, made):
    response = client.get(PATH, query_string={"token": _feed_token(app, world.gp.id),
                                              "limit": limit})
    assert response.status_code == 400


def test_limit_keeps_the_newest(app, world, client, made):
    root = _parse(client.get(PATH, query_string={"token": _feed_token(app, world.gp.id),
                                                 "limit": "1"}))
    assert _escalation_ids(root) == [made["gp_meds"]]


def test_an_empty_feed_is_still_valid(app, world, client):
    root = _parse(client.get(PATH, query_string={"token": _feed_token(app, world.gp.id)}))
    assert _entries(root) == []
    assert root.find(f"{ATOM}updated").text
    assert root.find(f"{ATOM}id").text


def test_text_xml_cannot_carry_is_dropped_and_markup_is_escaped(app, world, client):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        person.full_name = "Zoë <b>O'Brien</b> & \x01Sons"
        need = factories.need(person, "transport", description="Bus\x0b to town ]]> <x/>")
        factories.escalation(person, db.session.get(Organisation, world.gp.id), need=need)
        db.session.commit()
    root = _parse(client.get(PATH, query_string={"token": _feed_token(app, world.gp.id)}))
    content = _entries(root)[0].find(f"{ATOM}content").text
    assert "Client: Zoë <b>O'Brien</b> & Sons" in content
    assert "Bus to town ]]> <x/>" in content


def test_each_read_is_audited_per_client(app, world, api_as, client, made):
    token = _feed_token(app, world.gp.id)
    client.get(PATH, query_string={"token": token})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.list")).all()
        assert {e.client_id for e in events} == {world.client_on_round.id,
                                                 world.client_off_round.id}
        assert {e.detail["for"] for e in events} == {"atom"}
        assert all(e.detail["feed_token_id"] and e.via == "feed" for e in events)
    provider = api_as(world.provider)
    client.get(PATH, headers={"Authorization": f"Bearer {provider.token}"})
    with app.app_context():
        mine = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.provider.id)).all()
        assert {e.client_id for e in mine} == {world.client_on_round.id,
                                               world.client_off_round.id}


def test_feed_is_not_cached_on_the_way(app, world, client, made):
    response = client.get(PATH, query_string={"token": _feed_token(app, world.gp.id)})
    assert "no-store" in response.headers["Cache-Control"]
