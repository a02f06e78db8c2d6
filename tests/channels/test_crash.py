"""A sending process killed between "sending" and Twilio's answer: no double send, nothing lost.

The dispatcher runs as a real `flask outreach tick` process against its own SQLite file and a
fake Twilio that takes the text and never answers; the process is then killed (SIGKILL). The next
tick, another process, finds the text left in `sending`, looks it up at Twilio with the real
twilio client, and adopts what Twilio says, or marks it `unknown` for a person when Twilio has no
such text. The text is queued from the test's own process: starting the application in a new
process is most of these tests' time, and only the ticks need processes of their own.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import time as time_of_day
from email.utils import format_datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade

from outreach import create_app
from outreach.db import db, utcnow
from outreach.enums import MessageKind
from outreach.messages import outbox
from tests import factories
from tests.channels.conftest import Answer
from tests.conftest import TEST_SETTINGS

REPO = Path(__file__).resolve().parents[2]
TO = "+447700900654"
SENDER = "+447700900001"
ACCOUNT = "AC" + "1" * 32


@pytest.fixture
def env(tmp_path, fake_twilio, monkeypatch):
    # The suite's session is bound to its rolled-back connection: queueing commits for real.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
            "OUTREACH_ENV": "testing", "SECRET_KEY": "crash-test-" + "k" * 40,
            "SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": "crash-test-token", "TWILIO_FROM_NUMBER": SENDER,
            "TWILIO_API_BASE": fake_twilio.url, "SMS_TIMEOUT_SECONDS": "60",
            "SMS_STUCK_AFTER_SECONDS": "0", "PYTHONPATH": str(REPO), "FLASK_APP": "outreach"}


def _run(args, env, **kw):
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True,  # noqa: S603
                          timeout=120, **kw)


def _row(env, message_id: int) -> tuple:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT status, provider_sid, attempts FROM messages WHERE id = ?",
                            (message_id,)).fetchone()


def _creates(fake) -> int:
    return sum(1 for seen in fake.seen if seen.method == "POST")


def _queue_a_text(database_url: str) -> int:
    """Build the ticks' database with the migrations and commit one urgent text, queued only:
    nothing is sent from this process."""
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=database_url,
                           SMS_BACKEND="console"))
    with made.app_context():
        upgrade()
    with made.test_request_context():
        programme = factories.programme(factories.organisation(), quiet_hours_start=time_of_day(0),
                                        quiet_hours_end=time_of_day(0))
        client = factories.client(programme, phone=TO)
        message = outbox.store_outbound(MessageKind.FREE_TEXT, "Your parcel is on its way.",
                                        to=client.phone, language="en", programme=programme,
                                        client=client, urgent=True, now=utcnow())
        db.session.commit()
        message_id = message.id
        db.session.remove()
        db.engine.dispose()
    return message_id


def _kill_mid_send(env, fake) -> int:
    """Queue a text and start a tick that hands it to a Twilio that never answers; kill it."""
    message_id = _queue_a_text(env["DATABASE_URL"])
    fake.answer = Answer(delay=60)  # takes the request, answers nothing
    tick = subprocess.Popen([sys.executable, "-m", "flask", "outreach", "tick"],  # noqa: S603
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while _creates(fake) == 0:
        assert tick.poll() is None, "the tick ended before sending"
        assert time.monotonic() < deadline, "the tick never reached Twilio"
        time.sleep(0.05)
    os.killpg(tick.pid, signal.SIGKILL)
    tick.wait()
    status, sid, attempts = _row(env, message_id)
    assert (status, sid, attempts) == ("sending", None, 1)
    return message_id


def _tick_again(env):
    again = _run([sys.executable, "-m", "flask", "outreach", "tick"], env)
    assert again.returncode == 0, again.stdout + again.stderr
    return again.stdout


def test_a_text_twilio_took_before_the_crash_is_adopted_not_resent(env, fake_twilio):
    message_id = _kill_mid_send(env, fake_twilio)
    fake_twilio.answer = Answer(status=200, body={"messages": [{
        "sid": "SM" + "b" * 32, "account_sid": ACCOUNT, "to": TO, "from": SENDER,
        "body": "Your parcel is on its way.", "status": "delivered",
        "date_created": format_datetime(utcnow()), "direction": "outbound-api"}],
        "next_page_uri": None, "page": 0, "page_size": 20, "uri": "/x", "first_page_uri": "/x"})
    summary = _tick_again(env)
    assert "1 interrupted send(s) found at the provider" in summary
    assert _row(env, message_id) == ("delivered", "SM" + "b" * 32, 1)
    assert _creates(fake_twilio) == 1  # sent once, never again
    lookups = [s for s in fake_twilio.seen if s.method == "GET"]
    assert lookups and lookups[0].query["To"] == [TO] and lookups[0].query["From"] == [SENDER]


def test_a_text_twilio_has_no_record_of_waits_for_a_person(env, fake_twilio):
    message_id = _kill_mid_send(env, fake_twilio)
    fake_twilio.answer = Answer(status=200, body={
        "messages": [], "next_page_uri": None, "page": 0, "page_size": 20, "uri": "/x",
        "first_page_uri": "/x"})
    assert "1 marked unknown" in _tick_again(env)
    assert _row(env, message_id)[:2] == ("unknown", None)
    _tick_again(env)  # and later ticks leave it for the person to decide
    assert _row(env, message_id)[:2] == ("unknown", None)
    assert _creates(fake_twilio) == 1
