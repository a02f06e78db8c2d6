"""The feed under concurrent writers, with real commits on separate connections: never a gap
(a slow transaction's event landing behind a cursor already handed out), never a repeat.

These tests commit for real, so this module replaces the suite's rolled-back transaction (on
SQLite its open write lock would stop the writers) and deletes what it made afterwards.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import delete, select
from sqlalchemy.orm import scoped_session, sessionmaker

from outreach.db import db
from outreach.enums import ConsentPurpose, EscalationEventKind, OrganisationKind, Role
from outreach.escalations import feed
from outreach.escalations.models import Escalation, EscalationEvent, EscalationNeed
from outreach.escalations.services import record_event
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories


@pytest.fixture(autouse=True)
def _transaction():
    """No shared rolled-back transaction here: see the module's docstring."""
    yield None


@pytest.fixture
def committed(app, monkeypatch):
    """Real sessions on their own connections (not the test's rolled-back one), and a recipient
    organisation with one escalation to write events on; everything is deleted afterwards."""
    with app.app_context():
        real = scoped_session(sessionmaker(bind=db.engine, expire_on_commit=False),
                              scopefunc=_app_ctx_id)
    monkeypatch.setattr(db, "session", real)
    made: dict[str, int] = {}
    with app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Feed Test Post")
        receiver = factories.organisation(OrganisationKind.COMMUNITY, name="Feed Test Charity")
        programme = factories.programme(operator)
        person = factories.client(programme)
        factories.consent(person, ConsentPurpose.TAKE_PART)
        need = factories.need(person)
        escalation = factories.escalation(person, receiver, need=need)
        user = factories.user(Role.PROVIDER, receiver)
        db.session.commit()
        made = {"operator": operator.id, "receiver": receiver.id, "programme": programme.id,
                "client": person.id, "escalation": escalation.id, "user": user.id}
    yield made
    with app.app_context():
        from outreach.audit.models import AuditEvent
        from outreach.auth.models import User
        from outreach.consent.models import Consent
        from outreach.programmes.models import Programme

        session = db.session
        session.execute(delete(EscalationEvent).where(
            EscalationEvent.escalation_id == made["escalation"]))
        session.execute(delete(EscalationNeed).where(
            EscalationNeed.escalation_id == made["escalation"]))
        session.execute(delete(Escalation).where(Escalation.id == made["escalation"]))
        session.execute(delete(Need).where(Need.client_id == made["client"]))
        session.execute(delete(Consent).where(Consent.client_id == made["client"]))
        session.execute(delete(AuditEvent).where(AuditEvent.client_id == made["client"]))
        session.execute(delete(Client).where(Client.id == made["client"]))
        session.execute(delete(User).where(User.id == made["user"]))
        session.execute(delete(Programme).where(Programme.id == made["programme"]))
        session.execute(delete(Organisation).where(
            Organisation.id.in_([made["operator"], made["receiver"]])))
        session.commit()


def _write(app, escalation_id: int, hold: float) -> int:
    """One transaction writing one event, held open `hold` seconds before it commits."""
    with app.app_context():
        escalation = db.session.get(Escalation, escalation_id)
        event = record_event(escalation, EscalationEventKind.NOTE, note="from a writer")
        event_id = event.id
        time.sleep(hold)
        db.session.commit()
        feed.sequence_committed()  # as the end of the request or job would
        return event_id


def _read_all(app, organisation_id: int, since: str) -> tuple[list[int], str]:
    with app.app_context():
        page = feed.read(feed.feed_scope(None, organisation_id), since, 5)
        ids = [event.id for event in page.items]
        db.session.rollback()
        return ids, page.next_cursor


def test_a_slow_writer_that_started_first_is_not_skipped(app, committed):
    with app.app_context():
        feed.assign_positions()  # the created event, as its request would have
        db.session.commit()
    """The classic gap: an event with a lower id committed after a higher one was served."""
    slow = threading.Thread(target=_write, args=(app, committed["escalation"], 0.8))
    slow.start()
    time.sleep(0.2)  # the slow writer has its event (lower id) written, not committed
    fast_id = _write(app, committed["escalation"], 0)
    seen, cursor = _read_all(app, committed["receiver"], "")
    slow.join()
    later, cursor = _read_all(app, committed["receiver"], cursor)
    with app.app_context():
        every = list(db.session.scalars(select(EscalationEvent.id).where(
            EscalationEvent.escalation_id == committed["escalation"])))
    assert fast_id in seen + later
    assert sorted(seen + later) == sorted(every)  # no gap
    assert len(seen + later) == len(set(seen + later))  # no repeat


def test_no_gap_and_no_repeat_under_concurrent_writers(app, committed):
    rng = random.Random(5)  # noqa: S311 - test timing, not secrets
    holds = [rng.choice((0, 0, 0.01, 0.05, 0.15)) for _ in range(60)]
    written: list[int] = []
    lock = threading.Lock()

    def writer(mine: list[float]) -> None:
        for hold in mine:
            event_id = _write(app, committed["escalation"], hold)
            with lock:
                written.append(event_id)

    with app.app_context():
        feed.assign_positions()  # the created event, as its request would have
        db.session.commit()
    threads = [threading.Thread(target=writer, args=(holds[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    cursor = ""
    while any(t.is_alive() for t in threads):
        ids, cursor = _read_all(app, committed["receiver"], cursor)
        seen += ids
        time.sleep(0.005)
    for thread in threads:
        thread.join()
    while True:
        ids, cursor = _read_all(app, committed["receiver"], cursor)
        if not ids:
            break
        seen += ids
    created = _created_event(app, committed["escalation"])
    assert len(seen) == len(set(seen)), "an event was served twice"
    assert sorted(seen) == sorted(written + [created]), "an event was skipped"


def _created_event(app, escalation_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(EscalationEvent.id).where(
            EscalationEvent.escalation_id == escalation_id,
            EscalationEvent.kind == EscalationEventKind.CREATED))
