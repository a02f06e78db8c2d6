"""Twilio failing in the ways it does: 500s, 429s (with and without Retry-After), answers slower
than our timeout, and permanent refusals. Texts go through the real dispatcher and the real
twilio client to a fake Twilio on 127.0.0.1 whose answers each test scripts, on a controlled
clock. What must hold: a text is retried with backoff and then sent once; a 429 slows the whole
batch down; a text Twilio did take (though it answered late or with an error) is found there
and never sent twice; a permanent refusal marks the text failed and tells the coordinator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from channels.sms.twilio import TwilioBackend
from outreach.db import db, set_clock, utcnow
from outreach.enums import MessageKind, MessageStatus, NeedCategory
from outreach.messages import dispatch, numbers, outbox
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.people.models import Client

ACCOUNT = "AC" + "7" * 32
NOON = datetime(2026, 5, 12, 11, 0, tzinfo=UTC)  # midday in Jersey: no quiet hours


@dataclass
class Step:
    """One answer to a POST: a status (201: taken), after `delay` seconds; `stored`: Twilio
    keeps the text whatever it answers (so a lookup finds it)."""

    status: int = 201
    delay: float = 0.0
    stored: bool | None = None
    code: int | None = None
    retry_after: str | None = None

    def keeps(self) -> bool:
        return self.status < 300 if self.stored is None else self.stored


@dataclass
class FakeTwilio:
    url: str = ""
    script: list[Step] = field(default_factory=list)  # answers to the next POSTs, in order
    posts: list[dict] = field(default_factory=list)
    taken: list[dict] = field(default_factory=list)  # what a lookup finds, oldest first
    lookups: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def created(self) -> list[str]:
        """The bodies of the texts Twilio kept, in the order it kept them."""
        return [m["body"] for m in self.taken]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio

    def do_POST(self):  # noqa: N802 - the name http.server calls
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(
            int(self.headers.get("Content-Length") or 0)).decode()).items()}
        fake = self.fake
        with fake.lock:
            step = fake.script.pop(0) if fake.script else Step()
            fake.posts.append(form)
            n = len(fake.posts)
            item = {"sid": f"SM{n:032d}", "account_sid": ACCOUNT, "to": form["To"],
                    "from": form.get("From"), "body": form["Body"], "status": "queued",
                    "direction": "outbound-api",
                    "date_created": format_datetime(utcnow())}  # our clock is Twilio's
            if step.keeps():
                fake.taken.append(item)  # kept before answering, as Twilio would
        if step.delay:
            fake.release.wait(step.delay)
        if step.status < 300:
            self._answer(step.status, item)
        else:
            self._answer(step.status, {"code": step.code or step.status,
                                       "message": "fake Twilio error", "status": step.status},
                         step.retry_after)

    def do_GET(self):  # noqa: N802
        to = parse_qs(urlsplit(self.path).query).get("To", [None])[0]
        with self.fake.lock:
            self.fake.lookups += 1
            found = [m for m in reversed(self.fake.taken) if m["to"] == to]
        self._answer(200, {"messages": found, "next_page_uri": None, "page": 0,
                           "page_size": 20, "uri": "/x", "first_page_uri": "/x"})

    def _answer(self, status: int, body: dict, retry_after: str | None = None) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (the slow answers): nobody to tell

    def log_message(self, format, *args):
        """Quiet: the tests look at what the fake saw."""


@pytest.fixture
def twilio(app, monkeypatch) -> Iterator[FakeTwilio]:
    """The fake Twilio, and the application sending to it with a 0.5 s timeout."""
    fake = FakeTwilio()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings = {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT,
                "TWILIO_API_BASE": fake.url, "SMS_TIMEOUT_SECONDS": 0.5,
                "SMS_SEND_RATE": 10_000, "SMS_RETRY_BASE_SECONDS": 30, "SMS_MAX_ATTEMPTS": 6,
                "SMS_STUCK_AFTER_SECONDS": 300}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    backend = TwilioBackend.from_config(app.config)
    monkeypatch.setitem(app.extensions, "sms_backend", backend)
    monkeypatch.delitem(app.extensions, "sms_rate_limiter", raising=False)
    set_clock(NOON)
    try:
        yield fake
    finally:
        set_clock(None)
        backend.close()
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def queue(app, world, count: int = 1) -> list[int]:
    """`count` urgent texts to the client on the round, committed and waiting to be sent."""
    with app.test_request_context():
        person = db.session.get(Client, world.client_on_round.id)
        ids = [outbox.store_outbound(MessageKind.FREE_TEXT, f"Your parcel {n} is on its way.",
                                     to=person.phone, language="en", programme=person.programme,
                                     client=person, urgent=True, now=NOON).id
               for n in range(count)]
        db.session.commit()
        return ids


def tick(app, **after) -> str:
    """The outbox's periodic job, at NOON plus `after`."""
    moment = NOON + timedelta(**after)
    set_clock(moment)
    with app.test_request_context():
        summary = dispatch.send_due_texts(moment)
        db.session.commit()
        return summary


def texts(app, ids: list[int]) -> list[Message]:
    with app.app_context():
        found = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))}
        for message in found.values():
            _ = [e.status for e in message.events]  # loaded while the session is open
        return [found[i] for i in ids]


def history(message: Message) -> list[str]:
    return [e.status.value for e in message.events]


# --- 500 ------------------------------------------------------------------------------------


def test_500s_are_retried_with_backoff_then_the_text_is_sent_once(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(500), Step(503)]

    tick(app)
    [text] = texts(app, [text_id])
    assert (text.status, text.attempts, text.provider_sid) == (MessageStatus.QUEUED, 1, None)
    assert text.send_at == NOON + timedelta(seconds=30)
    assert "Twilio had a problem (500)" in text.error_reason
    assert twilio.lookups == 1  # a 5xx may hide a text Twilio kept: looked before retrying

    tick(app, seconds=29)
    assert len(twilio.posts) == 1  # not due yet

    tick(app, seconds=30)
    [text] = texts(app, [text_id])
    assert (text.status, text.attempts) == (MessageStatus.QUEUED, 2)
    assert text.send_at == NOON + timedelta(seconds=30 + 60)  # the wait doubles

    tick(app, seconds=90)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.SENDING and text.provider_sid == "SM" + "3".zfill(32)
    assert text.attempts == 3 and text.send_at is None
    assert twilio.created() == ["Your parcel 0 is on its way."]  # kept once
    assert history(text) == ["queued", "sending", "queued", "sending", "queued", "sending",
                             "sending"]

    tick(app, hours=5)
    assert len(twilio.posts) == 3  # and never again


def test_a_500_after_twilio_kept_the_text_is_adopted_not_sent_again(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(500, stored=True)]

    tick(app)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.SENDING and text.provider_sid == "SM" + "1".zfill(32)
    assert "Found at twilio" in text.events[-1].detail

    tick(app, hours=1)
    assert len(twilio.posts) == 1 and len(twilio.taken) == 1


def test_giving_up_after_the_most_tries_marks_the_text_failed(app, world, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_MAX_ATTEMPTS", 2)
    [text_id] = queue(app, world)
    twilio.script = [Step(500), Step(500)]

    tick(app)
    tick(app, seconds=30)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.FAILED
    assert text.events[-1].detail.startswith("Gave up after 2 tries")
    tick(app, hours=2)
    assert len(twilio.posts) == 2 and twilio.taken == []


# --- 429 ------------------------------------------------------------------------------------


def test_a_429_holds_the_rest_of_the_batch_back_too(app, world, twilio):
    ids = queue(app, world, 5)
    twilio.script = [Step(), Step(429, code=20429)]

    summary = tick(app)
    assert len(twilio.posts) == 2  # the three after the 429 were not tried
    first, busy, *rest = texts(app, ids)
    assert first.status == MessageStatus.SENDING
    assert (busy.status, busy.attempts) == (MessageStatus.QUEUED, 1)
    assert busy.error_reason == "Twilio is busy (429); will try again"
    assert twilio.lookups == 0  # a 429 means not taken: nothing to look up
    for text in rest:
        assert (text.status, text.attempts) == (MessageStatus.QUEUED, 0)
        assert text.send_at == busy.send_at == NOON + timedelta(seconds=30)
        assert history(text) == ["queued", "sending", "queued"]
    assert "5 text(s)" in summary

    tick(app, seconds=29)
    assert len(twilio.posts) == 2
    tick(app, seconds=30)
    assert all(t.status == MessageStatus.SENDING for t in texts(app, ids))
    assert sorted(twilio.created()) == sorted(f"Your parcel {n} is on its way."
                                              for n in range(5))  # each once
    assert len(twilio.posts) == 6


def test_retry_after_sets_the_wait(app, world, twilio):
    ids = queue(app, world, 3)
    twilio.script = [Step(429, retry_after="7")]

    tick(app)
    assert len(twilio.posts) == 1
    assert {t.send_at for t in texts(app, ids)} == {NOON + timedelta(seconds=7)}
    assert texts(app, ids)[0].events[-1].detail.endswith("try 2 in 7 s")

    tick(app, seconds=6)
    assert len(twilio.posts) == 1
    tick(app, seconds=7)
    assert [t.status for t in texts(app, ids)] == [MessageStatus.SENDING] * 3
    assert len(twilio.taken) == 3


@pytest.mark.parametrize("header", ["soon", "-5", "1e9", ""])
def test_a_retry_after_that_is_not_a_usable_number_falls_back_to_the_backoff(app, world, twilio,
                                                                              header):
    [text_id] = queue(app, world)
    twilio.script = [Step(429, retry_after=header)]

    tick(app)
    [text] = texts(app, [text_id])
    assert text.send_at == NOON + timedelta(seconds=30)


def test_a_retry_after_of_nothing_still_waits_a_second(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(429, retry_after="0")]

    tick(app)
    assert texts(app, [text_id])[0].send_at == NOON + timedelta(seconds=1)


# --- Slow -----------------------------------------------------------------------------------


def test_a_slow_answer_for_a_text_twilio_kept_is_found_not_sent_twice(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(delay=3)]  # kept, but the answer comes after our 0.5 s timeout

    tick(app)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.SENDING and text.provider_sid == "SM" + "1".zfill(32)
    assert twilio.lookups == 1

    tick(app, minutes=10)
    tick(app, hours=3)
    assert len(twilio.posts) == 1 and len(twilio.taken) == 1


def test_a_slow_answer_for_a_text_twilio_did_not_keep_is_sent_again_later(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(status=500, delay=3, stored=False)]

    tick(app)
    [text] = texts(app, [text_id])
    assert (text.status, text.attempts) == (MessageStatus.QUEUED, 1)
    assert "did not answer in time" in text.error_reason

    tick(app, seconds=30)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.SENDING and len(twilio.taken) == 1


def test_slow_to_send_and_to_look_up_waits_for_reconciling(app, world, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_STUCK_AFTER_SECONDS", 60)
    [text_id] = queue(app, world)
    twilio.script = [Step(delay=3)]
    slow_lookup = threading.Event()
    original = _Handler.do_GET

    def late_get(handler):
        if not slow_lookup.is_set():
            twilio.release.wait(2)  # the first lookup is too slow as well
        original(handler)

    monkeypatch.setattr(_Handler, "do_GET", late_get)

    tick(app)
    [text] = texts(app, [text_id])
    assert (text.status, text.provider_sid) == (MessageStatus.SENDING, None)
    assert text.error_reason.startswith("No answer from the provider")

    slow_lookup.set()
    tick(app, seconds=30)  # too soon to count as stuck: left alone
    assert texts(app, [text_id])[0].provider_sid is None
    tick(app, minutes=2)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.SENDING and text.provider_sid == "SM" + "1".zfill(32)
    assert len(twilio.posts) == 1


# --- Permanent refusals ---------------------------------------------------------------------


def test_a_permanent_refusal_fails_the_text_and_asks_the_coordinator(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(400, code=21211)]

    tick(app)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.FAILED and text.error_code == 21211
    assert text.error_reason == "The phone number is not valid (Twilio 21211)"
    with app.app_context():
        phone = db.session.get(Client, world.client_on_round.id).phone
        assert numbers.number_record(phone).invalid_code == 21211
        [need] = db.session.scalars(select(Need).where(
            Need.client_id == world.client_on_round.id,
            Need.category == NeedCategory.INVALID_NUMBER)).all()
        assert need.status.value == "open"
    queue(app, world)  # a later text to the same number is not even tried
    tick(app, hours=1)
    assert len(twilio.posts) == 1


def test_refused_account_details_fail_without_blaming_the_number(app, world, twilio):
    [text_id] = queue(app, world)
    twilio.script = [Step(401, code=20003)]

    tick(app)
    [text] = texts(app, [text_id])
    assert text.status == MessageStatus.FAILED and "account details" in text.error_reason
    with app.app_context():
        phone = db.session.get(Client, world.client_on_round.id).phone
        known = numbers.number_record(phone)
        assert known is None or known.invalid_at is None


def test_a_lost_send_is_not_taken_for_an_identical_text_sent_before(app, world, twilio):
    """Two texts with the same words to one number: after a 500 for the second, which Twilio
    did not keep, the look-up must not adopt the first one's record (the second would be lost)."""
    with app.test_request_context():
        person = db.session.get(Client, world.client_on_round.id)
        ids = [outbox.store_outbound(MessageKind.FREE_TEXT, "Your parcel is on its way.",
                                     to=person.phone, language="en", programme=person.programme,
                                     client=person, urgent=True, now=NOON).id
               for _ in range(2)]
        db.session.commit()
    twilio.script = [Step(), Step(500, stored=False)]

    tick(app)
    first, second = texts(app, ids)
    assert first.provider_sid and second.provider_sid is None
    assert second.status == MessageStatus.QUEUED  # to be tried again, not adopted

    tick(app, hours=1)
    first, second = texts(app, ids)
    assert second.provider_sid and second.provider_sid != first.provider_sid
    assert len(twilio.taken) == 2
