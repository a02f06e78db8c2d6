"""The scale-out deployment, as the README describes it: gunicorn (two workers), two Celery
workers and Celery beat on Redis, against PostgreSQL, taking a short realistic burst.

Visits through the API, signed texts in, a safeguarding need that goes to the operator's
webhook, and a coordinator's page; beat (the deployed schedule, every job due each second:
tests.deploy.fast_beat) queues a due check-in text, and the workers send every text once and
deliver the webhook. A fresh database on TEST_DATABASE_URL's server and a private Redis: runs
in CI's PostgreSQL pass (see tests/deploy/stack.py).
"""

from __future__ import annotations

import json

import pytest

from channels.webhooks import DELIVERY_HEADER, EVENT_HEADER
from tests import factories
from tests.deploy import stack
from tests.webhook_receiver import running

VISITS = 8
TEXTS_IN = 4

# A check-in text due today for a client nobody visits (a visit today makes it needless), and
# the operator's webhook.
EXTRA = """
from datetime import date, time

world.programme.check_in_time = time(0)
texted = world.client_off_round
factories.consent(texted, ConsentPurpose.TAKE_PART)
factories.visit_plan(texted, sms_check_ins=True, starts_on=date.today())
world.operator.webhook_url, world.operator.webhook_secret = RECEIVER, "whsec_" + "s" * 24
"""


@pytest.fixture
def deployment(tmp_path):
    with (stack.parts("outreach_scale_out") as (database, redis, twilio),
          running() as receiver):
        port = stack.free_port()
        env = stack.environment(database, redis.url(0), twilio.url,
                                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
        world = stack.make_world(env, EXTRA.replace("RECEIVER", repr(receiver.url)))
        web = stack.Web(env, tmp_path, workers=2, port=port)
        processes = [web, stack.celery_worker("worker1", env, tmp_path),
                     stack.celery_worker("worker2", env, tmp_path), stack.beat(env, tmp_path)]
        try:
            for process in processes:
                process.start()
            yield database, twilio, receiver, world, *processes
        finally:
            stack.stop_all(processes)


def test_the_scale_out_deployment_takes_a_burst_and_sends_everything_once(deployment):
    database, twilio, receiver, world, web, worker1, worker2, beat = deployment
    stack.wait_ready(worker1, worker2)

    for _ in range(VISITS):
        answer = web.visit(world["visitor_token"], world["client_id"])
        assert answer.status_code == 201, answer.text
    for n in range(TEXTS_IN):
        answer = web.text_in(world["client_phone"], f"Lovely to see the postman {n}")
        assert answer.status_code == 200 and "<Response" in answer.text
    need = web.api("POST", "/needs", world["coordinator_token"], json={
        "client_id": world["client_id"], "category": "safeguarding", "severity": "urgent",
        "description": "Worried about a caller at the door", "source": "visit"})
    assert need.status_code == 201, need.text
    web.log_in(world["coordinator_email"], factories.PASSWORD)
    page = web.http.get(web.url + "/dashboard/", timeout=15)
    assert page.status_code == 200 and "<main" in page.text

    # The webhook reached the operator's receiver; beat queued the check-in and it went.
    assert receiver.wait_for(1, timeout=40), "the webhook was never delivered"
    created = [json.loads(r.body) for r in receiver.received if r.headers[EVENT_HEADER] ==
               "created"]
    assert need.json()["id"] in [item["escalation"]["need_id"] for item in created]
    deliveries = [r.headers[DELIVERY_HEADER] for r in receiver.received]
    assert len(deliveries) == len(set(deliveries)), "a webhook was delivered twice"
    stack.wait_until(lambda: _count(database, "SELECT count(*) FROM messages WHERE kind = "
                                              "'check_in' AND status = 'sent'") == 1
                     and _count(database, "SELECT count(*) FROM messages WHERE direction = "
                                          "'outbound' AND status IN ('queued', 'sending')") == 0,
                     40, "beat's check-in and every other text being sent")
    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    sent = dict(stack.count(database, "SELECT id, provider_sid FROM messages WHERE "
                                      "direction = 'outbound' AND backend = 'twilio'"))
    assert {t.message_id: t.sid for t in twilio.taken} == sent
    assert _count(database, "SELECT count(*) FROM messages WHERE kind = 'visit_report' AND "
                            "status = 'sent'") == VISITS
    assert _count(database, "SELECT count(*) FROM messages WHERE direction = 'inbound'") == \
        TEXTS_IN
    ran = worker1.output() + worker2.output()
    assert "Task outreach.run_job[" in ran and "sms_check_ins: 1 check-in text(s) queued" in ran


def _count(database: str, sql: str) -> int:
    return stack.count(database, sql)[0][0]
