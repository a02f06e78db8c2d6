"""Twilio's delivery reports (POST /sms/status): applied once, in order, and what they teach.

Reports are signed as Twilio signs them, over the callback address the dispatcher gives
(`/sms/status?message=<our id>`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus
from outreach.messages import numbers
from outreach.messages.dispatch import status_callback_url
from outreach.messages.models import Message
from outreach.messages.outbox import store_outbound
from outreach.messages.status import set_status
from outreach.needs.models import Need
from outreach.people.models import Client
from tests.messages import BASE_URL, new_sid, post_signed, row_counts

MORNING = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning():
    set_clock(MORNING)
    yield
    set_clock(None)


def handed_over(app, client_id: int, *, sid: str | None = None) -> tuple[int, str]:
    """A text to the client that the dispatcher has handed to Twilio: `sending`, with the sid
    Twilio answered (None: a crash came before the answer was saved)."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        message = store_outbound(MessageKind.FREE_TEXT, "Hello from Call & Check",
                                 to=client.phone, language="en", programme=client.programme,
                                 client=client, urgent=True, now=MORNING)
        set_status(message, MessageStatus.SENDING, MORNING, "Handing to the provider (try 1)")
        message.provider_sid, message.backend = sid, "twilio"
        db.session.commit()
        return message.id, client.phone


def report(client, message_id: int | None, sid: str, status: str, error_code=None,
           at: timedelta = timedelta(0)):
    """Twilio's callback for one status of one text."""
    set_clock(MORNING + at)
    form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": "AC" + "0" * 32, "To": "+447700900123", "From": "+447700900001",
            "ApiVersion": "2010-04-01"}
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    path = "/sms/status"
    if message_id is not None:
        with client.application.app_context():  # the address the dispatcher gave Twilio
            path = status_callback_url(message_id)[len(BASE_URL):]
    response = post_signed(client, path, form)
    assert response.status_code == 204, response.get_data(as_text=True)
    return response


def text(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        message.events  # noqa: B018 - loaded while the session is open
        return message


def history(app, message_id: int) -> list[str]:
    return [e.status for e in text(app, message_id).events]


def test_status_callback_url_is_the_signed_address(app, world):
    with app.test_request_context():
        assert status_callback_url(42) == BASE_URL + "/sms/status?message=42"


def test_reports_in_order_move_the_text_along(app, client, world):
    sid = new_sid()
    ours, _ = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "sent", at=timedelta(seconds=2))
    report(client, ours, sid, "delivered", at=timedelta(seconds=5))
    message = text(app, ours)
    assert message.status == "delivered"
    assert (message.sent_at, message.delivered_at) == (MORNING + timedelta(seconds=2),
                                                       MORNING + timedelta(seconds=5))
    assert history(app, ours) == ["queued", "sending", "sent", "delivered"]
    assert message.events[-1].detail == "Provider reports delivered"


def test_a_late_sent_never_overwrites_delivered(app, client, world):
    sid = new_sid()
    ours, _ = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "delivered", at=timedelta(seconds=5))
    report(client, ours, sid, "sent", at=timedelta(seconds=6))
    report(client, ours, sid, "queued", at=timedelta(seconds=7))
    report(client, ours, sid, "failed", 30008, at=timedelta(seconds=8))
    message = text(app, ours)
    assert message.status == "delivered" and message.error_code is None
    assert history(app, ours) == ["queued", "sending", "delivered"]


def test_the_same_report_twice_adds_nothing(app, client, world):
    sid = new_sid()
    ours, _ = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "delivered")
    with app.app_context():
        before = row_counts()
    report(client, ours, sid, "delivered", at=timedelta(seconds=30))
    with app.app_context():
        assert row_counts() == before
    assert text(app, ours).delivered_at == MORNING


@pytest.mark.parametrize(("twilio", "ours"), [("read", "delivered"), ("canceled", "failed"),
                                              ("undelivered", "undelivered"),
                                              ("accepted", "sending"),
                                              ("a_status_added_next_year", "sending")])
def test_twilio_statuses_are_folded_onto_ours(app, client, world, twilio, ours):
    sid = new_sid()
    message_id, _ = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, message_id, sid, twilio)
    assert text(app, message_id).status == ours


def test_a_report_before_the_send_was_saved_names_the_text_by_our_id(app, client, world):
    ours, _ = handed_over(app, world.client_on_round.id, sid=None)
    sid = new_sid()
    report(client, ours, sid, "sent")
    message = text(app, ours)
    assert (message.provider_sid, message.status) == (sid, "sent")


def test_a_report_without_our_id_finds_the_text_by_its_sid(app, client, world):
    sid = new_sid()
    ours, _ = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, None, sid, "delivered")
    assert text(app, ours).status == "delivered"


def test_an_unknown_text_is_acknowledged_and_nothing_changes(app, client, world):
    sid = new_sid()
    ours, _ = handed_over(app, world.client_on_round.id, sid=sid)
    with app.app_context():
        before = row_counts()
    report(client, None, new_sid(), "delivered")  # a sid we never had
    report(client, 2**31 - 1, new_sid(), "delivered")  # an id that names nothing
    report(client, ours, new_sid(), "delivered")  # our id, but another text's sid
    with app.app_context():
        assert row_counts() == before
    assert text(app, ours).status == "sending"


def test_a_sid_shared_by_several_texts_is_only_trusted_with_our_id(app, client, world):
    """A mock provider (Prism) gives every text the same sid."""
    sid = new_sid()
    first, _ = handed_over(app, world.client_on_round.id, sid=sid)
    second, _ = handed_over(app, world.client_off_round.id, sid=sid)
    report(client, None, sid, "delivered")
    assert (text(app, first).status, text(app, second).status) == ("sending", "sending")
    report(client, second, sid, "delivered")
    assert (text(app, first).status, text(app, second).status) == ("sending", "delivered")


def test_a_report_about_an_inbound_text_is_ignored(app, client, world):
    from tests.messages import reply_of, text_in

    reply_of(text_in(client, "hello", world.client_on_round.phone))
    with app.app_context():
        received = db.session.scalar(select(Message).where(Message.direction == "inbound"))
        before = row_counts()
    report(client, received.id, received.provider_sid, "failed", 30006)
    with app.app_context():
        assert row_counts() == before


def test_error_21610_means_the_person_opted_out(app, client, world):
    sid = new_sid()
    ours, phone = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "failed", 21610)
    message = text(app, ours)
    assert (message.status, message.error_code) == ("failed", 21610)
    assert message.error_reason == (
        "The recipient has replied STOP and does not want texts from us (Twilio 21610)")
    with app.app_context():
        assert numbers.why_not_text(phone) == "The number has opted out of texts (replied STOP)."
        assert numbers.number_record(phone).opt_out_source == "provider error 21610"


@pytest.mark.parametrize("code", [30006, 21211, 21614, 30005])
def test_a_number_that_cannot_take_texts_is_marked_and_raised_once(app, client, world, code):
    sid = new_sid()
    ours, phone = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "undelivered", code)
    report(client, ours, sid, "undelivered", code, at=timedelta(seconds=10))  # again
    again_sid = new_sid()
    again, _ = handed_over(app, world.client_on_round.id, sid=again_sid)
    report(client, again, again_sid, "failed", code, at=timedelta(seconds=20))
    with app.app_context():
        assert numbers.why_not_text(phone).startswith("The number is not a working mobile")
        [need] = db.session.scalars(select(Need).where(
            Need.client_id == world.client_on_round.id)).all()
    assert (need.category, need.severity, need.source) == ("invalid_number", "soon", "system")
    assert f"Twilio {code}" in need.description
    assert text(app, ours).status == "undelivered"


def test_a_passing_fault_does_not_mark_the_number(app, client, world):
    sid = new_sid()
    ours, phone = handed_over(app, world.client_on_round.id, sid=sid)
    report(client, ours, sid, "undelivered", 30003)
    message = text(app, ours)
    assert message.error_reason == "The phone was switched off or out of reach (Twilio 30003)"
    with app.app_context():
        assert numbers.why_not_text(phone) is None
        assert db.session.scalars(select(Need)).all() == []
