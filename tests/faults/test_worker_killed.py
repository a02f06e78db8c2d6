"""A sending worker killed (SIGKILL) at random points of 50 sends, again and again, and started
again each time until all are done: no text goes twice and none is lost.

Each text either reached Twilio once, recorded with Twilio's sid (a kill between Twilio taking
it and our commit is settled by looking it up at Twilio: adopted, not sent again), or, if the
kill fell after we marked it `sending` but before Twilio had it, is marked `unknown` for a
person (never sent blindly a second time). The kill moments come from a seeded generator.
Runs in CI's PostgreSQL pass (see tests/deploy/stack.py).
"""

from __future__ import annotations

import random
import textwrap
import time

import pytest

from tests.deploy import stack

TEXTS = 50
KILLS = 4
SEED = 20261124

QUEUE = textwrap.dedent("""
    from flask_migrate import upgrade
    from outreach import create_app
    from outreach.db import db, utcnow
    from outreach.enums import MessageKind
    from outreach.messages import outbox
    from tests import factories

    app = create_app()
    with app.app_context():
        upgrade()
    with app.test_request_context():
        programme = factories.programme(factories.organisation())
        for n in range(TEXTS):
            outbox.store_outbound(MessageKind.FREE_TEXT, f"Your parcel {n} is on its way.",
                                  to=f"+447700900{n:03d}", language="en", programme=programme,
                                  urgent=True, now=utcnow())
        db.session.commit()  # queued only: the worker sends them
""").replace("TEXTS", str(TEXTS))


@pytest.fixture
def deployment():
    with stack.parts("outreach_worker_killed", twilio_delay=0.1) as (database, redis, twilio):
        # A text left in `sending` is looked up at once: only one worker runs at a time here,
        # so nothing in `sending` belongs to a live one.
        env = stack.environment(database, redis.url(0), twilio.url,
                                SMS_STUCK_AFTER_SECONDS="0", WEBHOOK_HANDOVER="none")
        yield env, database, redis, twilio


def test_a_worker_killed_at_random_points_sends_nothing_twice_and_loses_nothing(
        deployment, tmp_path):
    env, database, redis, twilio = deployment
    stack.run_python(QUEUE, {**env, "CELERY_BROKER_URL": ""})
    chance = random.Random(SEED)
    kills = 0
    while kills < KILLS and _waiting(database):
        worker = stack.celery_worker("sender", env, tmp_path, concurrency=1, pool="solo")
        worker.start()
        try:
            stack.wait_ready(worker)
            _sweep(redis)
            # Kill it a few texts in: half the time just after Twilio took one (before its
            # answer came back), otherwise anywhere.
            target = twilio.posts() + chance.randint(1, 8)
            stack.wait_until(lambda t=target: twilio.posts() >= t or not _waiting(database),
                             30, "the worker sending", every=0.002)
            time.sleep(chance.uniform(0, 0.03) if kills % 2 == 0 else chance.uniform(0, 0.3))
        finally:
            worker.kill()
        kills += 1
    assert kills == KILLS, "all were sent before the worker had been killed often enough"

    worker = stack.celery_worker("sender", env, tmp_path, concurrency=1, pool="solo").start()
    try:
        stack.wait_ready(worker)
        _sweep(redis)  # settles what the kills left in `sending`, hands over the rest
        stack.wait_until(lambda: not _waiting(database), 30, "the last texts being sent")
    finally:
        worker.stop()

    rows = stack.count(database, "SELECT id, status, provider_sid FROM messages "
                                 "WHERE direction = 'outbound'")
    assert len(rows) == TEXTS
    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    sids = {t.message_id: t.sid for t in twilio.taken}
    for message_id, status, sid in rows:
        if status == "unknown":
            # Cut off before Twilio had it: shown to a person, not sent a second time.
            assert message_id not in at_twilio and sid is None
        else:
            assert (status, sid) == ("sent", sids[message_id]), "a text was lost"
    assert sum(status == "sent" for _, status, _ in rows) == len(at_twilio)
    [(adopted,)] = stack.count(database, "SELECT count(*) FROM message_events "
                                         "WHERE detail LIKE 'Found at twilio after%'")
    assert adopted >= 1, "no kill fell between Twilio taking a text and our commit"


def _waiting(database: str) -> bool:
    """Whether any text is still queued or caught in `sending`."""
    [(waiting,)] = stack.count(database, "SELECT count(*) FROM messages WHERE direction = "
                                         "'outbound' AND status IN ('queued', 'sending')")
    return waiting > 0


def _sweep(redis: stack.PrivateRedis) -> None:
    """What beat does every minute: the outbox job (settle interrupted sends, hand over)."""
    with stack.tasks(redis.url(0)) as send:
        send("outreach.run_job", "sms_outbox")
