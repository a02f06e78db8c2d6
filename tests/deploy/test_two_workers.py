"""Two Celery workers on one PostgreSQL database: every text reaches Twilio once, every webhook
reaches its receiver once and in order, and every periodic job's output is made once, however
the work is shared out and though both workers run every job at the same moment.

PostgreSQL only (CI's PostgreSQL pass; see tests/deploy/stack.py): several workers at once is
a PostgreSQL deployment. The test makes its own database on TEST_DATABASE_URL's server, its own
Redis, a fake Twilio and a webhook receiver, and runs two real `celery -A outreach.jobs.worker
worker` processes (two pool processes each) against them.
"""

from __future__ import annotations

import json
import re
import textwrap
import time

import pytest

from channels.webhooks import DELIVERY_HEADER
from tests.deploy import stack
from tests.webhook_receiver import running

TEXTS = 300
CLIENTS = 20  # on a round, with check-in texts, an appointment tomorrow, never visited
NOTES = 49  # per organisation with a webhook: with the `created` event, 50 deliveries each
TICK_ROUNDS = 3
TICK_DONE = re.compile(r"Task outreach\.tick\[[^\]]+\] succeeded")

SETUP = textwrap.dedent("""
    import sys
    from datetime import date, time, timedelta

    from flask_migrate import upgrade
    from outreach import create_app
    from outreach.db import db, utcnow
    from outreach.enums import ConsentPurpose, EscalationEventKind, MessageKind
    from outreach.escalations.services import record_event
    from outreach.messages import outbox
    from tests import factories

    receiver = sys.argv[1]
    app = create_app()
    with app.app_context():
        upgrade()
    with app.test_request_context():
        now = utcnow()
        world = factories.world()
        programme = world.programme
        # No quiet hours and check-ins from midnight: everything is due whenever this runs.
        programme.quiet_hours_start = programme.quiet_hours_end = time(0)
        programme.check_in_time = time(0)
        world.round.weekdays = "1,2,3,4,5,6,7"
        for n in range(CLIENTS):
            client = factories.client(programme, round_id=world.round.id, walk_order=n + 2,
                                      phone=f"+447700900{500 + n:03d}")
            factories.consent(client, ConsentPurpose.TAKE_PART)
            factories.visit_plan(client, sms_check_ins=True,
                                 starts_on=date.today() - timedelta(days=10))
            factories.appointment(client, now + timedelta(days=1))
        for organisation in (world.gp, world.food_bank):
            organisation.webhook_url, organisation.webhook_secret = receiver, "whsec_" + "s" * 24
            # Overdue, so the SLA job passes it on once (one more event, one more delivery).
            escalation = factories.escalation(world.client_on_round, organisation,
                                              due_at=now - timedelta(hours=1))
            for n in range(NOTES):
                record_event(escalation, EscalationEventKind.NOTE, note=f"Note {n}")
        ids = []
        for n in range(TEXTS):
            message = outbox.store_outbound(
                MessageKind.FREE_TEXT, f"Deploy text {n}", to=f"+447700900{n:03d}",
                language="en", programme=programme, urgent=True, now=now)
            ids.append(message.id)
        db.session.commit()  # queued only: the workers send them
        print(",".join(map(str, ids)))
        print(",".join(str(o.id) for o in (world.gp, world.food_bank)))
""").replace("CLIENTS", str(CLIENTS)).replace("NOTES", str(NOTES)).replace("TEXTS", str(TEXTS))


@pytest.fixture
def deployment(tmp_path):
    """A fresh database, a private Redis, a fake Twilio and a webhook receiver."""
    with (stack.parts("outreach_two_workers", twilio_delay=0.005) as (database, redis, twilio),
          running() as receiver):
        env = stack.environment(database, redis.url(0), twilio.url, WEBHOOK_HANDOVER="celery")
        yield env, database, redis, twilio, receiver


def test_two_workers_send_each_text_and_webhook_once_and_make_each_job_output_once(
        deployment, tmp_path):
    env, database, redis, twilio, receiver = deployment
    text_ids, organisation_ids = _setup(
        {**env, "CELERY_BROKER_URL": "", "WEBHOOK_HANDOVER": "none"}, receiver.url)
    workers = [stack.celery_worker(f"worker{n}", env, tmp_path).start() for n in (1, 2)]
    try:
        stack.wait_ready(*workers)
        with stack.tasks(redis.url(0)) as send:
            for round_ in range(TICK_ROUNDS):
                # One tick for each of the four pool processes: every job runs four times at
                # the same moment, on both machines.
                for _ in range(4):
                    send("outreach.tick")
                if round_ == 0:
                    for message_id in text_ids * 2:  # each text handed over twice
                        send("outreach.send_text", message_id)
                    for _ in range(2):  # two couriers for the same organisations at once
                        send("outreach.deliver_webhooks", organisation_ids)
                time.sleep(0.5)
        stack.wait_until(lambda: _ticks_done(workers) == 4 * TICK_ROUNDS and _settled(database),
                         50, "every tick run and every text and webhook sent")
    finally:
        stack.stop_all(workers)

    # Every text the database sent went to Twilio exactly once, and none was missed.
    sent = {row[0]: row[1] for row in stack.count(
        database, "SELECT id, provider_sid FROM messages WHERE direction = 'outbound' "
                  "AND provider_sid IS NOT NULL")}
    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    assert set(at_twilio) == set(sent), "a text was missed or sent without a record"
    assert set(text_ids) <= set(sent)
    assert {t.message_id: t.sid for t in twilio.taken} == sent
    assert stack.count(database, "SELECT count(*) FROM messages WHERE direction = 'outbound' "
                                 "AND status IN ('queued', 'sending')") == [(0,)]

    # Every webhook delivery was received once, each organisation's in event order.
    delivered = [int(r.headers[DELIVERY_HEADER]) for r in receiver.received]
    deliveries = {row[0] for row in stack.count(database, "SELECT id FROM webhook_deliveries")}
    assert sorted(delivered) == sorted(deliveries) and len(deliveries) >= 2 * (NOTES + 1)
    for organisation_id in organisation_ids:
        events = [json.loads(r.body)["id"] for r in receiver.received
                  if json.loads(r.body)["escalation"]["organisation_id"] == organisation_id]
        assert events == sorted(events) and len(events) >= NOTES + 1

    # Each periodic job's output was made once, though four ticks ran it at once, thrice.
    assert _keys(database, "check_in:%") == CLIENTS
    assert _keys(database, "appointment:%") == CLIENTS
    assert stack.count(database, "SELECT count(*), count(DISTINCT (client_id, due_on)) "
                                 "FROM missed_visits") == [(7 * CLIENTS, 7 * CLIENTS)]
    assert _needs(database) == {"missed_visit": 7 * CLIENTS, "not_seen": CLIENTS}
    assert stack.count(database, "SELECT count(*), count(DISTINCT escalation_id) "
                                 "FROM escalation_events WHERE kind = 'overdue'") == [(2, 2)]


def _ticks_done(workers) -> int:
    return sum(len(TICK_DONE.findall(worker.output())) for worker in workers)


def _settled(database: str) -> bool:
    [(waiting,)] = stack.count(database, "SELECT count(*) FROM messages WHERE direction = "
                                         "'outbound' AND status IN ('queued', 'sending')")
    [(undelivered,)] = stack.count(database, "SELECT count(*) FROM webhook_deliveries WHERE "
                                             "delivered_at IS NULL")
    return waiting == 0 and undelivered == 0


def _keys(database: str, pattern: str) -> int:
    [(made, distinct)] = stack.count(database, "SELECT count(*), count(DISTINCT dedupe_key) "
                                               "FROM messages WHERE dedupe_key LIKE :p", p=pattern)
    assert made == distinct
    return made


def _needs(database: str) -> dict[str, int]:
    return dict(stack.count(database, "SELECT category, count(*) FROM needs WHERE category IN "
                                      "('missed_visit', 'not_seen') GROUP BY category"))


def _setup(env: dict, receiver_url: str) -> tuple[list[int], list[int]]:
    script = SETUP.replace("sys.argv[1]", repr(receiver_url))
    texts, organisations = stack.run_python(script, env).split()[-2:]
    return [int(i) for i in texts.split(",")], [int(i) for i in organisations.split(",")]
