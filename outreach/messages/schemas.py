"""Input and output shapes for the message log and the opt-out list (API and web forms alike)."""

from __future__ import annotations

from marshmallow import fields, validate

from outreach.enums import MessageDirection, MessageKind, MessageStatus
from outreach.messages.opt_outs import IN_REASONS, OUT_REASONS
from outreach.messages.services import CHECK_AGAIN, DROP, SEND_AGAIN
from outreach.people.phones import Phone
from outreach.schemas import MAX_ID, Id, Input, Output, Text, choice

QueryId = fields.Integer  # query strings are text, so not the strict Id field
MAX_BODY = 1600  # ten segments of GSM-7: Twilio's own limit for one message


class MessageQuery(Input):
    client_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    programme_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    direction = fields.String(load_default=None, validate=choice(MessageDirection))
    status = fields.String(load_default=None, validate=choice(MessageStatus))
    kind = fields.String(load_default=None, validate=choice(MessageKind))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class MessageIn(Input):
    client_id = Id(required=True)
    # Blank: the client themself; else one of the client's designated contacts.
    contact_id = Id(load_default=None, allow_none=True)
    body = Text(required=True, required_text=True, max_length=MAX_BODY)
    urgent = fields.Boolean(load_default=False)


class DecideIn(Input):
    action = fields.String(required=True, validate=validate.OneOf(
        [SEND_AGAIN, DROP, CHECK_AGAIN], error="Choose send_again, drop or check_again."))


class MessageOut(Output):
    id = fields.Integer()
    direction = fields.String()
    kind = fields.String(allow_none=True)
    meaning = fields.String(allow_none=True)
    status = fields.String()
    client_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    programme_id = fields.Integer(allow_none=True)
    phone = fields.String()
    service_number = fields.String()
    body = fields.String()
    language = fields.String()
    encoding = fields.String()
    segments = fields.Integer()
    cost_estimate = fields.Decimal(places=4, as_string=True, metadata={
        "type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{4}$",
        "description": "An estimate in the account's currency, as a decimal string."})
    urgent = fields.Boolean()
    provider_sid = fields.String(allow_none=True)
    attempts = fields.Integer()
    send_at = fields.AwareDateTime(allow_none=True)
    held_reason = fields.String()
    error_code = fields.Integer(allow_none=True)
    error_reason = fields.String()
    sent_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    reply_due_at = fields.AwareDateTime(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    answer = fields.String()
    need_id = fields.Integer(allow_none=True)
    in_reply_to_id = fields.Integer(allow_none=True)


class EventOut(Output):
    status = fields.String()
    at = fields.AwareDateTime()
    error_code = fields.Integer(allow_none=True)
    detail = fields.String()


class MessageDetail(MessageOut):
    """One message with its status history, oldest step first."""

    events = fields.List(fields.Nested(EventOut))


class OwnerOut(Output):
    kind = fields.String()
    client_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    name = fields.String()


class NumberOut(Output):
    """A number that must not be texted, with whose it is (only people the caller may see)."""

    id = fields.Integer(attribute="number.id")
    phone = fields.String(attribute="number.phone")
    opted_out = fields.Function(lambda e: e.number.opted_out_at is not None)
    opted_out_at = fields.AwareDateTime(attribute="number.opted_out_at", allow_none=True)
    opt_out_source = fields.String(attribute="number.opt_out_source")
    opted_in_at = fields.AwareDateTime(attribute="number.opted_in_at", allow_none=True)
    invalid = fields.Function(lambda e: e.number.invalid_at is not None)
    invalid_at = fields.AwareDateTime(attribute="number.invalid_at", allow_none=True)
    invalid_code = fields.Integer(attribute="number.invalid_code", allow_none=True)
    invalid_reason = fields.String(attribute="number.invalid_reason")
    owners = fields.List(fields.Nested(OwnerOut))


class NumberQuery(Input):
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class OptOutIn(Input):
    """Opting a number out of texts by hand: which number, and why (a reason code)."""

    phone = Phone(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        list(OUT_REASONS), error=f"Choose one of: {', '.join(OUT_REASONS)}."))


class OptInIn(Input):
    """Letting texts go to a number opted out by hand again, and why (a reason code)."""

    reason = fields.String(required=True, validate=validate.OneOf(
        list(IN_REASONS), error=f"Choose one of: {', '.join(IN_REASONS)}."))
