"""Consent: recorded, withdrawn, and asked before anything is shared."""

from datetime import timedelta

from outreach.consent import services
from outreach.db import db, utcnow
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from tests import factories


def test_sharing_needs_consent_to_take_part_and_to_share(world, ctx):
    client = db.session.get(Client, world.client_off_round.id)
    gp = db.session.get(Organisation, world.gp.id)
    food_bank = db.session.get(Organisation, world.food_bank.id)
    contact = factories.contact(client)
    assert not services.may_share_with(client, organisation=gp)
    services.record_consent(None, client, {"purpose": "share_information",
                                           "organisation_id": gp.id})
    # Consent to share means nothing while the client has not agreed to take part.
    assert not services.may_share_with(client, organisation=gp)
    services.record_consent(None, client, {"purpose": "take_part"})
    assert services.may_share_with(client, organisation=gp)
    assert not services.may_share_with(client, organisation=food_bank)
    assert not services.may_share_with(client, contact=contact)


def test_withdrawal_stops_sharing(world, ctx):
    client = db.session.get(Client, world.client_off_round.id)
    contact: Contact = factories.contact(client)
    services.record_consent(None, client, {"purpose": "take_part"})
    share = services.record_consent(None, client, {"purpose": "share_information",
                                                   "contact_id": contact.id})
    assert services.may_share_with(client, contact=contact)
    services.withdraw(None, share, "changed her mind")
    assert not services.may_share_with(client, contact=contact)
    # It can be given again later.
    services.record_consent(None, client, {"purpose": "share_information",
                                           "contact_id": contact.id})
    assert services.may_share_with(client, contact=contact)


def test_api_records_and_withdraws_consent(world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    given = api.post(f"/clients/{cid}/consents", json={
        "purpose": "share_information", "organisation_id": world.gp.id,
        "given_by": "Daughter (lasting power of attorney)"})
    assert given.status_code == 201, given.get_json()
    consent = given.get_json()
    assert consent["active"] is True and consent["recorded_by_id"] == world.coordinator.id
    twice = api.post(f"/clients/{cid}/consents", json={
        "purpose": "share_information", "organisation_id": world.gp.id})
    assert twice.status_code == 409
    withdrawn = api.post(f"/clients/{cid}/consents/{consent['id']}/withdraw",
                         json={"reason": "asked us to stop"})
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["active"] is False
    assert withdrawn.get_json()["withdrawn_by_id"] == world.coordinator.id
    again = api.post(f"/clients/{cid}/consents/{consent['id']}/withdraw", json={})
    assert again.status_code == 409
    listed = api.get(f"/clients/{cid}/consents").get_json()["items"]
    assert [c["id"] for c in listed] == [consent["id"]]


def test_consent_shape_is_checked(world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    no_recipient = api.post(f"/clients/{cid}/consents", json={"purpose": "share_information"})
    assert no_recipient.status_code == 422
    both = api.post(f"/clients/{cid}/consents", json={
        "purpose": "share_information", "organisation_id": world.gp.id, "contact_id": 1})
    assert both.status_code == 422
    future = api.post(f"/clients/{cid}/consents", json={
        "purpose": "take_part", "given_at": (utcnow() + timedelta(days=2)).isoformat()})
    assert future.status_code == 422
    other_clients_contact = api.post(f"/clients/{cid}/consents", json={
        "purpose": "share_information", "contact_id": 999999})
    assert other_clients_contact.status_code == 422




def test_times_that_overflow_are_refused_not_crashed(world, api_as):
    response = api_as(world.coordinator).post(
        f"/clients/{world.client_off_round.id}/consents",
        json={"purpose": "take_part", "given_at": "0001-01-01T00:00+01:00"})
    assert response.status_code == 422
    assert "given_at" in response.get_json()["error"]["fields"]
