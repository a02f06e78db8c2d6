"""`outreach seed-demo`: a complete, fictional, deterministic demo that is safe to load twice."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from outreach import demo
from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.auth.services import authenticate
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ConsentPurpose, Language, OrganisationKind, ProgrammeKind, Role
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round

DRAMA_PREFIX = "+447700900"


@pytest.fixture(autouse=True)
def _app_context(app):
    """Tests here read the database directly, as the command does, in one application context."""
    with app.app_context():
        yield


def seed(app):
    result = app.test_cli_runner().invoke(args=["outreach", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def seeded(app):
    return seed(app)


def by_name(model, name):
    return db.session.scalar(select(model).where(model.name == name))


def demo_user(local: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{local}@{demo.DOMAIN}"))


def test_seed_creates_organisations_programmes_and_staff(seeded):
    kinds = {name: OrganisationKind(kind) for name, kind, _ in demo.data.ORGANISATIONS.values()}
    for name, kind in kinds.items():
        assert by_name(Organisation, name).kind == kind
    assert Counter(kinds.values()) == {OrganisationKind.OPERATOR: 1, OrganisationKind.HEALTH: 2,
                                       OrganisationKind.COMMUNITY: 3}
    operator = by_name(Organisation, "Jersey Post Call & Check")
    call, online = by_name(Programme, "Call & Check"), by_name(Programme, "Get Online")
    assert (call.kind, call.operator_id, call.timezone) == (
        ProgrammeKind.CALL_AND_CHECK, operator.id, "Europe/Jersey")
    assert (online.kind, online.operator_id) == (ProgrammeKind.DIGITAL_LITERACY, operator.id)

    users = list(db.session.scalars(select(User).where(User.email.like(f"%@{demo.DOMAIN}"))))
    assert Counter(u.role for u in users) == {Role.ADMIN: 1, Role.COORDINATOR: 2,
                                              Role.VISITOR: 3, Role.PROVIDER: 3, Role.TUTOR: 1}
    providers = {u.organisation.name for u in users if u.role == Role.PROVIDER}
    assert providers == {"Maison Verte Medical Practice", "Les Ruettes Pharmacy",
                         "Island Larder Food Bank"}
    assert all(u.organisation_id == operator.id for u in users if u.role != Role.PROVIDER)
    assert "Loaded the demo" in seeded.output


def test_seed_creates_rounds_with_clients_in_walking_order(seeded):
    call = by_name(Programme, "Call & Check")
    rounds = {r.name: r for r in db.session.scalars(select(Round))}
    assert set(rounds) == {"St Helier", "St Brelade", "Trinity"}
    assert rounds["Trinity"].weekday_list == [1, 3, 5]
    assert rounds["St Helier"].weekday_list == [1, 2, 3, 4, 5]
    assert {r.visitor.role for r in rounds.values()} == {Role.VISITOR}
    assert len({r.visitor_id for r in rounds.values()}) == 3

    clients = list(db.session.scalars(select(Client)))
    assert len(clients) == 40
    gp = by_name(Organisation, "Maison Verte Medical Practice")
    for round_ in rounds.values():
        on_round = [c for c in clients if c.round_id == round_.id]
        assert sorted(c.walk_order for c in on_round) == list(range(1, len(on_round) + 1))
        assert all(c.parish == round_.name and c.address.endswith(round_.name)
                   for c in on_round)
    for client in clients:
        assert client.programme_id == call.id
        assert date(1930, 1, 1) <= client.date_of_birth <= date(1955, 12, 31)
        assert client.gp_practice_id == gp.id
    assert set(Counter(c.preferred_language for c in clients)) == set(Language)
    assert sum(c.lives_alone for c in clients) > 30
    assert 5 < sum(bool(c.access_notes) for c in clients) < 30
    in_get_online = db.session.scalar(select(func.count()).select_from(ProgrammeEnrolment).where(
        ProgrammeEnrolment.programme_id == by_name(Programme, "Get Online").id))
    assert in_get_online > 0


def test_seed_gives_contacts_and_consents(seeded):
    clients = list(db.session.scalars(select(Client)))
    gp = by_name(Organisation, "Maison Verte Medical Practice")
    assert sum(1 <= len(c.contacts) <= 2 for c in clients) >= 30
    for contact in db.session.scalars(select(Contact)):
        assert contact.receives and contact.name and contact.relationship_to_client
    assert sum("visit_reports" in k.receives for c in clients for k in c.contacts) >= 30

    consents = list(db.session.scalars(select(Consent)))
    take_part = {c.client_id for c in consents
                 if c.purpose == ConsentPurpose.TAKE_PART and c.active}
    assert take_part == {c.id for c in clients}
    with_gp = {c.client_id for c in consents if c.organisation_id == gp.id}
    assert len(with_gp) >= 30
    with_contact = [c for c in consents if c.contact_id is not None]
    assert len(with_contact) >= 0.75 * sum(len(c.contacts) for c in clients)
    withdrawn = [c for c in consents if not c.active]
    assert 1 <= len(withdrawn) <= 2
    assert all(c.withdrawal_reason and c.withdrawn_at > c.given_at for c in withdrawn)


def test_every_phone_number_is_in_the_drama_range(seeded):
    numbers = [phone for model in (Client, Contact, User, Organisation)
               for phone in db.session.scalars(select(model.phone)) if phone]
    assert len(numbers) > 80
    assert all(n.startswith(DRAMA_PREFIX) and len(n) == 13 for n in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    emails = [e for model in (Client, Contact, User, Organisation)
              for e in db.session.scalars(select(model.email)) if e]
    assert all(e.endswith(("@example.com", ".example.org")) for e in emails), emails


def test_every_demo_user_can_log_in_with_the_printed_password(seeded):
    logins = demo.demo_logins()
    assert len(logins) == 10
    for role, email, password in logins:
        assert email in seeded.output and role in seeded.output
        user = authenticate(email, password)
        assert user is not None, email
        assert role.split()[0] == user.role.value
    assert authenticate(logins[0][1], "not-the-password") is None


def counts() -> dict:
    models = (Organisation, Programme, User, Round, Client, Contact, Consent,
              ProgrammeEnrolment, AuditEvent)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_running_twice_changes_nothing(app, seeded):
    before = counts()
    again = seed(app)
    assert counts() == before
    assert "already loaded" in again.output
    table = seeded.output[seeded.output.index("Demo logins"):]
    assert again.output.endswith(table)


def test_refuses_when_fictional_numbers_are_not_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_FICTIONAL_NUMBERS", False)
    result = app.test_cli_runner().invoke(args=["outreach", "seed-demo"])
    assert result.exit_code != 0
    assert "fictional phone numbers" in result.output
    assert counts()["Client"] == 0


def test_demo_is_the_same_every_time():
    first, second = demo._people(random.Random(demo.SEED)), demo._people(random.Random(demo.SEED))
    assert first == second
    assert len({p["full_name"] for p in first}) == 40


def all_clients(api) -> list[dict]:
    items, cursor = [], None
    for _ in range(10):
        response = api.get("/clients?limit=15" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_coordinator_sees_every_client_through_the_api(seeded, api_as):
    items = all_clients(api_as(demo_user("coordinator")))
    assert len(items) == 40
    assert len({c["id"] for c in items}) == 40


def test_visitor_sees_only_the_clients_on_their_round(seeded, api_as):
    visitor = demo_user("visitor.trinity")
    round_ = db.session.scalar(select(Round).where(Round.visitor_id == visitor.id))
    expected = set(db.session.scalars(select(Client.id).where(Client.round_id == round_.id)))
    items = all_clients(api_as(visitor))
    assert {c["id"] for c in items} == expected
    assert 0 < len(expected) < 40
    assert {c["parish"] for c in items} == {"Trinity"}
