"""Texts caused by events: prescription on its way, visit reports and alerts to contacts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db, set_clock, utcnow
from outreach.enums import ConsentPurpose, MessageKind, MessageStatus, OrganisationKind, Role
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.messages.outbox import send_committed
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people.models import Client, Contact
from tests import factories
from tests.conftest import ACCEPTED

NOW = datetime(2026, 3, 3, 10, 40, tzinfo=UTC)  # a Tuesday, 10:40 on the island (GMT)


@pytest.fixture(autouse=True)
def _clock(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    set_clock(NOW)
    yield
    set_clock(None)


def texts(app, **where) -> list[Message]:
    with app.app_context():
        query = select(Message).order_by(Message.id)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(db.session.scalars(query))


@pytest.fixture
def family(app, world):
    """Mary (on the round, taking part) and her contacts: her daughter (reports and alerts,
    consent to share), her son (reports only, consent), a neighbour (both, no consent)."""
    with app.app_context():
        mary = db.session.get(Client, world.client_on_round.id)
        mary.full_name = "Mary Le Brun"
        factories.consent(mary)
        daughter = factories.contact(mary, name="Sarah Le Brun", receives_visit_reports=True,
                                     receives_alerts=True)
        son = factories.contact(mary, name="David Le Brun", receives_visit_reports=True,
                                receives_alerts=False, preferred_language="pt")
        neighbour = factories.contact(mary, name="Joan Pallot", relationship="neighbour",
                                      receives_visit_reports=True, receives_alerts=True)
        for contact in (daughter, son):
            factories.consent(mary, ConsentPurpose.SHARE_INFORMATION, contact_id=contact.id)
        db.session.commit()
        return {"client": mary.id, "daughter": daughter.id, "son": son.id,
                "neighbour": neighbour.id}


def visit_body(client_id: int, **kw) -> dict:
    return {"id": str(uuid.uuid4()), "client_id": client_id, "visited_at": utcnow().isoformat(),
            "outcome": "seen_well", "answers": {}, "prescription_delivered": False,
            "appointment_reminded": False, "note": ""} | kw


# --- Visit reports ---------------------------------------------------------------------------


def test_a_new_visit_sends_a_report_to_each_contact_who_chose_them(app, world, api_as, family):
    api = api_as(world.visitor)
    sent = visit_body(family["client"])
    assert api.post("/visits", json=sent).status_code == 201
    reports = texts(app, kind=MessageKind.VISIT_REPORT)
    by_contact = {m.contact_id: m for m in reports}
    assert set(by_contact) == {family["daughter"], family["son"]}  # not the neighbour
    daughter = by_contact[family["daughter"]]
    assert daughter.body == "Call & Check: Mary was visited today at 10:40: all well."
    assert by_contact[family["son"]].body == (
        "Call & Check: visita a Mary hoje às 10:40: está tudo bem.")
    assert daughter.dedupe_key == f"visit:{sent['id']}:report:{family['daughter']}"
    # Sent once the request committed.
    assert {m.status for m in reports} == {ACCEPTED}
    with app.app_context():
        shared = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.share")).all()
    assert sorted(e.detail["contact_id"] for e in shared) == sorted(by_contact)
    assert {e.client_id for e in shared} == {family["client"]}


def test_a_visit_sent_again_sends_no_second_report(app, world, api_as, family):
    api = api_as(world.visitor)
    sent = visit_body(family["client"])
    assert api.post("/visits", json=sent).status_code == 201
    assert api.post("/visits", json=sent).status_code == 200
    assert len(texts(app, kind=MessageKind.VISIT_REPORT)) == 2


@pytest.mark.parametrize(("outcome", "note", "english"), [
    ("seen_concern", "", "Call & Check: Mary was visited today at 10:40: the visitor noted a "
     "concern; the team is following it up."),
    ("declined", "", "Call & Check: our visitor called today at 10:40; Mary preferred not to "
     "have a visit this time. We will call again as planned."),
    ("away", "", "Call & Check: our visitor called today at 10:40; Mary was away from home. "
     "We will call again as planned."),
])
def test_each_outcome_is_worded_for_a_family_member(app, world, api_as, family, outcome, note,
                                                    english):
    api_as(world.visitor).post("/visits", json=visit_body(
        family["client"], outcome=outcome, note=note))
    [report] = texts(app, kind=MessageKind.VISIT_REPORT, contact_id=family["daughter"])
    assert report.body == english


def test_a_concern_note_never_reaches_the_family(app, world, api_as, family):
    api_as(world.visitor).post("/visits", json=visit_body(
        family["client"], outcome="seen_concern", note="Bruised arm, dizzy, new tablets"))
    bodies = " ".join(m.body for m in texts(app))
    assert "Bruised" not in bodies and "tablets" not in bodies


def test_a_visit_synced_late_says_which_day(app, world, api_as, family):
    api_as(world.visitor).post("/visits", json=visit_body(
        family["client"], visited_at="2026-03-02T10:05:00+00:00"))
    report = texts(app, contact_id=family["daughter"])[0]
    assert report.body == "Call & Check: Mary was visited on Monday 2 March at 10:05: all well."
    son = texts(app, contact_id=family["son"])[0]
    assert "na segunda-feira, 2 de março, às 10:05" in son.body


def test_no_answer_alerts_the_contacts_who_get_alerts_and_reports_the_others(
        app, world, api_as, family):
    api_as(world.visitor).post("/visits", json=visit_body(family["client"], outcome="no_answer"))
    [alert] = texts(app, contact_id=family["daughter"])  # an alert, not also a report
    assert alert.kind == MessageKind.ALERT and alert.urgent
    assert alert.body == ("Mary: no answer at the door when our visitor called. Reply OK if "
                          "you are checking; if not, Call & Check will.")
    [report] = texts(app, contact_id=family["son"])
    assert report.kind == MessageKind.VISIT_REPORT
    assert report.body == ("Call & Check: visita a Mary hoje às 10:40: ninguém abriu a porta; a "
                           "equipa está a verificar.")
    assert texts(app, contact_id=family["neighbour"]) == []


def test_withdrawn_consent_stops_reports(app, world, api_as, family):
    with app.app_context():
        consent = db.session.scalar(select(Consent).where(
            Consent.contact_id == family["daughter"]))
        consent.withdrawn_at = utcnow()
        db.session.commit()
    api_as(world.visitor).post("/visits", json=visit_body(family["client"]))
    assert {m.contact_id for m in texts(app)} == {family["son"]}


def test_a_client_who_no_longer_takes_part_shares_nothing(app, world, api_as, family):
    with app.app_context():
        taking_part = db.session.scalar(select(Consent).where(
            Consent.client_id == family["client"], Consent.purpose == ConsentPurpose.TAKE_PART))
        taking_part.withdrawn_at = utcnow()
        db.session.commit()
    api_as(world.visitor).post("/visits", json=visit_body(family["client"], outcome="no_answer"))
    assert texts(app) == []


def test_contacts_who_cannot_be_texted_are_skipped_without_a_row(app, world, api_as, family):
    with app.app_context():
        daughter = db.session.get(Contact, family["daughter"])
        numbers.opt_out(daughter.phone, "STOP", utcnow())
        db.session.get(Contact, family["son"]).phone = None
        db.session.commit()
    api_as(world.visitor).post("/visits", json=visit_body(family["client"]))
    assert texts(app) == []


def test_a_visit_in_the_quiet_hours_reports_in_the_morning(app, world, api_as, family):
    set_clock(datetime(2026, 3, 3, 21, 15, tzinfo=UTC))
    api_as(world.visitor).post("/visits", json=visit_body(family["client"]))
    [report] = texts(app, contact_id=family["daughter"])
    assert report.status == MessageStatus.QUEUED
    assert report.send_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert "today at 21:15" in report.body


# --- Alerts ----------------------------------------------------------------------------------


def test_a_fall_reported_at_the_door_alerts_at_once_without_detail(app, world, api_as, family):
    set_clock(datetime(2026, 3, 3, 22, 0, tzinfo=UTC))  # urgent: not held by the quiet hours
    api_as(world.visitor).post("/visits", json=visit_body(
        family["client"], answers={"falls_pain_illness": ["fall", "pain"]}))
    [alert] = texts(app, contact_id=family["daughter"])
    assert alert.kind == MessageKind.ALERT and alert.urgent
    assert alert.body == ("Mary: a fall has been reported. Reply OK if you are dealing with "
                          "it; if not, Call & Check will follow it up.")
    assert alert.status == ACCEPTED and alert.send_at is None
    # The son gets no alerts, so his report; pain goes to the GP practice, not to contacts.
    assert [m.kind for m in texts(app, contact_id=family["son"])] == [MessageKind.VISIT_REPORT]
    assert "pain" not in alert.body.lower()


def test_a_fall_with_the_visitors_note_is_one_need_and_contacts_never_get_the_words(
        app, world, api_as, family):
    set_clock(datetime(2026, 3, 3, 22, 0, tzinfo=UTC))
    words = "Found on the kitchen floor, says the stairs are slippery"
    response = api_as(world.visitor).post("/visits", json=visit_body(
        family["client"], outcome="seen_concern", answers={"falls_pain_illness": ["fall"]},
        note=words))
    assert response.status_code == 201, response.get_json()
    # One need, the fall, carrying the visitor's words: no separate "other" need for the note.
    assert [(n["category"], n["severity"]) for n in response.get_json()["needs"]] == [
        ("fall", "urgent")]
    with app.app_context():
        [need] = db.session.scalars(select(Need).where(Need.client_id == family["client"]))
        assert words in need.description
    texts_out = texts(app, client_id=family["client"]) + texts(app, contact_id=family["daughter"])
    assert any(m.kind == MessageKind.ALERT for m in texts_out)
    assert all("kitchen" not in m.body and "slippery" not in m.body for m in
               texts(app) if m.contact_id is not None)


def test_only_needs_the_rules_route_to_contacts_alert_them(ctx, world, family):
    mary = db.session.get(Client, family["client"])
    create_need(None, mary, "food_or_shopping", "soon", "Fridge empty", "web")
    create_need(None, mary, "loneliness", "routine", "Lonely", "visit")
    assert db.session.scalars(select(Message)).all() == []
    need = create_need(None, mary, "fall", "soon", "Slipped in the garden", "web")
    [alert] = db.session.scalars(select(Message)).all()
    assert alert.dedupe_key == f"need:{need.id}:alert:{family['daughter']}"
    assert not alert.urgent and alert.status == MessageStatus.QUEUED  # sent after commit


def test_a_need_raised_in_a_transaction_that_rolls_back_sends_nothing(app, ctx, world, family):
    mary = db.session.get(Client, family["client"])
    create_need(None, mary, "fall", "urgent", "Fell", "web")
    db.session.rollback()
    assert send_committed() == 0
    assert db.session.scalars(select(Message)).all() == []


# --- Prescriptions ---------------------------------------------------------------------------


@pytest.fixture
def pharmacy(app, world, family):
    with app.app_context():
        org = factories.organisation(OrganisationKind.HEALTH, name="Les Ruettes Pharmacy")
        person = factories.user(Role.PROVIDER, org)
        mary = db.session.get(Client, family["client"])
        factories.consent(mary, ConsentPurpose.SHARE_INFORMATION, organisation_id=org.id)
        made = factories.prescription(mary, org)
        db.session.commit()
        return {"user": person, "prescription": made.id}


def move(api, client_id: int, prescription_id: int, status: str, reason: str = ""):
    body = {"status": status} | ({"reason": reason} if reason else {})
    response = api.post(f"/clients/{client_id}/prescriptions/{prescription_id}/status",
                        json=body)
    assert response.status_code == 200, response.get_json()
    return response


def test_the_client_is_told_their_prescription_is_on_its_way_once(app, api_as, family,
                                                                   pharmacy):
    api = api_as(pharmacy["user"])
    move(api, family["client"], pharmacy["prescription"], "out_for_delivery")
    [notice] = texts(app, kind=MessageKind.PRESCRIPTION_NOTICE)
    assert notice.body == ("Hello Mary, it's Call & Check. Your prescription from Les Ruettes "
                           "Pharmacy is on its way and will be brought to your door.")
    assert notice.client_id == family["client"] and notice.contact_id is None
    assert notice.dedupe_key == f"prescription:{pharmacy['prescription']}:on_its_way"
    assert notice.status == ACCEPTED
    # Not delivered, ready again, out again: the client has already been told.
    move(api, family["client"], pharmacy["prescription"], "not_delivered", "Nobody home")
    move(api, family["client"], pharmacy["prescription"], "ready")
    move(api, family["client"], pharmacy["prescription"], "out_for_delivery")
    assert len(texts(app, kind=MessageKind.PRESCRIPTION_NOTICE)) == 1


def test_a_prescription_with_no_pharmacy_is_worded_without_one(app, world, api_as, family):
    with app.app_context():
        made = factories.prescription(db.session.get(Client, family["client"]))
        db.session.commit()
    move(api_as(world.coordinator), family["client"], made.id, "out_for_delivery")
    [notice] = texts(app, kind=MessageKind.PRESCRIPTION_NOTICE)
    assert notice.body == ("Hello Mary, it's Call & Check. Your prescription is on its way and "
                           "will be brought to your door.")


def test_no_prescription_notice_to_an_opted_out_client(app, api_as, family, pharmacy):
    with app.app_context():
        numbers.opt_out(db.session.get(Client, family["client"]).phone, "STOP", utcnow())
        db.session.commit()
    move(api_as(pharmacy["user"]), family["client"], pharmacy["prescription"],
         "out_for_delivery")
    assert texts(app) == []
