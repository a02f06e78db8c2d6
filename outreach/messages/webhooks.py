"""Twilio's webhooks: texts sent to our numbers (POST /sms/inbound) and delivery reports on the
texts we sent (POST /sms/status).

Both refuse (403) any request without Twilio's signature: an HMAC, keyed with our auth token, of
PUBLIC_BASE_URL + path (+ query) and the posted form. Twilio signs the address it was given, not
the one this process sees behind a proxy, hence PUBLIC_BASE_URL. This module only checks, parses
and answers; what a text means and what it changes is decided in outreach.messages.inbound.
It lives with messages, not in channels/, because it writes to the message log: channels/ holds
only what talks to a provider and imports nothing of the application.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from flask import Blueprint, Response, current_app, g, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from channels.sms.twilio import reason_for, status_for
from outreach.db import db
from outreach.messages import inbound, reports
from outreach.schemas import MAX_ID

log = logging.getLogger(__name__)

bp = Blueprint("sms_webhooks", __name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Contains control characters.")


# Unicode's control, format (zero-width, direction marks), surrogate, private and unassigned
# characters: no number or sender name Twilio passes on contains them.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _a_number(value: str) -> None:
    """A phone number, short code or sender name: something to answer and to show a person.

    Blank, spaces alone or punctuation alone names nobody, and would be stored as a number
    every blank sender shares.
    """
    if any(unicodedata.category(c) in _INVISIBLE for c in value):
        raise ValidationError("Contains invisible characters.")
    if not any(c.isalnum() for c in value):
        raise ValidationError("Names no number.")


class _TwilioForm(Schema):
    class Meta:
        unknown = EXCLUDE  # Twilio sends many more fields, and adds new ones

    MessageSid = fields.String(
        required=True, validate=validate.Regexp(r"^(SM|MM)[0-9a-fA-F]{32}\Z"))


class InboundForm(_TwilioForm):
    """What Twilio posts for a text sent to one of our numbers (the fields we use)."""

    From = fields.String(required=True, validate=[validate.Length(1, 32), _printable, _a_number])
    To = fields.String(required=True, validate=[validate.Length(1, 32), _printable, _a_number])
    Body = fields.String(load_default="")  # may be empty (a picture alone); cut at 1,600


class StatusForm(_TwilioForm):
    """What Twilio posts when one of our texts changes status."""

    MessageStatus = fields.String(required=True, validate=[validate.Length(1, 32), _printable])
    ErrorCode = fields.Integer(load_default=None, validate=validate.Range(0, MAX_ID))

    @pre_load
    def _blank_is_none(self, data, **kwargs):
        if not str(data.get("ErrorCode", "")).strip():
            data.pop("ErrorCode", None)
        return data


# Built once: a schema holds no state between loads, and building one per text costs more than
# the load itself.
_INBOUND_FORM = InboundForm()
_STATUS_FORM = StatusForm()


def signed() -> bool:
    """Whether the request carries Twilio's signature of our address and its form."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(token).validate(url, request.form, signature)


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _refused() -> Response:
    log.warning("Refused an unsigned or wrongly signed request to %s", request.path)
    return _plain(403, "Forbidden: this address only takes requests signed by Twilio.")


def _parse(schema: Schema) -> dict:
    """The form, validated; raises ValidationError naming the bad fields (never their values)."""
    return schema.load(request.form.to_dict())


def _bad(error: ValidationError) -> Response:
    names = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else "form"
    return _plain(400, f"Bad request: missing or invalid {names}.")


def twiml(reply: str | None) -> Response:
    """A TwiML answer: the reply as one message, or an empty <Response/> for none."""
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), mimetype="text/xml")


@bp.post("/sms/inbound")
def inbound_text():
    """A text sent to one of our numbers: stored and understood, then answered in TwiML."""
    if not signed():
        return _refused()
    try:
        form = _parse(_INBOUND_FORM)
    except ValidationError as error:
        return _bad(error)
    g.via = "sms"
    received = inbound.receive_text(form["MessageSid"], form["From"], form["To"], form["Body"])
    db.session.commit()  # stored before Twilio hears that we have it
    if received.duplicate:
        log.info("MessageSid %s was received before; answered as the first time",
                 form["MessageSid"])
    return twiml(received.reply)


@bp.post("/sms/status")
def delivery_report():
    """Twilio's report on one of our texts (sent, delivered, failed...), applied in order."""
    if not signed():
        return _refused()
    try:
        form = _parse(_STATUS_FORM)
    except ValidationError as error:
        return _bad(error)
    g.via = "sms"
    code = form["ErrorCode"]
    reports.receive_status(_our_id(request.args.get("message")), form["MessageSid"],
                           status_for(form["MessageStatus"]), form["MessageStatus"], code,
                           reason_for(code) if code is not None else "")
    db.session.commit()
    return Response(status=204)


def _our_id(raw: str | None) -> int | None:
    """Our message id from the callback address we gave (see dispatch.status_callback_url)."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 10 \
            or not 0 < int(raw) <= MAX_ID:
        return None
    return int(raw)
