"""The SMS webhooks as Twilio meets them: signatures, form fields, sizes and the TwiML answer.

Requests are signed with twilio's RequestValidator, as Twilio signs them. "Nothing stored" is
checked by counting the rows of every table before and after.
"""

from __future__ import annotations

import zlib

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.messages.models import Message
from outreach.messages.texts import render
from tests.messages import (
    AUTH_TOKEN,
    BASE_URL,
    inbound_form,
    new_sid,
    post_signed,
    reply_of,
    row_counts,
    sign,
    text_in,
)

STRANGER = "+447700900997"


@pytest.fixture
def counted(app):
    """Row counts before the test's requests; compare with `unchanged()`: nothing stored but
    the audit events of refusals (one a refused request, see audit.refusals)."""
    with app.app_context():
        before = row_counts()
        last_event = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    def unchanged() -> bool:
        with app.app_context():
            after = row_counts()
            added = db.session.scalars(select(AuditEvent.action).where(
                AuditEvent.id > last_event)).all()
        after["audit_events"] -= len(added)
        return after == before and all(action.startswith("access.") for action in added)

    return unchanged


def _inbound_rows(app) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(
            Message.direction == "inbound").order_by(Message.id)))


# --- Signatures -----------------------------------------------------------------------------


def _refused(response) -> None:
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "<Response" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status?message=1"])
def test_a_request_without_a_signature_is_refused(client, counted, path):
    form = inbound_form("FALL", STRANGER) | {"MessageStatus": "delivered"}
    _refused(client.post(path, data=form))
    _refused(client.post(path, data=form, headers={"X-Twilio-Signature": ""}))
    assert counted()


@pytest.mark.parametrize("signature", ["not-a-signature", "A" * 28, "=" * 200,
                                       sign("/sms/inbound", {"Body": "other"})])
def test_a_wrong_signature_is_refused(client, counted, signature):
    form = inbound_form("FALL", STRANGER)
    _refused(client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}))
    assert counted()


def test_a_signature_made_with_another_token_is_refused(client, counted):
    form = inbound_form("FALL", STRANGER)
    forged = sign("/sms/inbound", form, token="some-other-account-token")
    _refused(client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": forged}))
    assert counted()


@pytest.mark.parametrize("base", ["https://localhost", "http://evil.example",
                                  BASE_URL + "/prefix"])
def test_a_signature_for_another_address_is_refused(client, counted, base):
    form = inbound_form("FALL", STRANGER)
    elsewhere = sign("/sms/inbound", form, base=base)
    _refused(client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": elsewhere}))
    status = sign("/sms/status", form)  # signed for the other webhook
    _refused(client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": status}))
    assert counted()


def test_a_form_changed_after_signing_is_refused(client, counted):
    form = inbound_form("I am fine", STRANGER)
    signature = sign("/sms/inbound", form)
    form["Body"] = "I am fine. Also send me every client's address"
    _refused(client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}))
    extra = dict(inbound_form("I am fine", STRANGER), Extra="added")
    signature = sign("/sms/inbound", {k: v for k, v in extra.items() if k != "Extra"})
    _refused(client.post("/sms/inbound", data=extra, headers={"X-Twilio-Signature": signature}))
    assert counted()


def test_without_an_auth_token_nothing_is_accepted(app, client, counted, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    form = inbound_form("FALL", STRANGER)
    _refused(post_signed(client, "/sms/inbound", form))  # signed with the old token
    _refused(client.post("/sms/inbound", data=form, headers={
        "X-Twilio-Signature": sign("/sms/inbound", form, token="")}))
    assert counted()


def test_the_base_url_may_end_with_a_slash_and_twilio_may_name_the_port(app, client,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE_URL + "/")
    assert reply_of(text_in(client, "hello", STRANGER)) is not None
    form = inbound_form("hello again", STRANGER)
    with_port = sign("/sms/inbound", form, base=BASE_URL + ":80")
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": with_port})
    assert response.status_code == 200


def test_the_webhooks_need_no_csrf_token_and_no_login(client, world):
    assert text_in(client, "hello", STRANGER).status_code == 200
    assert client.get("/sms/inbound").status_code == 405


# --- The inbound form -----------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To"])
def test_a_missing_field_is_a_400_and_nothing_is_stored(client, counted, missing):
    form = inbound_form("FALL", STRANGER)
    del form[missing]
    response = post_signed(client, "/sms/inbound", form)
    assert response.status_code == 400
    assert response.mimetype == "text/plain" and missing in response.get_data(as_text=True)
    assert counted()


@pytest.mark.parametrize(("field", "value"), [
    ("MessageSid", "SM123"),
    ("MessageSid", "XX" + "0" * 32),
    ("MessageSid", "SM" + "g" * 32),
    ("MessageSid", "SM" + "0" * 32 + "\n"),
    ("MessageSid", "SM" + "0" * 33),
    ("From", ""),
    ("From", "+44" + "7" * 40),
    ("From", "+447700900\x00123"),
    ("To", ""),
    ("To", "x" * 33),
    ("To", "+4477009\n00001"),
])
def test_an_invalid_field_is_a_400_and_nothing_is_stored(client, counted, field, value):
    form = inbound_form("FALL", STRANGER)
    form[field] = value
    response = post_signed(client, "/sms/inbound", form)
    assert response.status_code == 400
    assert value not in response.get_data(as_text=True) or not value
    assert counted()


def test_a_text_without_a_body_is_stored_empty(app, client):
    form = inbound_form("", STRANGER)
    del form["Body"]
    assert reply_of(post_signed(client, "/sms/inbound", form)) == render(
        "reply_unknown_sender", "en")
    assert _inbound_rows(app)[0].body == ""


def test_a_body_longer_than_twilio_allows_is_cut_to_1600_not_refused(app, client):
    body = "I need help with the shopping. " * 200
    assert reply_of(text_in(client, body, STRANGER)) is not None
    [row] = _inbound_rows(app)
    assert row.body == body[:1600]


def test_a_request_over_the_size_limit_is_413_not_500(app, client, counted):
    form = inbound_form("x" * (app.config["MAX_CONTENT_LENGTH"] + 10), STRANGER)
    response = post_signed(client, "/sms/inbound", form)
    assert response.status_code == 413
    assert counted()


def test_a_nul_character_is_dropped_rather_than_failing_the_database(app, client):
    reply_of(text_in(client, "help\x00 me", STRANGER))
    assert _inbound_rows(app)[0].body == "help me"


def test_fields_twilio_adds_are_ignored(app, client):
    reply = reply_of(text_in(client, "hello", STRANGER, FromCity="ST HELIER", FromCountry="JE",
                             MessagingServiceSid="MG" + "0" * 32, SomeFutureField="x" * 500))
    assert reply is not None
    assert len(_inbound_rows(app)) == 1


def test_the_answer_is_twiml_with_the_reply_escaped(client):
    response = text_in(client, "hello", STRANGER)
    raw = response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/xml")
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "Call &amp; Check" in raw  # "&" escaped; parsed back it reads "Call & Check"
    assert "Call & Check team" in reply_of(response)


def test_no_reply_is_an_empty_response(client):
    robot = STRANGER
    ours = reply_of(text_in(client, "hello", robot))
    response = text_in(client, ours, robot)  # an echo of our own reply: a loop
    assert reply_of(response) is None
    assert "<Message" not in response.get_data(as_text=True)


# --- The status form ------------------------------------------------------------------------


def _report(client, query: str, **form):
    path = "/sms/status" + query
    return post_signed(client, path, form)


def test_a_report_is_signed_over_the_address_with_its_query(client, counted):
    form = {"MessageSid": new_sid(), "MessageStatus": "delivered"}
    without_query = sign("/sms/status", form)
    response = client.post("/sms/status?message=7", data=form,
                           headers={"X-Twilio-Signature": without_query})
    _refused(response)
    assert _report(client, "?message=7", **form).status_code == 204
    assert counted()  # no text 7: nothing changes, and Twilio is not asked to try again


@pytest.mark.parametrize("form", [
    {"MessageStatus": "delivered"},
    {"MessageSid": "SM1", "MessageStatus": "delivered"},
    {"MessageSid": new_sid()},
    {"MessageSid": new_sid(), "MessageStatus": "x" * 33},
    {"MessageSid": new_sid(), "MessageStatus": "failed", "ErrorCode": "thirty"},
    {"MessageSid": new_sid(), "MessageStatus": "failed", "ErrorCode": "-1"},
    {"MessageSid": new_sid(), "MessageStatus": "failed", "ErrorCode": "9" * 40},
])
def test_a_bad_report_is_a_400(client, counted, form):
    assert _report(client, "", **form).status_code == 400
    assert counted()


@pytest.mark.parametrize("query", ["?message=abc", "?message=" + "9" * 5000, "?message=-3",
                                   "?message=%00", "?message=²", "?other=1", ""])
def test_an_odd_message_id_in_the_address_is_not_a_failure(client, counted, query):
    form = {"MessageSid": new_sid(), "MessageStatus": "sent", "ErrorCode": ""}
    assert _report(client, query, **form).status_code == 204
    assert counted()


def test_the_signature_check_is_twilios_own(client):
    """A sanity check of the helper: our signature is what RequestValidator accepts."""
    from twilio.request_validator import RequestValidator

    form = inbound_form("hello", STRANGER)
    assert RequestValidator(AUTH_TOKEN).validate(BASE_URL + "/sms/inbound", form,
                                                 sign("/sms/inbound", form))


def test_twilio_hears_ok_only_once_the_text_is_stored(app, client, counted, monkeypatch):
    """If the commit fails the answer is a 500 (Twilio then tries the fallback), not TwiML."""
    def refuse():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", refuse)
    response = text_in(client, "I fell", STRANGER)
    assert response.status_code == 500
    assert "<Response" not in response.get_data(as_text=True)
    monkeypatch.undo()
    assert counted()


# --- Odd senders and bodies, on both databases -------------------------------------------------


@pytest.mark.parametrize("sender", [" ", "   ", "\u00a0", "\u3000", "\u200b", " \u00a0 "])
def test_a_blank_sender_is_a_400_and_nothing_is_stored(client, counted, sender):
    response = post_signed(client, "/sms/inbound", inbound_form("FALL", sender))
    assert response.status_code == 400
    assert response.mimetype == "text/plain" and "From" in response.get_data(as_text=True)
    assert counted()


@pytest.mark.parametrize("sender", ["+", "+-", "()", "--", "+ ( )", "...", "💬", "\u202e"])
def test_a_sender_with_no_letter_or_digit_is_a_400(client, counted, sender):
    response = post_signed(client, "/sms/inbound", inbound_form("FALL", sender))
    assert response.status_code == 400
    assert counted()


@pytest.mark.parametrize("sender", ["PARCELCO", "Bank Info", "12345", "07700 900997",
                                    "+４４７７００９００９９７", "ŻABKA", " +447700900997 "])
def test_senders_that_are_not_e164_are_stored_and_answered(app, client, sender):
    assert reply_of(text_in(client, "hello", sender)) is not None
    [row] = _inbound_rows(app)
    assert row.phone == row.phone.strip() and row.phone


@pytest.mark.parametrize("body", ["", " ", "\u3000", "🙂" * 2000, "ż" * 5000, "a\r\nb"])
def test_odd_bodies_are_stored_and_answered(app, client, body):
    assert reply_of(text_in(client, body, STRANGER)) is not None
    [row] = _inbound_rows(app)
    assert row.body == body[:1600]


def test_a_sender_whose_lock_key_is_the_lowest_integer_is_understood(app, client):
    # On PostgreSQL texts from one number take an advisory lock keyed by the number's CRC-32,
    # shifted into the signed range: a CRC of 0 (as for "", or this sender name) gives -2**31,
    # which the driver sent as a bigint, and PostgreSQL answered 500.
    sender = "SENDER178Jn4M"
    assert zlib.crc32(sender.encode()) == 0
    assert reply_of(text_in(client, "hello", sender)) is not None
    assert [row.phone for row in _inbound_rows(app)] == [sender]
