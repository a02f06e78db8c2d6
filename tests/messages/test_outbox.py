"""The outbox and dispatcher: written with the change, sent after commit, held, retried,
given up on, reconciled after a crash, never sent twice, paced."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from channels.sms import LookupResult, ProviderStatus, SendFailed, SendResult
from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus, NeedCategory
from outreach.messages import dispatch, numbers, reports
from outreach.messages.jobs import send_check_ins
from outreach.messages.models import Message
from outreach.messages.outbox import queue_text, send_committed
from outreach.needs.models import Need
from outreach.people.models import Client
from tests import factories
from tests.conftest import ACCEPTED

NOON = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # a Tuesday, outside the quiet hours


class WorkerKilled(Exception):
    """Stands for the process dying while the provider is being called."""


class FakeBackend:
    """An SMS provider whose answers each test scripts: "ok", or an exception to raise."""

    name = "fake"

    def __init__(self):
        self.outcomes: list = []
        self.sent: list = []
        self.sent_at: list[float] = []
        self.found: LookupResult | Exception | None = None
        self.lookups = 0

    def send(self, text, status_callback):
        self.sent.append(text)
        self.sent_at.append(time.monotonic())
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        return SendResult(sid=f"SM{uuid.uuid4().hex}", status=ProviderStatus.SENDING,
                          raw_status="queued")

    def lookup(self, text, since, until=None):
        self.lookups += 1
        if isinstance(self.found, BaseException):
            raise self.found
        return self.found


@pytest.fixture(autouse=True)
def _settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    set_clock(NOON)
    yield
    set_clock(None)


@pytest.fixture
def fake(app, monkeypatch) -> FakeBackend:
    backend = FakeBackend()
    monkeypatch.setitem(app.extensions, "sms_backend", backend)
    return backend


@pytest.fixture
def mary(world, ctx) -> Client:
    client = db.session.get(Client, world.client_on_round.id)
    client.full_name = "Mary Le Brun"
    return client


def queue(client: Client, *, now: datetime = NOON, urgent: bool = False, key: str | None = None,
          to: str | None = None) -> Message | None:
    return queue_text(MessageKind.CHECK_IN, "check_in", to=to or client.phone, language="en",
                      programme=client.programme, client=client, urgent=urgent,
                      dedupe_key=key, now=now, first_name="Mary")


def committed() -> int:
    """Commit and send what was committed, as the end of a request or a tick does."""
    db.session.commit()
    return send_committed()


def run_outbox(moment: datetime) -> str:
    set_clock(moment)
    summary = dispatch.send_due_texts(moment)
    db.session.commit()
    return summary


def history(message: Message) -> list[str]:
    return [e.status.value for e in message.events]


# --- Written with the change, sent after commit (console backend) ---------------------------


def test_a_text_is_sent_only_after_its_transaction_commits(mary, console_sms):
    text = queue(mary)
    assert text.status == MessageStatus.QUEUED
    assert send_committed() == 0  # nothing is committed yet
    assert committed() == 1
    assert text.status == MessageStatus.DELIVERED
    assert history(text) == ["queued", "sending", "delivered"]
    assert text.backend == "console" and text.provider_sid.startswith("CO")
    assert text.delivered_at == NOON and text.attempts == 1
    # The price and size are recorded per message.
    assert (text.encoding, text.segments, text.cost_estimate) == ("GSM-7", 1, Decimal("0.04"))


def test_a_rolled_back_text_is_neither_stored_nor_sent(mary):
    queue(mary)
    db.session.rollback()
    assert send_committed() == 0
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_same_dedupe_key_makes_one_text(mary):
    first = queue(mary, key="check_in:test")
    assert queue(mary, key="check_in:test") is None
    committed()
    assert first.status == ACCEPTED
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_unicode_and_emoji_are_counted_as_ucs2_segments(mary):
    text = queue_text(MessageKind.CHECK_IN, "check_in", to=mary.phone, language="pl",
                      programme=mary.programme, client=mary, now=NOON, first_name="Łucja 🌷")
    assert text.encoding == "UCS-2" and text.segments == 2
    assert text.cost_estimate == Decimal("0.08")


# --- Quiet hours ---------------------------------------------------------------------------


def test_quiet_hours_hold_a_text_until_the_morning(mary, fake):
    evening = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
    set_clock(evening)
    held = queue(mary, now=evening)
    assert held.send_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert held.held_reason == "Quiet hours: held until the morning"
    committed()
    assert held.status == MessageStatus.QUEUED and fake.sent == []
    run_outbox(datetime(2026, 3, 4, 7, 59, tzinfo=UTC))
    assert held.status == MessageStatus.QUEUED and fake.sent == []
    run_outbox(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    assert held.status == MessageStatus.SENDING and len(fake.sent) == 1
    assert held.send_at is None and held.held_reason == ""


def test_an_urgent_text_is_not_held(mary, fake):
    night = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    set_clock(night)
    urgent = queue(mary, now=night, urgent=True)
    committed()
    assert urgent.send_at is None and len(fake.sent) == 1


@pytest.mark.parametrize(("queued_at", "until"), [
    # Saturday 23:00 GMT; the clocks go forward that night: 08:00 BST is 07:00 UTC.
    ("2026-03-28T23:00:00+00:00", "2026-03-29T07:00:00+00:00"),
    # Saturday 23:00 BST; the clocks go back that night: 08:00 GMT is 08:00 UTC.
    ("2026-10-24T22:00:00+00:00", "2026-10-25T08:00:00+00:00"),
    # 07:30 BST on a summer morning: held only half an hour.
    ("2026-07-01T06:30:00+00:00", "2026-07-01T07:00:00+00:00"),
])
def test_quiet_hours_follow_the_islands_clocks_in_2026(mary, queued_at, until):
    moment = datetime.fromisoformat(queued_at)
    set_clock(moment)
    assert queue(mary, now=moment).send_at == datetime.fromisoformat(until)


def test_each_programme_has_its_own_quiet_hours(mary):
    programme = mary.programme
    programme.quiet_hours_start, programme.quiet_hours_end = clock(20, 0), clock(9, 0)
    evening = datetime(2026, 3, 3, 20, 30, tzinfo=UTC)
    assert queue(mary, now=evening).send_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    programme.quiet_hours_start = programme.quiet_hours_end = clock(0, 0)  # none at all
    assert queue(mary, now=evening).send_at is None


# --- Numbers that must not be texted --------------------------------------------------------


def test_an_opted_out_number_gets_a_cancelled_row_and_no_text(mary, fake):
    numbers.opt_out(mary.phone, "STOP", NOON)
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.CANCELLED and fake.sent == []
    assert text.error_reason == "The number has opted out of texts (replied STOP)."


def test_a_number_that_opts_out_while_a_text_waits_is_not_texted(mary, fake):
    evening = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
    set_clock(evening)
    held = queue(mary, now=evening)
    committed()
    numbers.opt_out(mary.phone, "STOP", evening + timedelta(minutes=5))
    db.session.commit()
    run_outbox(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    assert held.status == MessageStatus.CANCELLED and fake.sent == []


def test_an_invalid_number_is_not_texted(mary, fake):
    numbers.mark_invalid(mary.phone, 21211, "The phone number is not valid", NOON)
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.CANCELLED and fake.sent == []
    assert text.error_reason.startswith("The number is not a working mobile number")


def test_no_number_at_all_is_a_cancelled_row(mary, fake):
    text = queue_text(MessageKind.CHECK_IN, "check_in", to=None, language="en",
                      programme=mary.programme, client=mary, now=NOON, first_name="Mary")
    committed()
    assert text.status == MessageStatus.CANCELLED and fake.sent == []


# --- Failures, retries and giving up ----------------------------------------------------------


def busy() -> SendFailed:
    return SendFailed("Twilio is busy (429); will try again", http_status=429, retryable=True)


def test_busy_and_broken_provider_answers_are_retried_with_growing_waits(mary, fake):
    fake.outcomes = [busy(), SendFailed("Twilio had a problem (500); will try again",
                                        http_status=500, retryable=True, ambiguous=True)]
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.QUEUED and text.attempts == 1
    assert text.send_at == NOON + timedelta(seconds=30)
    assert text.error_reason == "Twilio is busy (429); will try again"
    run_outbox(NOON + timedelta(seconds=29))
    assert len(fake.sent) == 1
    run_outbox(NOON + timedelta(seconds=30))
    # A 500 may have been taken: the provider is asked first, then it is tried again later.
    assert fake.lookups == 1 and len(fake.sent) == 2
    assert text.send_at == NOON + timedelta(seconds=30 + 60)
    run_outbox(NOON + timedelta(seconds=90))
    assert text.status == MessageStatus.SENDING and text.provider_sid.startswith("SM")
    assert text.attempts == 3 and len(fake.sent) == 3
    assert history(text) == ["queued", "sending", "queued", "sending", "queued", "sending",
                             "sending"]


def test_a_timeout_the_provider_did_take_is_adopted_not_sent_again(mary, fake):
    fake.outcomes = [SendFailed("Twilio did not answer in time; will check before trying "
                                "again", retryable=True, ambiguous=True)]
    fake.found = LookupResult(sid="SM" + "a" * 32, status=ProviderStatus.SENT, raw_status="sent")
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.SENT and text.provider_sid == "SM" + "a" * 32
    run_outbox(NOON + timedelta(minutes=10))
    assert len(fake.sent) == 1


def test_after_the_last_attempt_the_text_is_failed_and_surfaced(app, mary, fake, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_MAX_ATTEMPTS", 2)
    fake.outcomes = [busy(), busy(), busy()]
    text = queue(mary)
    committed()
    run_outbox(NOON + timedelta(seconds=30))
    assert text.status == MessageStatus.FAILED and len(fake.sent) == 2
    assert text.events[-1].detail == "Gave up after 2 tries: Twilio is busy (429); will try again"
    run_outbox(NOON + timedelta(hours=1))
    assert len(fake.sent) == 2


def test_a_permanent_error_is_not_retried_and_an_invalid_number_raises_a_need(mary, fake):
    fake.outcomes = [SendFailed("The phone number is not valid (Twilio 21211)", code=21211,
                                http_status=400)]
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.FAILED and text.error_code == 21211
    run_outbox(NOON + timedelta(hours=1))
    assert len(fake.sent) == 1
    [need] = db.session.scalars(select(Need).where(
        Need.client_id == mary.id, Need.category == NeedCategory.INVALID_NUMBER)).all()
    assert "Please check it" in need.description
    assert queue(mary, now=NOON + timedelta(hours=2)).status == MessageStatus.CANCELLED


def test_a_recipient_who_replied_stop_at_the_provider_is_opted_out(mary, fake):
    fake.outcomes = [SendFailed("The recipient has replied STOP (Twilio 21610)", code=21610,
                                http_status=400)]
    factories.consent(mary)
    factories.visit_plan(mary, sms_check_ins=True)
    text = queue(mary)
    committed()
    assert text.status == MessageStatus.FAILED
    assert numbers.why_not_text(mary.phone) == "The number has opted out of texts (replied STOP)."
    # Opted out: the next day's check-in is not even written.
    next_day = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    set_clock(next_day)
    assert send_check_ins(next_day) == "0 check-in text(s) queued"


# --- A worker killed between "sending" and the provider's answer ------------------------------


def crash_while_sending(mary, fake) -> Message:
    fake.outcomes = [WorkerKilled()]
    text = queue(mary)
    db.session.commit()
    with pytest.raises(WorkerKilled):
        send_committed()
    db.session.rollback()  # the process is gone; what it committed is all that is left
    db.session.expire_all()
    stored = db.session.get(Message, text.id)
    assert stored.status == MessageStatus.SENDING and stored.provider_sid is None
    return stored


def test_an_interrupted_send_the_provider_never_got_is_marked_unknown_not_resent(mary, fake):
    text = crash_while_sending(mary, fake)
    run_outbox(NOON + timedelta(minutes=1))  # too recent to judge: left alone
    assert text.status == MessageStatus.SENDING and fake.lookups == 0
    run_outbox(NOON + timedelta(minutes=6))
    assert text.status == MessageStatus.UNKNOWN and fake.lookups == 1
    assert "a person must decide" in text.events[-1].detail
    run_outbox(NOON + timedelta(hours=1))
    assert len(fake.sent) == 1  # never sent twice


def test_an_interrupted_send_the_provider_did_get_is_adopted(mary, fake):
    text = crash_while_sending(mary, fake)
    fake.found = LookupResult(sid="SM" + "b" * 32, status=ProviderStatus.DELIVERED,
                              raw_status="delivered")
    run_outbox(NOON + timedelta(minutes=6))
    assert text.status == MessageStatus.DELIVERED and text.provider_sid == "SM" + "b" * 32
    assert len(fake.sent) == 1


def test_an_interrupted_send_waits_while_the_provider_cannot_be_asked(mary, fake):
    text = crash_while_sending(mary, fake)
    fake.found = SendFailed("Could not reach Twilio", retryable=True)
    run_outbox(NOON + timedelta(minutes=6))
    assert text.status == MessageStatus.SENDING
    fake.found = None
    run_outbox(NOON + timedelta(minutes=7))
    assert text.status == MessageStatus.UNKNOWN and len(fake.sent) == 1


# --- Pace ------------------------------------------------------------------------------------


def test_the_configured_send_rate_spaces_the_texts(app, mary, fake, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 20)
    for _ in range(5):
        queue(mary)
    committed()
    assert len(fake.sent) == 5
    gaps = [b - a for a, b in zip(fake.sent_at, fake.sent_at[1:], strict=False)]
    # A slow machine can only make the gaps longer, so only the lower bound is asserted.
    assert min(gaps) >= 1 / 20 * 0.9


def test_a_delivery_report_that_beats_the_send_result_is_not_undone(mary, fake):
    text = queue(mary, urgent=True)
    db.session.commit()

    def send_then_report(outbound, status_callback):
        # Twilio's callback arrives (and commits) before our send call has returned.
        reported = db.session.get(Message, outbound.message_id)
        reports.apply_report(reported, ProviderStatus.DELIVERED, "delivered", None, "", NOON)
        db.session.commit()
        return SendResult(sid="SM" + "c" * 32, status=ProviderStatus.SENDING,
                          raw_status="queued")

    fake.send = send_then_report
    assert send_committed() == 1
    db.session.refresh(text)
    assert text.status == MessageStatus.DELIVERED and text.provider_sid == "SM" + "c" * 32
    assert history(text) == ["queued", "sending", "delivered"]
