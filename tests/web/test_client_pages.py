"""The coordinator's client pages, through real forms with CSRF tokens."""

import re

from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.db import db
from outreach.people.models import Client
from tests.conftest import csrf_token


def _enrol_form(world, token, **overrides):
    form = {
        "csrf_token": token, "programme_id": str(world.programme.id),
        "full_name": "Zofia Nowak", "date_of_birth": "1944-11-02", "phone": "07700 900654",
        "address": "7 Le Mont", "parish": "Trinity", "preferred_language": "pl",
        "lives_alone": "on", "gp_practice_id": str(world.gp.id), "round_id": "",
        "walk_order": "", "access_notes": "", "notes": "",
        "contact-name": "Piotr Nowak", "contact-relationship": "son",
        "contact-phone": "07700 900655", "contact-email": "",
        "contact-preferred_language": "pl", "contact-receives": ["visit_reports", "alerts"],
        "consent_take_part": "on", "consent_given_by": "client",
        "consent_share_gp": "on", "consent_share_contact": "on",
    }
    form.update(overrides)
    return form


def test_enrol_a_client_with_contact_and_consents(world, client, login, app):
    login(world.coordinator)
    token = csrf_token(client, "/clients/new")
    response = client.post("/clients/new", data=_enrol_form(world, token))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Zofia Nowak is enrolled." in text
    assert "Piotr Nowak" in text and "Polski" in text
    with app.app_context():
        made = db.session.scalar(select(Client).where(Client.full_name == "Zofia Nowak"))
        consents = db.session.scalars(select(Consent).where(Consent.client_id == made.id)).all()
        assert made.phone == "+447700900654"
        assert made.contacts[0].receives == ["visit_reports", "alerts"]
        assert sorted(c.purpose.value for c in consents) == [
            "share_information", "share_information", "take_part"]


def test_enrol_form_shows_errors_and_keeps_nothing(world, client, login, app):
    login(world.coordinator)
    token = csrf_token(client, "/clients/new")
    response = client.post("/clients/new", data=_enrol_form(
        world, token, full_name="", phone="12345", date_of_birth="2999-01-01",
        consent_take_part=None))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please check the form" in text
    assert "This phone number is not valid" in text or "does not look like" in text
    assert "Cannot be in the future" in text
    assert "agreement to take part" in text
    with app.app_context():
        assert db.session.scalar(select(Client).where(Client.parish == "Trinity")) is None


def test_duplicate_warning_then_enrol_anyway(world, client, login):
    login(world.coordinator)
    token = csrf_token(client, "/clients/new")
    assert client.post("/clients/new", data=_enrol_form(world, token)).status_code == 302
    token = csrf_token(client, "/clients/new")
    again = client.post("/clients/new", data=_enrol_form(world, token))
    assert again.status_code == 409
    assert "may already be enrolled" in again.get_data(as_text=True)
    forced = client.post("/clients/new", data=_enrol_form(world, token, force="on"))
    assert forced.status_code == 302


def test_edit_add_contact_and_withdraw_consent(world, client, login, app):
    login(world.coordinator)
    cid = world.client_off_round.id
    token = csrf_token(client, f"/clients/{cid}/edit")
    page = client.get(f"/clients/{cid}/edit").get_data(as_text=True)
    assert 'name="full_name"' in page
    saved = client.post(f"/clients/{cid}/edit", data={
        "csrf_token": token, "full_name": "Renamed Person", "parish": "St Ouen",
        "preferred_language": "fr"})
    assert saved.status_code == 302
    added = client.post(f"/clients/{cid}/contacts", data={
        "csrf_token": token, "name": "Neighbour Nina", "phone": "07700 900777",
        "receives": "alerts"})
    assert added.status_code == 302
    given = client.post(f"/clients/{cid}/consents", data={
        "csrf_token": token, "purpose": "take_part", "given_by": "client"})
    assert given.status_code == 302
    show = client.get(f"/clients/{cid}").get_data(as_text=True)
    assert "Renamed Person" in show and "Neighbour Nina" in show and "Français" in show
    link = re.search(rf'/clients/{cid}/consents/(\d+)/withdraw', show)
    assert link
    confirm = client.get(link.group(0))
    assert "From now on nothing is shared" in confirm.get_data(as_text=True)
    done = client.post(link.group(0), data={"csrf_token": token, "reason": "moved away"})
    assert done.status_code == 302
    assert "withdrawn" in client.get(f"/clients/{cid}").get_data(as_text=True)


def test_bad_contact_on_page_is_shown_not_stored(world, client, login):
    login(world.coordinator)
    cid = world.client_off_round.id
    token = csrf_token(client, f"/clients/{cid}")
    bad = client.post(f"/clients/{cid}/contacts", data={"csrf_token": token, "name": "X",
                                                        "phone": "+1 212 555 0100"})
    assert bad.status_code == 422
    assert "not accepted here" in bad.get_data(as_text=True)


def test_html_in_names_is_escaped(world, client, login, api_as):
    api_as(world.coordinator).patch(f"/clients/{world.client_off_round.id}",
                                    json={"full_name": "<script>alert(1)</script>"})
    login(world.coordinator)
    text = client.get("/clients/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_visitor_reads_own_round_only_and_cannot_enrol(world, client, login):
    login(world.visitor)
    listing = client.get("/clients/").get_data(as_text=True)
    assert f"/clients/{world.client_on_round.id}" in listing
    assert f"/clients/{world.client_off_round.id}" not in listing
    assert client.get(f"/clients/{world.client_on_round.id}").status_code == 200
    assert client.get(f"/clients/{world.client_off_round.id}").status_code == 403
    assert client.get("/clients/new").status_code == 403
    assert client.get(f"/clients/{world.client_on_round.id}/edit").status_code == 403


def test_pages_need_login(client):
    response = client.get("/clients/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_dates_on_the_client_page_are_the_programmes_local_dates(world, client, login, app):
    from datetime import UTC, datetime

    from tests import factories

    with app.app_context():
        person = db.session.get(Client, world.client_off_round.id)
        # 23:30 UTC on 30 June is already 1 July in Jersey (BST).
        factories.consent(person, given_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
        db.session.commit()
    login(world.coordinator)
    page = client.get(f"/clients/{world.client_off_round.id}").get_data(as_text=True)
    assert "given 1 July 2026" in page
    assert "30 June 2026" not in page
