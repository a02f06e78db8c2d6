"""Redis goes away: the web keeps taking visits and texts, the work waits in the database, and
once Redis is back the workers send all of it, once.

gunicorn, a Celery worker and Celery beat (every job each second) run against a fresh
PostgreSQL database and a Redis of the test's own, which is killed mid-run and started again.
A request's hand-off to a dead broker gives up in well under a second (CELERY settings in
outreach.jobs.background); the text stays queued and beat's `sms_outbox` job hands it over later.
The worker and beat run supervised (restarted when they exit, as systemd's Restart=always
does): Celery's worker can die when the broker vanishes while it holds an unacknowledged task
(kombu's restore of it fails), and a deployment must survive that too.
Runs in CI's PostgreSQL pass (see tests/deploy/stack.py).
"""

from __future__ import annotations

import time

import pytest

from outreach.messages.dispatch import SharedRateLimiter
from tests.deploy import stack

VISITS_DURING = 6
TEXTS_DURING = 3


@pytest.fixture
def deployment(tmp_path):
    with stack.parts("outreach_redis_down") as (database, redis, twilio):
        # As the README deploys it: the SMS rate shared through the same Redis.
        env = stack.environment(database, redis.url(0), twilio.url,
                                WEBHOOK_HANDOVER="none", RATELIMIT_STORAGE_URI=redis.url(1))
        world = stack.make_world(env)
        processes = [stack.Web(env, tmp_path, workers=1),
                     stack.celery_worker("worker", env, tmp_path), stack.beat(env, tmp_path)]
        try:
            for process in processes:
                process.start()
            for process in processes[1:]:
                process.supervise()
            yield database, redis, twilio, world, *processes
        finally:
            stack.stop_all(processes)


def test_with_redis_down_the_web_takes_visits_and_texts_and_nothing_is_lost(deployment):
    database, redis, twilio, world, web, worker, beat = deployment
    stack.wait_ready(worker)
    token, client_id = world["visitor_token"], world["client_id"]
    assert web.visit(token, client_id).status_code == 201
    stack.wait_until(lambda: _waiting(database) == 0 and twilio.posts() > 0, 30,
                     "the first visit's texts being sent")
    before = twilio.posts()

    redis.stop()
    for _ in range(VISITS_DURING):
        started = time.monotonic()
        answer = web.visit(token, client_id)
        assert answer.status_code == 201, answer.text
        assert time.monotonic() - started < 3, "the hand-off to a dead broker held a request"
    for n in range(TEXTS_DURING):
        answer = web.text_in(world["client_phone"], f"Thank you for coming {n}")
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    # All stored; the reports wait in the outbox, and nothing reaches Twilio meanwhile.
    assert _count(database, "SELECT count(*) FROM visits") == 1 + VISITS_DURING
    assert _count(database, "SELECT count(*) FROM messages WHERE direction = 'inbound'") == \
        TEXTS_DURING
    time.sleep(2)  # beat keeps firing and the worker keeps trying: still nothing can go
    assert _count(database, "SELECT count(*) FROM messages WHERE direction = 'outbound' AND "
                            "status = 'queued'") >= VISITS_DURING
    assert twilio.posts() == before
    assert web.process.running()  # the web never depended on Redis

    # The outage is in the web's log once, without a traceback, however many requests met it.
    logged = web.process.output()
    assert logged.count("The Celery broker is unreachable") == 1, logged[-3000:]
    assert "Traceback" not in logged

    redis.start()  # same port, empty: every task handed over during the outage is gone
    stack.wait_until(lambda: _waiting(database) == 0, 40,
                     "the waiting texts being sent after Redis came back")
    # The next hand-off after the broker's return says so once, with what the outage cost.
    stack.wait_until(lambda: web.visit(token, client_id).status_code == 201 and
                     "The Celery broker is reachable again" in web.process.output(), 20,
                     "the web noticing the broker is back", every=1.0)
    stack.wait_until(lambda: _waiting(database) == 0, 40, "the last visit's texts being sent")
    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    # (replies to texts in leave in the webhook's TwiML answer, not through Twilio's API)
    sent = {row[0] for row in stack.count(database, "SELECT id FROM messages WHERE direction = "
                                                    "'outbound' AND backend = 'twilio'")}
    assert set(at_twilio) == sent
    assert _count(database, "SELECT count(*) FROM messages WHERE kind = 'visit_report' AND "
                            "status = 'sent'") >= 2 + VISITS_DURING
    assert web.http.get(web.url + "/healthz", timeout=5).json() == {"status": "ok",
                                                                   "database": "ok"}


def _count(database: str, sql: str) -> int:
    return stack.count(database, sql)[0][0]


def _waiting(database: str) -> int:
    return _count(database, "SELECT count(*) FROM messages WHERE direction = 'outbound' AND "
                            "status IN ('queued', 'sending')")


def test_the_shared_send_rate_falls_back_to_this_process_when_redis_is_away():
    # A text is marked `sending` before the limiter is asked: a limiter that failed would
    # leave it for a person as `unknown`. Without Redis each process keeps its own pace.
    limiter = SharedRateLimiter(20, f"redis://127.0.0.1:{stack.free_port()}/0")
    started = time.monotonic()
    delays = [limiter.delay() for _ in range(3)]
    assert time.monotonic() - started < 3
    assert delays[0] == 0 and delays[1] == pytest.approx(0.05, abs=0.02)
    assert delays[2] == pytest.approx(0.10, abs=0.03)
