"""The appointments and prescriptions section of a client's page, and the pharmacy page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.care.models import Appointment, Prescription
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, OrganisationKind, Role
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import csrf_token

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # a Monday in summer: Jersey is on BST


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def pharmacy(app, world):
    """A pharmacy, its user, and a ready prescription for a client who agreed to share with it."""
    with app.app_context():
        org = factories.organisation(OrganisationKind.HEALTH, name="Les Ruettes Pharmacy")
        person = factories.user(Role.PROVIDER, org)
        on = db.session.get(Client, world.client_on_round.id)
        factories.consent(on, ConsentPurpose.TAKE_PART)
        factories.consent(on, ConsentPurpose.SHARE_INFORMATION, organisation_id=org.id)
        shared = factories.prescription(on, org, description="Blister pack, week 23").id
        # Not shared: the client never agreed, so the pharmacy must not see the name.
        off = db.session.get(Client, world.client_off_round.id)
        hidden = factories.prescription(off, org, description="Hidden bag").id
        db.session.commit()
        return {"org": org.id, "user": person, "shared": shared, "hidden": hidden}


def test_client_page_lists_upcoming_care_and_adds_an_appointment(app, world, client, login):
    cid = world.client_off_round.id
    with app.app_context():
        person = db.session.get(Client, cid)
        factories.appointment(person, NOW + timedelta(days=1), with_whom="Eye clinic")
        factories.appointment(person, NOW - timedelta(days=1), with_whom="Old visit")
        factories.prescription(person, db.session.get(Organisation, world.gp.id),
                               description="Repeat prescription, 2 bags")
        db.session.commit()
    login(world.coordinator)
    page = client.get(f"/clients/{cid}").get_data(as_text=True)
    assert "Appointments and prescriptions" in page
    assert "Tue 3 June 2025, 09:00" in page  # 08:00 UTC shown in Jersey summer time
    assert "Old visit" not in page
    assert "Repeat prescription, 2 bags" in page and "Ready to take out" in page
    token = csrf_token(client, f"/clients/{cid}")
    added = client.post(f"/clients/{cid}/appointments", data={
        "csrf_token": token, "day": "2025-06-05", "time": "14:15", "with_whom": "Dr Amy",
        "place": "Maison Verte", "transport_needed": "on"})
    assert added.status_code == 302, added.get_data(as_text=True)
    with app.app_context():
        made = db.session.scalar(select(Appointment).where(Appointment.with_whom == "Dr Amy"))
        assert made.starts_at == datetime(2025, 6, 5, 13, 15, tzinfo=UTC)
        assert made.transport_needed is True
    shown = client.get(f"/clients/{cid}").get_data(as_text=True)
    assert "Thu 5 June 2025, 14:15" in shown and "Needs transport" in shown


@pytest.mark.parametrize(("form", "message"), [
    ({"day": "", "time": "10:00"}, "Enter the date"),
    ({"day": "2025-06-05", "time": "25:00"}, "Enter the time"),
    ({"day": "2027-06-05", "time": "10:00"}, "More than a year ahead"),
    ({"day": "1930-01-01", "time": "10:00"}, "Before the client"),
    ({"day": "2025-06-05", "time": "10:00", "place": "x" * 301}, "at most 300"),
    ({"day": "2025-06-05", "time": "10:00", "notes": "a\x00b"}, "not allowed"),
])
def test_bad_appointment_form_shows_errors_and_keeps_nothing(app, world, client, login,
                                                             form, message):
    cid = world.client_off_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    response = client.post(f"/clients/{cid}/appointments", data={"csrf_token": token, **form})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please check the form" in text and message in text
    with app.app_context():
        assert db.session.scalar(select(Appointment)) is None


def test_cancel_an_appointment_from_the_page(app, world, client, login):
    cid = world.client_off_round.id
    with app.app_context():
        aid = factories.appointment(db.session.get(Client, cid), NOW + timedelta(days=2)).id
        db.session.commit()
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    done = client.post(f"/clients/{cid}/appointments/{aid}/cancel", data={"csrf_token": token})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, aid).cancelled_at == NOW
    assert "No appointments coming up" in client.get(f"/clients/{cid}").get_data(as_text=True)


def test_add_a_prescription_from_the_page(app, world, client, login):
    cid = world.client_off_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    bad = client.post(f"/clients/{cid}/prescriptions", data={
        "csrf_token": token, "description": "", "pharmacy_id": str(world.food_bank.id)})
    assert bad.status_code == 422
    assert "Cannot be blank" in bad.get_data(as_text=True)
    wrong = client.post(f"/clients/{cid}/prescriptions", data={
        "csrf_token": token, "description": "Pills", "pharmacy_id": str(world.food_bank.id)})
    assert wrong.status_code == 422
    assert "Not a health organisation" in wrong.get_data(as_text=True)
    done = client.post(f"/clients/{cid}/prescriptions", data={
        "csrf_token": token, "description": "Inhaler", "pharmacy_id": str(world.gp.id)})
    assert done.status_code == 302
    with app.app_context():
        made = db.session.scalars(select(Prescription)).all()
        assert [(p.description, p.pharmacy_id, p.status) for p in made] == [
            ("Inhaler", world.gp.id, "ready")]


def test_visitor_sees_the_section_without_forms(app, world, client, login):
    login(world.visitor)
    page = client.get(f"/clients/{world.client_on_round.id}").get_data(as_text=True)
    assert "Appointments and prescriptions" in page
    assert "Add an appointment" not in page


def test_pharmacy_page_moves_a_prescription_on(app, world, client, login, pharmacy):
    login(pharmacy["user"])
    page = client.get("/pharmacy")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Blister pack, week 23" in text and world.client_on_round.full_name in text
    assert "Hidden bag" not in text and world.client_off_round.full_name not in text
    assert "Round: St Helier North" in text
    assert 'href="/pharmacy"' in client.get("/clients/").get_data(as_text=True)
    token = csrf_token(client, "/pharmacy")
    url = f"/pharmacy/prescriptions/{pharmacy['shared']}/status"

    def move(**form):
        response = client.post(url, data={"csrf_token": token, **form})
        assert response.status_code == 302
        with app.app_context():
            return db.session.get(Prescription, pharmacy["shared"])

    assert move(status="out_for_delivery").status == "out_for_delivery"
    # Without a reason "not delivered" is refused, and said so on the page.
    assert move(status="not_delivered", reason="").status == "out_for_delivery"
    assert "Say why it was not delivered" in client.get("/pharmacy").get_data(as_text=True)
    assert move(status="ready").status == "out_for_delivery"  # not allowed from here
    failed = move(status="not_delivered", reason="No answer at the door")
    assert (failed.status, failed.not_delivered_reason) == ("not_delivered",
                                                            "No answer at the door")
    assert "No answer at the door" in client.get("/pharmacy").get_data(as_text=True)
    assert move(status="ready").status == "ready"
    assert move(status="out_for_delivery").status == "out_for_delivery"
    assert move(status="delivered").delivered_at == NOW
    assert move(status="bogus").status == "delivered"


def test_pharmacy_cannot_move_what_it_may_not_see(app, world, client, login, pharmacy):
    login(pharmacy["user"])
    token = csrf_token(client, "/pharmacy")
    hidden = client.post(f"/pharmacy/prescriptions/{pharmacy['hidden']}/status",
                         data={"csrf_token": token, "status": "out_for_delivery"})
    assert hidden.status_code == 403
    with app.app_context():
        other = factories.prescription(db.session.get(Client, world.client_on_round.id),
                                       db.session.get(Organisation, world.gp.id)).id
        db.session.commit()
    theirs = client.post(f"/pharmacy/prescriptions/{other}/status",
                         data={"csrf_token": token, "status": "out_for_delivery"})
    assert theirs.status_code == 404


def test_only_pharmacies_get_the_pharmacy_page(app, world, client, login):
    login(world.coordinator)
    assert client.get("/pharmacy").status_code == 403
    assert 'href="/pharmacy"' not in client.get("/clients/").get_data(as_text=True)


def test_pharmacy_page_escapes_names(app, world, client, login, pharmacy):
    with app.app_context():
        db.session.get(Client, world.client_on_round.id).full_name = "<b>Bold</b>"
        db.session.commit()
    login(pharmacy["user"])
    text = client.get("/pharmacy").get_data(as_text=True)
    assert "<b>Bold</b>" not in text and "&lt;b&gt;Bold&lt;/b&gt;" in text
    assert re.search(r'id="reason-\d+"', text)


def test_pharmacy_adds_a_prescription_only_for_clients_who_share_with_it(
        app, world, client, login, pharmacy):
    login(pharmacy["user"])
    page = client.get("/pharmacy").get_data(as_text=True)
    assert "Add a prescription to deliver" in page
    # Only the client who agreed to share with this pharmacy is offered.
    assert f'<option value="{world.client_on_round.id}"' in page
    assert f'<option value="{world.client_off_round.id}"' not in page
    token = csrf_token(client, "/pharmacy")
    added = client.post("/pharmacy/prescriptions", data={
        "csrf_token": token, "client_id": str(world.client_on_round.id),
        "description": "Eye drops"})
    assert added.status_code == 302
    refused = client.post("/pharmacy/prescriptions", data={
        "csrf_token": token, "client_id": str(world.client_off_round.id),
        "description": "Not theirs to add"})
    assert refused.status_code == 403
    blank = client.post("/pharmacy/prescriptions", data={
        "csrf_token": token, "client_id": "", "description": ""})
    assert blank.status_code == 422
    assert "Choose the client" in blank.get_data(as_text=True)
    with app.app_context():
        made = db.session.scalars(select(Prescription).where(
            Prescription.description.in_(["Eye drops", "Not theirs to add"]))).all()
        assert [(p.client_id, p.pharmacy_id, p.status) for p in made] == [
            (world.client_on_round.id, pharmacy["org"], "ready")]
