"""Celery: with CELERY_BROKER_URL set, texts committed by a request are sent by a real worker.

Runs a real `celery worker` on the local Redis against its own SQLite file: the worker is
another process, so it cannot see the rolled-back transaction the other tests live in.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.local_redis import require_redis

REPO = Path(__file__).resolve().parent.parent
BROKER = "redis://127.0.0.1:6379/14"

# Builds the database, then commits a client and a queued text in a request, as a view would:
# the request's after_request hook hands the text to Celery instead of sending it itself.
QUEUE_A_TEXT = textwrap.dedent("""
    from datetime import time

    from flask_migrate import upgrade
    from outreach import create_app
    from outreach.db import db
    from outreach.enums import MessageKind
    from outreach.messages import outbox
    from tests import factories

    app = create_app()
    with app.app_context():
        upgrade()
    with app.test_request_context():
        operator = factories.organisation()
        # No quiet hours: the text must be due whenever the test runs.
        programme = factories.programme(operator, quiet_hours_start=time(0),
                                        quiet_hours_end=time(0))
        client = factories.client(programme, phone="+447700900321")
        message = outbox.queue_text(MessageKind.FREE_TEXT, "check_in", to=client.phone,
                                    language="en", programme=programme, client=client,
                                    first_name="Test")
        db.session.commit()
        print(message.id, outbox.send_committed(), flush=True)
""")


@pytest.fixture
def environment(tmp_path):
    require_redis()
    subprocess.run([sys.executable, "-c", "import redis; redis.Redis.from_url("  # noqa: S603
                    f"'{BROKER}').flushdb()"], check=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
           "CELERY_BROKER_URL": BROKER, "SMS_BACKEND": "console", "OUTREACH_ENV": "testing",
           "SECRET_KEY": "worker-test-" + "k" * 40,
           "TWILIO_AUTH_TOKEN": "worker-test-token", "PYTHONPATH": str(REPO)}
    env.pop("TEST_DATABASE_URL", None)
    return env


def _status(database: str, message_id: int) -> str:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT status FROM messages WHERE id = ?",
                            (message_id,)).fetchone()[0]


def test_a_committed_text_is_sent_by_a_celery_worker(environment, tmp_path):
    queued = subprocess.run([sys.executable, "-c", QUEUE_A_TEXT], env=environment,  # noqa: S603
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert queued.returncode == 0, queued.stderr
    message_id, handed = (int(x) for x in queued.stdout.split()[-2:])
    assert handed == 1
    database = str(tmp_path / "worker.sqlite3")
    # Handed to the broker, not sent: nothing has taken it yet.
    assert _status(database, message_id) == "queued"

    worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [sys.executable, "-m", "celery", "-A", "outreach.jobs.worker", "worker", "--pool", "solo",
         "--concurrency", "1", "--loglevel", "warning", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        env=environment, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while _status(database, message_id) != "delivered":
            assert worker.poll() is None, worker.stdout.read()
            assert time.monotonic() < deadline, "the worker did not send the text"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    with sqlite3.connect(database) as conn:
        steps = [row[0] for row in conn.execute(
            "SELECT status FROM message_events WHERE message_id = ? ORDER BY id", (message_id,))]
    assert steps == ["queued", "sending", "delivered"]
