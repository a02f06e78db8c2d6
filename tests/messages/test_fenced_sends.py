"""Fenced sends and claims sized to the send rate.

A worker that was away (frozen, descheduled) while its text was taken for interrupted and a
coordinator chose "send again" must not send it too: it checks its claim just before calling
the provider and again before writing the result. And on the one-machine path a batch still
being sent at a low rate is never taken for an interrupted one by the next tick: one pass
claims only what it can send well within SMS_STUCK_AFTER_SECONDS, and each claim carries the
time it was made. Time is a controlled clock; the provider is a scripted fake.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.db import COMMITTED, PENDING, db, set_clock, utcnow
from outreach.enums import MessageKind, MessageStatus
from outreach.messages import dispatch, outbox, reconcile, services
from outreach.messages.models import Message, MessageEvent
from outreach.people.models import Client
from tests.messages.test_outbox import NOON, FakeBackend

STUCK = 300


class Pace:
    """Stands in for the rate limiter: each wait moves the clock on by one send's interval,
    and may first run `meanwhile` (what other processes do while this one is away)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.meanwhile = None

    def wait(self) -> None:
        set_clock(utcnow() + timedelta(seconds=self.interval))
        if self.meanwhile is not None:
            act, self.meanwhile = self.meanwhile, None
            act()


@pytest.fixture
def pace(app, monkeypatch):
    def make(rate: float) -> Pace:
        monkeypatch.setitem(app.config, "SMS_SEND_RATE", rate)
        made = Pace(rate)
        monkeypatch.setitem(app.extensions, "sms_rate_limiter", made)
        return made

    return make


@pytest.fixture(autouse=True)
def _settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_STUCK_AFTER_SECONDS", STUCK)
    set_clock(NOON)
    yield
    set_clock(None)


@pytest.fixture
def fake(app, monkeypatch) -> FakeBackend:
    backend = FakeBackend()
    monkeypatch.setitem(app.extensions, "sms_backend", backend)
    return backend


def queued(world, count: int, **kw) -> list[int]:
    client = db.session.get(Client, world.client_on_round.id)
    ids = [outbox.store_outbound(MessageKind.FREE_TEXT, f"Your parcel {n} is on its way.",
                                 to=client.phone, language="en", programme=client.programme,
                                 client=client, urgent=True, now=utcnow(), **kw).id
           for n in range(count)]
    db.session.info.pop(PENDING, None)  # sent by the passes each test runs
    db.session.commit()
    return ids


def sends(fake: FakeBackend) -> Counter:
    return Counter(text.message_id for text in fake.sent)


def interrupted_then_sent_again(coordinator_id: int, message_id: int) -> None:
    """Another process, once the claim looks stuck: the tick finds the text missing at the
    provider (unknown), a coordinator chooses "send again", and a worker sends it."""
    set_clock(utcnow() + timedelta(seconds=STUCK + 1))
    assert reconcile.reconcile_stuck(utcnow()) == (0, 1)
    db.session.commit()
    coordinator = db.session.get(User, coordinator_id)
    services.decide(coordinator, db.session.get(Message, message_id), services.SEND_AGAIN)
    db.session.info.pop(COMMITTED, None)
    db.session.commit()
    assert dispatch.dispatch_many([message_id]) == {message_id: MessageStatus.SENDING}


def test_a_worker_away_while_its_text_was_sent_again_does_not_send_it(app, world, ctx, fake,
                                                                      pace, monkeypatch):
    [message_id] = queued(world, 1)
    pace(10)
    check = dispatch._stands
    away = [lambda: interrupted_then_sent_again(world.coordinator.id, message_id)]

    def frozen_first(*args):
        if away:
            away.pop()()  # this worker freezes just before its last check and call
        return check(*args)

    monkeypatch.setattr(dispatch, "_stands", frozen_first)
    settled = dispatch.dispatch_many([message_id])
    assert settled == {}  # its claim was gone when it woke: nothing sent, nothing written
    assert sends(fake) == {message_id: 1}
    message = db.session.get(Message, message_id)
    assert message.status == MessageStatus.SENDING and message.provider_sid is not None
    assert message.attempts == 2


def test_a_worker_away_after_the_provider_took_the_text_adopts_it_over_a_send_again(
        app, world, ctx, fake, pace):
    [message_id] = queued(world, 1)
    pace(10)
    taken = fake.send

    def send_then_freeze(text, callback):
        result = taken(text, callback)
        # The provider took it, but its list does not show it yet: taken for lost.
        set_clock(utcnow() + timedelta(seconds=STUCK + 1))
        assert reconcile.reconcile_stuck(utcnow()) == (0, 1)
        db.session.commit()
        services.decide(db.session.get(User, world.coordinator.id),
                        db.session.get(Message, message_id), services.SEND_AGAIN)
        db.session.info.pop(COMMITTED, None)
        db.session.commit()
        return result

    fake.send = send_then_freeze
    dispatch.dispatch_many([message_id])
    fake.send = taken
    message = db.session.get(Message, message_id)
    assert message.provider_sid is not None and message.status == MessageStatus.SENDING
    assert "earlier try that was thought lost" in message.events[-1].detail
    assert dispatch.dispatch_many([message_id]) == {}  # the "send again" has nothing to do
    assert sends(fake) == {message_id: 1}


def _ticks_at_a_low_rate(world, fake, pace, rate: float, count: int) -> None:
    ids = queued(world, count)
    sender = pace(rate)

    def next_tick():
        # Cron's next `outreach tick`, in another process, well into this long batch.
        assert reconcile.reconcile_stuck(utcnow()) == (0, 0)
        db.session.commit()

    def at(moment):
        def check():
            if utcnow() < moment:
                sender.meanwhile = check
                return
            next_tick()
        return check

    sender.meanwhile = at(NOON + timedelta(seconds=STUCK + 10))
    dispatch.send_due_texts(utcnow())
    db.session.commit()
    next_tick()
    assert sends(fake) == dict.fromkeys(ids, 1)
    assert db.session.scalar(select(func.count()).select_from(MessageEvent).where(
        MessageEvent.status == MessageStatus.UNKNOWN)) == 0


def test_a_batch_still_going_out_at_a_low_rate_is_not_taken_for_interrupted(app, world, ctx,
                                                                            fake, pace):
    # One a second (a long code) and 400 texts: nearly seven minutes of sending, longer than
    # the five after which a claim counts as interrupted.
    _ticks_at_a_low_rate(world, fake, pace, rate=1, count=400)
    assert dispatch.claim_limit() == 150


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.floats(0.05, 5000), stuck=st.integers(0, 3600))
def test_one_claim_is_sent_well_within_the_stuck_threshold(app, rate, stuck):
    with app.app_context():
        app.config.update(SMS_SEND_RATE=rate, SMS_STUCK_AFTER_SECONDS=stuck)
        size = dispatch.claim_limit()
        assert 1 <= size <= dispatch.BATCH
        if size > 1:
            assert size / rate <= stuck * dispatch.CLAIM_SHARE < stuck * dispatch.LEASE_SHARE


def test_a_claim_out_of_time_goes_back_to_the_queue_untried(app, world, ctx, fake, pace):
    ids = queued(world, 5)
    sender = pace(1)

    original, stalled = sender.wait, []

    def wait():
        original()
        if len(fake.sent) == 1 and not stalled:
            # The process stalls for most of the stuck threshold after its first send.
            stalled.append(utcnow())
            set_clock(utcnow() + timedelta(seconds=STUCK * 0.8))

    sender.wait = wait
    settled = dispatch.dispatch_many(ids)
    assert Counter(settled.values()) == {MessageStatus.SENDING: 1, MessageStatus.QUEUED: 4}
    back = db.session.get(Message, ids[-1])
    assert (back.attempts, back.claim_token, back.send_at) == (0, None, None)
    assert back.events[-1].detail == "Not tried: this worker ran out of time; back in the queue"
    assert dispatch.dispatch_many(ids) and sends(fake) == dict.fromkeys(ids, 1)
