"""A provider's webhook down for an hour while escalation events keep coming.

A real receiver on 127.0.0.1 answers 503 (or is not listening at all) for an hour of a
controlled clock. Meanwhile 20 events happen on the provider's escalations and the periodic job
runs every minute, the courier retrying on its backoff (30 s doubling, at most an hour). When the
receiver is back every event arrives, each once, in feed order, signed; the coordinator's
"webhooks not getting through" notice shows during the outage and is gone afterwards.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from outreach.db import db, set_clock
from outreach.escalations import services
from outreach.escalations.models import Escalation, EscalationEvent, WebhookDelivery
from outreach.escalations.webhooks import deliver_due, failing_webhooks
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.webhook_receiver import running

SECRET = "whsec_outage-test-secret"
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
EVENTS = 20
OUTAGE_MINUTES = 60
NOTICE = "Webhooks not getting through"


@pytest.fixture
def receiver():
    with running() as made:
        yield made


@pytest.fixture
def hooked(app, world, receiver, monkeypatch):
    """The GP practice's webhook points at the receiver; only the periodic job sends."""
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 30)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_MAX_SECONDS", 3600)
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        gp.webhook_url, gp.webhook_secret = receiver.url, SECRET
        db.session.commit()
    set_clock(START)
    yield world
    set_clock(None)


def minute(app, n: int) -> datetime:
    """Move the clock to START + n minutes and run the periodic job there."""
    moment = START + timedelta(minutes=n)
    set_clock(moment)
    with app.app_context():
        deliver_due(moment)
    return moment


def happen(app, world, n: int, escalation_ids: list[int]) -> None:
    """The n-th event: a new escalation every fifth, else a note on the last one."""
    with app.app_context():
        if n % 5 == 0:
            person = db.session.get(Client, world.client_on_round.id)
            gp = db.session.get(Organisation, world.gp.id)
            category = ("pain_or_illness", "medication", "fall", "personal_care")[n // 5]
            escalation_ids.append(factories.escalation(person, gp, category=category).id)
        else:
            escalation = db.session.get(Escalation, escalation_ids[-1])
            provider = db.session.get(type(world.provider), world.provider.id)
            services.add_note(provider, escalation, f"Update {n}")
        db.session.commit()


def notice_shown(client) -> bool:
    page = client.get("/escalations/")
    assert page.status_code == 200
    return NOTICE in page.get_data(as_text=True)


@pytest.mark.parametrize("outage", ["503", "refused"])
def test_an_hour_down_then_every_event_arrives_once_in_feed_order(app, hooked, receiver, login,
                                                                  client, outage):
    if outage == "503":
        receiver.status = 503
    else:
        receiver.down()
    escalation_ids: list[int] = []
    every = OUTAGE_MINUTES // EVENTS
    for n in range(OUTAGE_MINUTES):
        if n % every == 0:
            happen(app, hooked, n // every, escalation_ids)
        minute(app, n)
    with app.app_context():
        waiting = list(db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.organisation_id == hooked.gp.id).order_by(WebhookDelivery.id)))
        assert len(waiting) == EVENTS and all(d.delivered_at is None for d in waiting)
        head, *behind = waiting
        # The backoff, not the minute-by-minute job, sets the pace: tried at minutes 0, 1, 2,
        # 4, 8, 16 and 32 (each wait doubling from 30 s, met by the next whole-minute run),
        # the next at 64; nothing behind the head is tried.
        assert head.attempts == 7 and {d.attempts for d in behind} == {0}
        assert head.next_attempt_at == START + timedelta(minutes=64)
        [failing] = failing_webhooks(now=START + timedelta(minutes=OUTAGE_MINUTES))
        assert failing.organisation_id == hooked.gp.id and failing.pending == EVENTS
    login(hooked.coordinator)
    assert notice_shown(client)
    tried = len(receiver.received)
    assert tried == (7 if outage == "503" else 0)  # a closed port never gets a request

    receiver.status = 200
    if outage == "refused":
        receiver.up()
    for n in range(OUTAGE_MINUTES, 64):
        minute(app, n)
    assert len(receiver.received) == tried  # not before the head's time comes
    minute(app, 64)

    delivered = receiver.received[tried:]
    assert len(delivered) == EVENTS
    items = [json.loads(r.body) for r in delivered]
    with app.app_context():
        events = list(db.session.scalars(select(EscalationEvent).where(
            EscalationEvent.organisation_id == hooked.gp.id).order_by(EscalationEvent.position)))
        deliveries = {d.event_id: d for d in db.session.scalars(select(WebhookDelivery))}
    assert [item["id"] for item in items] == [e.id for e in events]  # feed order
    assert [int(r.headers[DELIVERY_HEADER]) for r in delivered] == [
        deliveries[e.id].id for e in events]  # each once
    assert all(verify(r.body, SECRET, r.headers[SIGNATURE_HEADER]) for r in delivered)
    assert [item["kind"] for item in items].count("created") == 4
    assert all(d.delivered_at == START + timedelta(minutes=64) for d in deliveries.values())

    with app.app_context():
        assert failing_webhooks(now=START + timedelta(minutes=64)) == []
        assert db.session.get(Organisation, hooked.gp.id).webhook_failing_since is None
    assert not notice_shown(client)
    for n in range(65, 180, 5):
        minute(app, n)
    assert len(receiver.received) == tried + EVENTS  # nothing sent again
