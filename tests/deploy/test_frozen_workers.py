"""A bulk send through two Celery workers while one is frozen (SIGSTOP, past
SMS_STUCK_AFTER_SECONDS, then SIGCONT) and the other killed (SIGKILL) and started again, with a
coordinator choosing "send again" through the API for every text the app marks `unknown`:

- every text reaches the (fake) Twilio exactly once;
- no text is marked `unknown` while Twilio holds it (the look-up pages back through the many
  texts to the same number);
- the safety-net jobs keep their schedule during the batch: beat puts them on their own queue,
  served by a jobs worker, and `GET /readyz` stays ready throughout.

gunicorn, two sending workers (-Q celery), a jobs worker (-Q jobs), beat, a private Redis and a
fresh PostgreSQL database; CI's PostgreSQL pass (see tests/deploy/stack.py).
"""

from __future__ import annotations

import textwrap
import threading
import time

import pytest

from tests.deploy import stack

TEXTS = 480
NUMBERS = 8  # 60 texts to each number: a look-up must page back past the newer ones
STUCK = 3
INTERVAL = 4

QUEUE = textwrap.dedent("""
    from outreach.db import PENDING, utcnow
    from outreach.enums import MessageKind
    from outreach.messages import outbox

    for n in range(TEXTS):
        outbox.store_outbound(MessageKind.FREE_TEXT, f"Bulk notice {n}: the hall is open.",
                              to=f"+44770090060{n % NUMBERS}", language="en",
                              programme=world.programme, urgent=True, now=utcnow())
    db.session.info.pop(PENDING, None)  # queued only: beat's sms_outbox hands them over
""").replace("TEXTS", str(TEXTS)).replace("NUMBERS", str(NUMBERS))


@pytest.fixture
def deployment(tmp_path):
    with stack.parts("outreach_frozen_workers", twilio_delay=0.01) as (database, redis, twilio):
        port = stack.free_port()
        env = stack.environment(database, redis.url(0), twilio.url, WEBHOOK_HANDOVER="none",
                                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                                RATELIMIT_STORAGE_URI=redis.url(1), SMS_SEND_RATE="40",
                                SMS_STUCK_AFTER_SECONDS=str(STUCK),
                                JOB_INTERVAL_SECONDS=str(INTERVAL))
        world = stack.make_world(env, QUEUE)
        web = stack.Web(env, tmp_path, workers=1, port=port)
        senders = [stack.celery_worker(f"sender{n}", env, tmp_path, queues="celery")
                   for n in (1, 2)]
        jobs = stack.celery_worker("jobs", env, tmp_path, concurrency=2, queues="jobs")
        processes = [web, *senders, jobs, stack.beat(env, tmp_path)]
        try:
            for process in processes:
                process.start()
            stack.wait_ready(*senders, jobs)
            yield database, twilio, world, web, senders
        finally:
            for sender in senders:
                if sender.popen is not None:
                    sender.thaw()
            stack.stop_all(processes)


def test_frozen_and_killed_workers_send_each_text_once_and_the_jobs_keep_time(deployment):
    database, twilio, world, web, (sender1, sender2) = deployment
    token = world["coordinator_token"]
    coordinator = Coordinator(web, token, database)
    readiness = Readiness(web)
    coordinator.start()
    readiness.start()
    try:
        stack.wait_until(lambda: twilio.posts() >= TEXTS // 5, 60, "the batch under way")
        sender1.freeze()  # mid-batch: whatever it holds, it holds
        time.sleep(STUCK + 2)  # past SMS_STUCK_AFTER_SECONDS: the sms_outbox job has looked
        sender1.thaw()
        stack.wait_until(lambda: twilio.posts() >= TEXTS // 2, 60, "the batch going on")
        sender2.kill()  # mid-send, as a machine lost
        sender2.start()
        stack.wait_ready(sender2)
        stack.wait_until(lambda: _settled(database), 90, "every text sent")
    finally:
        coordinator.stop()
        readiness.stop()

    at_twilio = twilio.by_message()
    assert [m for m, times in at_twilio.items() if times > 1] == [], "a text went twice"
    bulk = {row[0] for row in stack.count(database, "SELECT id FROM messages WHERE body "
                                                    "LIKE 'Bulk notice %' AND status = 'sent'")}
    assert len(bulk) == TEXTS and bulk <= set(at_twilio), "a text was lost"
    rows = dict(stack.count(database, "SELECT id, provider_sid FROM messages WHERE direction "
                                      "= 'outbound' AND provider_sid IS NOT NULL"))
    assert {t.message_id: t.sid for t in twilio.taken} == rows
    # Never `unknown` while Twilio held it: each text marked unknown reached Twilio only
    # after it was (the coordinator's "send again").
    taken_at = {t.message_id: t.at for t in twilio.taken}
    for message_id, marked_at in stack.count(
            database, "SELECT message_id, min(at) FROM message_events "
                      "WHERE status = 'unknown' GROUP BY message_id"):
        assert taken_at[message_id] > marked_at, f"text {message_id} was at Twilio"
    assert coordinator.refused == []
    assert coordinator.sent_again == len({m for m, _ in stack.count(
        database, "SELECT message_id, at FROM message_events WHERE status = 'unknown'")})
    # The jobs kept their schedule throughout the batch: never late (3 intervals).
    assert readiness.answers and set(readiness.answers) == {200}, readiness.late
    ran = stack.count(database, "SELECT name, last_succeeded_at FROM job_runs")
    assert {name for name, _ in ran} >= {"sms_outbox", "no_answer", "escalation_sla",
                                         "missed_visits", "sms_no_response"}


def _settled(database: str) -> bool:
    [(waiting,)] = stack.count(database, "SELECT count(*) FROM messages WHERE direction = "
                                         "'outbound' AND status IN ('queued', 'sending', "
                                         "'unknown')")
    return waiting == 0


class _Loop(threading.Thread):
    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every, self.done = every, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.once()

    def stop(self) -> None:
        self.done.set()
        self.join(30)


class Coordinator(_Loop):
    """A coordinator watching the message log: every text marked `unknown` is sent again
    through the API (the app's advice once Twilio has no record of it)."""

    def __init__(self, web, token: str, database: str):
        super().__init__(0.5)
        self.web, self.token, self.database, self.sent_again = web, token, database, 0
        self.refused: list[str] = []

    def once(self) -> None:
        for (message_id,) in stack.count(self.database, "SELECT id FROM messages "
                                                        "WHERE status = 'unknown'"):
            answer = self.web.api("POST", f"/messages/{message_id}/decide", self.token,
                                  json={"action": "send_again"})
            if answer.status_code == 200:
                self.sent_again += 1
            else:
                self.refused.append(answer.text)


class Readiness(_Loop):
    """A monitor polling GET /readyz once the jobs have first run."""

    def __init__(self, web):
        super().__init__(0.5)
        self.web, self.answers, self.late = web, [], []

    def once(self) -> None:
        answer = self.web.http.get(self.web.url + "/readyz", timeout=10)
        if answer.status_code == 200 or self.answers:
            self.answers.append(answer.status_code)
            if answer.status_code != 200:
                self.late.append(answer.text)
