"""The web self-report form: texting the link, the public form in four languages, the need it
raises, and everything that must be refused (wrong role, bad input, no CSRF, dead links, floods)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db, set_clock
from outreach.enums import Language, MessageKind, NeedSource
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.selfreport import services
from outreach.selfreport.models import SelfReportLink
from outreach.selfreport.texts import WORDS
from tests import factories
from tests.conftest import ACCEPTED, csrf_token

NOON = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # a Tuesday, outside quiet hours
LINK = re.compile(r"http://localhost/tell-us/([A-Za-z0-9_-]{32})")
DEAD = "This link does not work any more"


@pytest.fixture(autouse=True)
def _daytime():
    set_clock(NOON)
    yield
    set_clock(None)


def _issue(app, client_id: int, actor_id: int, now: datetime = NOON) -> str:
    """A link made directly by the service, as a coordinator would; answers its token."""
    with app.app_context():
        actor = db.session.get(User, actor_id)
        link, token = services.issue_link(actor, db.session.get(Client, client_id), now)
        db.session.commit()
        return token


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _report(client, token: str, **form):
    data = {"category": "fall", "how_soon": "today", "description": "",
            "csrf_token": csrf_token(client, f"/tell-us/{token}"), **form}
    return client.post(f"/tell-us/{token}", data=data)


# --- Texting the link -----------------------------------------------------------------------

def test_coordinator_texts_a_link_and_the_earlier_one_stops_working(app, world, client, login):
    person = world.client_on_round
    earlier = _issue(app, person.id, world.coordinator.id)
    login(world.coordinator)
    page = client.get(f"/clients/{person.id}").get_data(as_text=True)
    assert "Text a link to tell us what they need" in page

    response = client.post(f"/clients/{person.id}/self-report-link",
                           data={"csrf_token": csrf_token(client, f"/clients/{person.id}")})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/clients/{person.id}")
    shown = client.get(f"/clients/{person.id}").get_data(as_text=True)
    assert f"A link was texted to {person.full_name}." in shown
    with app.app_context():
        message = db.session.scalars(select(Message).where(
            Message.client_id == person.id, Message.kind == MessageKind.FREE_TEXT)).one()
        assert message.phone == person.phone
        assert message.status == ACCEPTED
        assert message.body.startswith(f"Hello {person.full_name.split()[0]}, it's Call & Check")
        token = LINK.search(message.body).group(1)
        links = db.session.scalars(select(SelfReportLink).where(
            SelfReportLink.client_id == person.id).order_by(SelfReportLink.id)).all()
        assert [link.revoked_at is not None for link in links] == [True, False]
        # Only the digest is kept, never the token itself.
        assert links[1].token_digest == hashlib.sha256(token.encode()).hexdigest()
        assert token not in links[1].token_digest
        assert services.link_for(token).id == links[1].id
        assert services.link_for(earlier) is None
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "selfreport.issue", AuditEvent.client_id == person.id,
            AuditEvent.actor_id == world.coordinator.id)) is not None
    assert client.get(f"/tell-us/{earlier}").status_code == 404
    assert client.get(f"/tell-us/{token}").status_code == 200


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor", "other_coordinator"])
def test_people_who_do_not_manage_the_client_are_refused_and_it_is_audited(
        app, world, client, login, role):
    user = getattr(world, role)
    person = world.client_on_round
    login(user)

    response = client.post(f"/clients/{person.id}/self-report-link",
                           data={"csrf_token": csrf_token(client, "/clients/")})

    assert response.status_code == 403
    assert _count(app, SelfReportLink, SelfReportLink.client_id == person.id) == 0
    assert _count(app, Message, Message.client_id == person.id) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "client.denied",
                  AuditEvent.actor_id == user.id, AuditEvent.client_id == person.id) == 1


def test_the_button_is_only_for_those_who_manage_the_client(world, client, login):
    login(world.visitor)
    page = client.get(f"/clients/{world.client_on_round.id}")
    assert page.status_code == 200
    assert "Text a link to tell us what they need" not in page.get_data(as_text=True)


def test_anonymous_callers_are_sent_to_log_in(world, client):
    response = client.post(f"/clients/{world.client_on_round.id}/self-report-link",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("setup", "reason"), [
    ("no_phone", "There is no mobile number."),
    ("opted_out", "opted out of texts"),
    ("invalid", "not a working mobile number"),
])
def test_no_link_is_sent_to_a_number_that_must_not_be_texted(app, world, client, login,
                                                               setup, reason):
    with app.app_context():
        person = factories.client(db.session.get(Client, world.client_on_round.id).programme,
                                  phone=None if setup == "no_phone" else "+447700900555")
        if setup == "opted_out":
            numbers.opt_out(person.phone, "replied STOP", NOON)
        elif setup == "invalid":
            factories.sms_number(person.phone, invalid=True)
        db.session.commit()
        person_id = person.id
    login(world.coordinator)

    response = client.post(f"/clients/{person_id}/self-report-link",
                           data={"csrf_token": csrf_token(client, "/clients/")})

    assert response.status_code == 302
    assert reason in client.get(f"/clients/{person_id}").get_data(as_text=True)
    assert _count(app, SelfReportLink, SelfReportLink.client_id == person_id) == 0
    assert _count(app, Message, Message.client_id == person_id) == 0
    # The refused attempt still read the client, and that read is on record.
    assert _count(app, AuditEvent, AuditEvent.action == "client.read",
                  AuditEvent.client_id == person_id) >= 1


# --- The public form ------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "phrase"), [
    (Language.ENGLISH, "What do you need help with?"),
    (Language.PORTUGUESE, "Precisa de ajuda com quê?"),
    (Language.POLISH, "W czym potrzebujesz pomocy?"),
    (Language.FRENCH, "Pour quoi avez-vous besoin d'aide ?"),
])
def test_the_form_speaks_the_clients_language_and_shows_nothing_about_them(
        app, world, client, language, phrase):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        person.preferred_language = language
        db.session.commit()
        private = [person.full_name, person.full_name.split()[0], person.address, person.phone]
    token = _issue(app, world.client_on_round.id, world.coordinator.id)

    page = client.get(f"/tell-us/{token}")

    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert phrase in body and f'<html lang="{language.value}">' in body
    assert not any(secret in body for secret in private)
    assert "safeguarding" not in body and "no_response" not in body
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Any of the four can be chosen instead.
    other = Language.FRENCH if language != Language.FRENCH else Language.POLISH
    switched = client.get(f"/tell-us/{token}?lang={other.value}").get_data(as_text=True)
    assert WORDS[other]["what"] in html.unescape(switched)


def test_every_language_has_every_word():
    assert all(set(words) == set(WORDS[Language.ENGLISH]) for words in WORDS.values())
    assert set(WORDS) == set(Language)


@pytest.mark.parametrize(("how_soon", "severity"), [
    ("today", "urgent"), ("few_days", "soon"), ("no_rush", "routine"),
])
def test_a_report_raises_a_need_the_coordinator_sees(app, world, client, api_as, how_soon,
                                                     severity):
    person_id = world.client_on_round.id
    token = _issue(app, person_id, world.coordinator.id)

    response = _report(client, token, category="food_or_shopping", how_soon=how_soon,
                       description="  Nothing in the fridge since Sunday 🍞 ")

    assert response.status_code == 302
    assert f"/tell-us/{token}/thanks" in response.headers["Location"]
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you. The Call & Check team will contact you soon." in html.unescape(thanks)
    with app.app_context():
        need = db.session.scalars(select(Need).where(Need.client_id == person_id)).one()
        assert (need.category, need.severity, need.source) == (
            "food_or_shopping", severity, NeedSource.WEB)
        assert need.description == "Nothing in the fridge since Sunday 🍞"
        assert need.raised_by_id is None
        link = services.link_for(token)
        assert (link.uses, link.last_used_at) == (1, NOON)
        used = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "selfreport.used")).one()
        assert (used.client_id, used.detail, used.via) == (person_id, {"need_id": need.id},
                                                           "web")
        need_id = need.id
    listed = api_as(world.coordinator).get(f"/needs?client_id={person_id}").get_json()
    assert [(n["id"], n["source"], n["severity"]) for n in listed["items"]] == [
        (need_id, "web", severity)]


def test_the_thank_you_page_is_in_the_same_language(app, world, client):
    token = _issue(app, world.client_on_round.id, world.coordinator.id)
    client.get(f"/tell-us/{token}?lang=pl")
    response = client.post(f"/tell-us/{token}?lang=pl", data={
        "category": "loneliness", "how_soon": "no_rush",
        "csrf_token": csrf_token(client, f"/tell-us/{token}?lang=pl")})
    thanks = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert WORDS[Language.POLISH]["thanks"] in thanks and '<html lang="pl">' in thanks


@pytest.mark.parametrize(("form", "field"), [
    ({"category": None}, "category"),
    ({"category": ""}, "category"),
    ({"category": "flying"}, "category"),
    ({"category": "safeguarding"}, "category"),
    ({"category": "no_response"}, "category"),
    ({"category": "missed_visit"}, "category"),
    ({"category": "x" * 100_000}, "category"),
    ({"how_soon": "tomorrow"}, "how_soon"),
    ({"how_soon": None}, "how_soon"),
    ({"description": "x" * 1001}, "description"),
    ({"description": "help\x00me"}, "description"),
    ({"description": "'; DROP TABLE needs; --" * 100}, "description"),
])
def test_bad_input_shows_the_form_again_and_stores_nothing(app, world, client, form, field):
    person_id = world.client_on_round.id
    token = _issue(app, person_id, world.coordinator.id)
    data = {"category": "pain_or_illness", "how_soon": "today", "description": "",
            "csrf_token": csrf_token(client, f"/tell-us/{token}")}
    data.update(form)
    data = {k: v for k, v in data.items() if v is not None}

    response = client.post(f"/tell-us/{token}", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please check the form" in body and f'href="#{field}"' in body
    assert f'id="{field}-error"' in body
    assert _count(app, Need, Need.client_id == person_id) == 0
    with app.app_context():
        assert services.link_for(token).uses == 0


def test_errors_are_in_the_pages_language(app, world, client):
    token = _issue(app, world.client_on_round.id, world.coordinator.id)
    response = client.post(f"/tell-us/{token}?lang=fr", data={
        "how_soon": "today", "csrf_token": csrf_token(client, f"/tell-us/{token}")})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Merci de vérifier le formulaire" in body
    assert "Choisissez pour quoi vous avez besoin d'aide." in body


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_a_report_without_the_forms_csrf_token_is_refused(app, world, client, csrf):
    person_id = world.client_on_round.id
    token = _issue(app, person_id, world.coordinator.id)
    client.get(f"/tell-us/{token}")
    data = {"category": "fall", "how_soon": "today"}
    if csrf is not None:
        data["csrf_token"] = csrf

    response = client.post(f"/tell-us/{token}", data=data)

    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    assert _count(app, Need, Need.client_id == person_id) == 0


@pytest.mark.parametrize("which", ["unknown", "malformed", "huge", "expired", "revoked"])
def test_dead_links_say_so_and_nothing_about_anyone(app, world, client, which):
    person = world.client_on_round
    if which == "unknown":
        token = "A" * 32
    elif which == "malformed":
        token = "not a token'\"<script>"
    elif which == "huge":
        token = "B" * 20_000
    elif which == "expired":
        token = _issue(app, person.id, world.coordinator.id,
                       now=NOON - services.LIFETIME - timedelta(seconds=1))
    else:
        token = _issue(app, person.id, world.coordinator.id)
        _issue(app, person.id, world.coordinator.id)

    pages = [client.get(f"/tell-us/{token}"), client.get(f"/tell-us/{token}/thanks"),
             client.post(f"/tell-us/{token}", data={
                 "category": "fall", "how_soon": "today",
                 "csrf_token": csrf_token(client, "/login")})]

    for page in pages:
        body = page.get_data(as_text=True)
        assert page.status_code == 404
        assert DEAD in body
        assert person.full_name not in body and person.address not in body
        assert "<script>" not in body
    assert _count(app, Need, Need.client_id == person.id) == 0


def test_a_link_is_valid_until_its_last_moment(app, world):
    token = _issue(app, world.client_on_round.id, world.coordinator.id)
    with app.app_context():
        assert services.link_for(token, NOON + services.LIFETIME - timedelta(seconds=1))
        assert services.link_for(token, NOON + services.LIFETIME) is None


def test_one_link_takes_five_reports_an_hour(app, world, client):
    person_id = world.client_on_round.id
    token = _issue(app, person_id, world.coordinator.id)
    codes = [_report(client, token, description=f"report {i}").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert _count(app, Need, Need.client_id == person_id) == 5


def test_one_address_makes_ten_reports_an_hour_whatever_the_link(app, world, client):
    people = [world.client_on_round.id, world.client_off_round.id]
    with app.app_context():
        third = factories.client(db.session.get(Client, people[0]).programme)
        db.session.commit()
        people.append(third.id)
    tokens = [_issue(app, person, world.coordinator.id) for person in people]
    plan = [tokens[0]] * 4 + [tokens[1]] * 4 + [tokens[2]] * 3
    codes = [_report(client, token, how_soon="no_rush").status_code for token in plan]
    assert codes == [302] * 10 + [429]
    assert _count(app, Need, Need.client_id.in_(people)) == 10
    # The page for too many tries is in plain words, not an error code.
    assert "Too many tries" in _report(client, tokens[2]).get_data(as_text=True)
