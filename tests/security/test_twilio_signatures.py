"""Forged and replayed Twilio status callbacks: a genuine signature replayed with another body, on
another text or on the other webhook is refused and changes nothing. (tests/channels covers the
inbound webhook's missing, wrong and foreign-token signatures.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.db import db
from outreach.messages.models import Message, MessageEvent
from tests import factories
from tests.messages import inbound_form, new_sid, post_signed, sign


@pytest.fixture
def sent(app, world):
    """A text we sent, waiting for Twilio's delivery report."""
    with app.app_context():
        made = factories.message(world.client_on_round, status="sent", provider_sid=new_sid())
        db.session.commit()
        return made.id, made.provider_sid


def _state(app, message_id: int) -> tuple:
    with app.app_context():
        message = db.session.get(Message, message_id)
        events = db.session.scalars(select(MessageEvent.status)
                                    .where(MessageEvent.message_id == message_id)).all()
        return message.status, message.delivered_at, message.error_code, tuple(events)


def test_a_signed_report_replayed_with_another_status_is_refused(app, client, sent):
    message_id, sid = sent
    path = f"/sms/status?message={message_id}"
    genuine = {"MessageSid": sid, "MessageStatus": "sent"}
    signature = sign(path, genuine)
    before = _state(app, message_id)
    for changed in ({"MessageSid": sid, "MessageStatus": "delivered"},
                    {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"},
                    {**genuine, "ErrorCode": "30006"}):
        response = client.post(path, data=changed, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 403
    assert _state(app, message_id) == before


def test_a_signed_report_replayed_against_another_text_is_refused(app, client, sent):
    message_id, sid = sent
    genuine = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    signature = sign(f"/sms/status?message={message_id + 1}", genuine)
    response = client.post(f"/sms/status?message={message_id}", data=genuine,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert _state(app, message_id)[0] == "sent"


def test_an_inbound_signature_does_not_open_the_status_webhook(app, client, sent):
    message_id, sid = sent
    form = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30005"}
    for signature in (sign("/sms/inbound", form), sign("/sms/inbound", inbound_form("x", "+1"))):
        response = client.post(f"/sms/status?message={message_id}", data=form,
                               headers={"X-Twilio-Signature": signature})
        assert response.status_code == 403
    assert _state(app, message_id)[0] == "sent"


def test_the_genuine_report_is_still_accepted(app, client, sent):
    """So the refusals above were the signature's doing."""
    message_id, sid = sent
    response = post_signed(client, f"/sms/status?message={message_id}",
                           {"MessageSid": sid, "MessageStatus": "delivered"})
    assert response.status_code == 204
    assert _state(app, message_id)[0] == "delivered"
