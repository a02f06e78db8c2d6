"""Notes reach another system without contact details: Atom, FHIR, the pull feed, webhooks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.escalations import feed_tokens
from outreach.escalations.models import EscalationEvent
from outreach.escalations.webhooks import body_of
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories

SAID = "Her son (tél. 06 12 34 56 78) worries; she fell near 75001 Paris, 3 tablets at 9h30"
NOTE = "Rang the daughter on +351 912 345 678, wrote to maria@example.pt, 1000-001 Lisboa"
OUTCOME = "Neighbour Jan, 601-234-567, 00-950 Warszawa, took her to the GP at 10:15"
SECRETS = ("06 12 34 56 78", "75001", "912 345 678", "maria@example.pt", "1000-001",
           "601-234-567", "00-950")


@pytest.fixture
def noted(app, world, api_as):
    """An escalation to the GP practice whose need and timeline carry other people's contact
    details (acknowledged and noted by the practice through the API); the client's consent to
    share with the practice stands."""
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        gp = db.session.get(Organisation, world.gp.id)
        factories.consent(person, ConsentPurpose.SHARE_INFORMATION, organisation_id=gp.id)
        need = factories.need(person, "fall", "urgent", description=SAID)
        made = factories.escalation(person, gp, need=need, category="fall",
                                    severity="urgent").id
        db.session.commit()
    practice = api_as(world.provider)
    assert practice.post(f"/escalations/{made}/acknowledge", json={"note": NOTE}).status_code \
        == 200
    # A note, not the outcome: the practice sees the client's words only while the escalation
    # is live (escalations.disclosure); a resolved one keeps its bare record.
    answer = practice.post(f"/escalations/{made}/notes", json={"note": OUTCOME})
    assert answer.status_code == 201, answer.get_json()
    return made


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "[phone]" in text


def test_the_atom_entry_says_the_need_without_contact_details(app, world, client, noted):
    with app.app_context():
        admin = db.session.get(type(world.admin), world.admin.id)
        raw, _ = feed_tokens.issue(admin, db.session.get(Organisation, world.gp.id), "test")
        db.session.commit()
    text = client.get("/feeds/escalations.atom", query_string={"token": raw}).get_data(True)
    _clean(text)
    assert "she fell near [postcode] Paris, 3 tablets at 9h30" in text


def test_the_fhir_task_notes_carry_no_contact_details(world, api_as, client, noted):
    task = client.get(f"/fhir/r4/Task/{noted}", headers={
        "Authorization": f"Bearer {api_as(world.provider).token}"}).get_json()
    _clean(json.dumps(task, ensure_ascii=False))
    assert task["description"].startswith("Her son (tél. [phone]) worries")
    assert any(n["text"] == "Rang the daughter on [phone], wrote to [email], [postcode] Lisboa"
               for n in task["note"])


def test_the_pull_feed_and_the_webhook_body_carry_no_contact_details(app, world, api_as,
                                                                     noted):
    items = api_as(world.provider).get("/escalations?since=0&limit=100").get_json()["items"]
    pulled = json.dumps([i for i in items if i["escalation_id"] == noted], ensure_ascii=False)
    _clean(pulled)
    assert "took her to the GP at 10:15" in pulled
    with app.app_context():
        events = list(db.session.scalars(select(EscalationEvent).where(
            EscalationEvent.escalation_id == noted)))
        for event in events:
            _clean(body_of(event).decode())
        assert OUTCOME in [event.note for event in events]  # kept in full here
