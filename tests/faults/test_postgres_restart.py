"""PostgreSQL goes away and comes back in the middle of 50 sends and a stream of visits.

A private cluster (run as the `postgres` user) is stopped fast and started again a moment later
while gunicorn takes visits and a Celery worker sends texts. Requests during the outage get a
clean 503 in the one error format (never a 500 and a trace); the phone's retry of the same visit
(its own UUID) then succeeds; the pool reconnects by itself (pool_pre_ping); the worker carries
on, and every text reaches Twilio once: one caught between Twilio taking it and our commit is
found there and adopted, not sent again. Runs in CI's PostgreSQL pass (tests/deploy/stack.py).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from outreach.db import utcnow
from tests.deploy import stack

TEXTS = 50
QUEUE_TEXTS = f"""
from outreach.db import utcnow
from outreach.enums import MessageKind
from outreach.messages import outbox

for n in range({TEXTS}):
    outbox.store_outbound(MessageKind.FREE_TEXT, f"Your parcel {{n}} is on its way.",
                          to=f"+447700900{{n:03d}}", language="en", programme=world.programme,
                          urgent=True, now=utcnow())
"""


@pytest.fixture
def deployment(tmp_path):
    stack.postgresql_pass()
    cluster = stack.PrivateCluster()
    redis = stack.PrivateRedis()
    try:
        cluster.start()
        redis.start()
        with (stack.fresh_database(cluster.url, "outreach_pg_restart") as database,
              stack.fake_twilio(delay=0.05) as twilio):
            # One sender at a time (solo), so a text in `sending` is never a live one's and
            # may be looked up at once.
            env = stack.environment(database, redis.url(0), twilio.url,
                                    SMS_STUCK_AFTER_SECONDS="0", WEBHOOK_HANDOVER="none")
            world = stack.make_world(env, QUEUE_TEXTS)
            web = stack.Web(env, tmp_path)
            worker = stack.celery_worker("worker", env, tmp_path, concurrency=1, pool="solo")
            beat = stack.beat(env, tmp_path)
            try:
                for process in (web, worker, beat):
                    process.start()
                worker.supervise()
                beat.supervise()
                yield cluster, database, twilio, world, web, worker
            finally:
                stack.stop_all([web, worker, beat])
    finally:
        redis.destroy()
        cluster.destroy()


def test_a_database_restart_mid_run_gives_clean_503s_and_loses_or_repeats_nothing(deployment):
    cluster, database, twilio, world, web, worker = deployment
    stack.wait_ready(worker)
    answers: list[tuple[str, int, dict]] = []
    streaming = threading.Event()
    streaming.set()

    def visits() -> None:
        while streaming.is_set():
            visit_id = str(uuid.uuid4())
            answer = web.api("POST", "/visits", world["visitor_token"], json={
                "id": visit_id, "client_id": world["client_id"], "outcome": "seen_well",
                "visited_at": utcnow().isoformat(), "answers": {}})
            body = answer.json() if answer.headers.get("Content-Type", "").startswith(
                "application/json") else {"raw": answer.text[:200]}
            answers.append((visit_id, answer.status_code, body))
            time.sleep(0.05)

    stream = threading.Thread(target=visits)
    stream.start()
    try:
        stack.wait_until(lambda: twilio.posts() >= 10, 30, "the worker sending")
        cluster.stop()  # every connection cut; a second with no database at all
        time.sleep(1.5)
        outage = web.http.get(web.url + "/healthz", timeout=10)
        cluster.start()
        time.sleep(2)
    finally:
        streaming.clear()
        stream.join(30)

    assert outage.status_code == 503
    statuses = [status for _, status, _ in answers]
    assert set(statuses) <= {201, 503}, [a for a in answers if a[1] not in (201, 503)]
    refused = [(visit_id, body) for visit_id, status, body in answers if status == 503]
    assert refused, "no request fell in the outage"
    for _, body in refused:
        assert body["error"]["code"] == "database_unavailable"
    assert statuses[-1] == 201, "requests still failing after the database came back"
    # The phone tries a refused visit again, with the same id: now it is stored.
    for visit_id, _ in refused:
        retry = web.api("POST", "/visits", world["visitor_token"], json={
            "id": visit_id, "client_id": world["client_id"], "outcome": "seen_well",
            "visited_at": utcnow().isoformat(), "answers": {}})
        assert retry.status_code in (200, 201), retry.text
    stored = {row[0] for row in stack.count(database, "SELECT id FROM visits")}
    assert stored == {visit_id for visit_id, _, _ in answers}

    stack.wait_until(lambda: _waiting(database) == 0, 40, "every text being sent")
    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    sent = dict(stack.count(database, "SELECT id, provider_sid FROM messages WHERE "
                                      "direction = 'outbound' AND backend = 'twilio'"))
    assert {t.message_id: t.sid for t in twilio.taken} == sent
    assert stack.count(database, "SELECT status, count(*) FROM messages WHERE direction = "
                                 "'outbound' AND kind = 'free_text' GROUP BY status") == \
        [("sent", TEXTS)]


def _waiting(database: str) -> int:
    return stack.count(database, "SELECT count(*) FROM messages WHERE direction = 'outbound' "
                                 "AND status IN ('queued', 'sending')")[0][0]
