"""Clients who left are anonymised after the period; the figures stay; `--dry-run` only counts."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from outreach.consent.models import Consent
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, EnrolmentStatus
from outreach.escalations.models import Escalation
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.retention.anonymise import former_name
from outreach.visits.models import Visit
from tests import factories
from tests.retention.conftest import NOW, run_retention

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
PERIOD = 365


def _leave(client: Client, at) -> None:
    for enrolment in client.enrolments:
        enrolment.status = EnrolmentStatus.LEFT
        enrolment.left_at = at
        enrolment.leaving_reason = "Moved to a care home in St Brelade"


def _person(world, left_at, **kw) -> int:
    """A client with a contact, a visit, a need, texts and an escalation, who left at `left_at`."""
    client = factories.client(world.programme, full_name=kw.pop("full_name", "Marguerite Lenoir"),
                              email="m.lenoir@example.org", notes="Hard of hearing",
                              access_notes="Key under the pot", **kw)
    contact = factories.contact(client, name="Paul Lenoir")
    factories.consent(client, ConsentPurpose.SHARE_INFORMATION, contact_id=contact.id)
    factories.visit(client, world.visitor, note="Talked about her late husband")
    need = factories.need(client, description="Cannot get to the shops since her fall")
    factories.escalation(client, world.gp, need=need, consent=False)
    factories.message(client, status="delivered", body="Hello Marguerite",
                      created_at=NOW - 400 * DAY)
    factories.message(client, contact=contact, phone=contact.phone, status="delivered",
                      body="Your mother is well")
    if left_at is not None:
        _leave(client, left_at)
    db.session.flush()
    return client.id


def _figures(client_id: int) -> tuple:
    count = lambda model: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(model.client_id == client_id))
    return count(Visit), count(Need), count(Escalation), count(Message)


def _run(app, keep, *, days=PERIOD):
    keep(RETENTION_CLIENT_AFTER_LEAVING_DAYS=days)
    return run_retention(app)


def test_a_client_who_left_before_the_period_is_anonymised(app, world, keep):
    with app.app_context():
        gone = _person(world, NOW - PERIOD * DAY - MINUTE, date_of_birth=date(1938, 9, 14),
                       phone="+447700900123")
        db.session.commit()
        figures = _figures(gone)
    assert _run(app, keep) == "1 client(s) anonymised"
    with app.app_context():
        client = db.session.get(Client, gone)
        assert client.full_name == former_name(gone)
        assert (client.phone, client.email, client.address, client.notes,
                client.access_notes) == (None, None, "", "", "")
        assert client.date_of_birth == date(1938, 1, 1)  # the year stays, for age bands
        assert client.anonymised_at == NOW
        assert _figures(gone) == figures
        assert db.session.scalars(select(Need.description).where(Need.client_id == gone)).all() \
            == [""]
        assert db.session.scalars(select(Visit.note).where(Visit.client_id == gone)).all() == [""]
        assert set(db.session.scalars(select(Message.body).where(Message.client_id == gone))) \
            == {""}
        assert db.session.scalar(select(func.count(Contact.id))
                                 .where(Contact.client_id == gone)) == 0
        # Consent to share with a contact who is gone goes with them.
        assert db.session.scalar(select(func.count(Consent.id))
                                 .where(Consent.client_id == gone)) == 0
        assert db.session.scalars(select(ProgrammeEnrolment.leaving_reason)
                                  .where(ProgrammeEnrolment.client_id == gone)).all() == [""]


def test_clients_just_inside_the_period_or_still_enrolled_are_kept(app, world, keep):
    with app.app_context():
        recent = _person(world, NOW - PERIOD * DAY + MINUTE)
        staying = _person(world, None)
        half = _person(world, None)
        client = db.session.get(Client, half)
        _leave(client, NOW - 1000 * DAY)
        # Still in a second programme: not gone.
        client.enrolments.append(ProgrammeEnrolment(programme_id=world.other_programme.id))
        db.session.commit()
    assert _run(app, keep) == "0 client(s) anonymised"
    with app.app_context():
        for kept in (recent, staying, half):
            client = db.session.get(Client, kept)
            assert client.full_name == "Marguerite Lenoir" and client.anonymised_at is None


def test_a_contact_an_escalation_went_to_is_emptied_not_deleted(app, world, keep):
    with app.app_context():
        gone = _person(world, NOW - 2 * PERIOD * DAY)
        client = db.session.get(Client, gone)
        contact = factories.contact(client, name="Anne Lenoir", phone="+447700900456")
        factories.escalation(client, contact=contact, category="fall")
        db.session.commit()
        contact_id, escalations = contact.id, _figures(gone)[2]
    _run(app, keep)
    with app.app_context():
        kept = db.session.get(Contact, contact_id)
        assert (kept.name, kept.phone, kept.email) == ("Former contact", None, None)
        assert kept.receives == []
        assert _figures(gone)[2] == escalations
        assert db.session.scalar(select(func.count(Contact.id))
                                 .where(Contact.client_id == gone)) == 1


def test_anonymised_clients_are_not_found_by_name_or_phone(app, world, keep, api_as):
    with app.app_context():
        _person(world, NOW - 2 * PERIOD * DAY, full_name="Zebedee Quintrell",
                phone="+447700900987")
        db.session.commit()
    api = api_as(world.coordinator)
    for q in ("Quintrell", "7700900987"):
        assert len(api.get("/clients", query_string={"q": q}).get_json()["items"]) == 1
    _run(app, keep)
    for q in ("Quintrell", "7700900987"):
        assert api.get("/clients", query_string={"q": q}).get_json()["items"] == [], q


def test_dry_run_counts_and_changes_nothing(app, world, keep):
    keep(RETENTION_CLIENT_AFTER_LEAVING_DAYS=PERIOD, RETENTION_MESSAGE_BODY_DAYS=30)
    with app.app_context():
        gone = _person(world, NOW - 2 * PERIOD * DAY)
        db.session.commit()
    runner = app.test_cli_runner()
    set_clock(NOW)
    try:
        result = runner.invoke(args=["outreach", "retention", "--dry-run"])
    finally:
        set_clock(None)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("Dry run, nothing changed: 1 client(s) to anonymise, "
                                     "1 text bodies to blank")
    with app.app_context():
        client = db.session.get(Client, gone)
        assert client.full_name == "Marguerite Lenoir" and client.anonymised_at is None
        assert db.session.scalar(select(func.count(Message.id)).where(
            Message.client_id == gone, Message.body != "")) == 2


def test_the_command_applies_the_policy_and_says_what_it_did(app, world, keep):
    keep(RETENTION_CLIENT_AFTER_LEAVING_DAYS=PERIOD)
    with app.app_context():
        gone = _person(world, NOW - 2 * PERIOD * DAY)
        db.session.commit()
    set_clock(NOW)
    try:
        first = app.test_cli_runner().invoke(args=["outreach", "retention"])
        second = app.test_cli_runner().invoke(args=["outreach", "retention"])
    finally:
        set_clock(None)
    assert first.output.strip() == "1 client(s) anonymised"
    assert second.output.strip() == "0 client(s) anonymised"
    with app.app_context():
        assert db.session.get(Client, gone).full_name == former_name(gone)
