"""API: the message log, a coordinator's own texts, interrupted sends, and the opt-out list."""

from outreach.api import Blueprint, Page, paginate
from outreach.messages import opt_outs, services
from outreach.messages.models import Message, SmsNumber
from outreach.messages.schemas import (
    DecideIn,
    MessageDetail,
    MessageIn,
    MessageOut,
    MessageQuery,
    NumberOut,
    NumberQuery,
    OptInIn,
    OptOutIn,
)
from outreach.people.services import client_for_change, get_client

MANAGERS = services.MANAGERS


blp = Blueprint("messages_api", __name__)


@blp.operation("/messages", summary="The message log", tag="messages", query=MessageQuery,
               response=MessageOut, many=True, roles=MANAGERS)
def list_messages(user, params):
    """Texts in and out that the caller may see, oldest first; filter by client_id,
    programme_id, direction, status, kind."""
    if params["client_id"] is not None:
        get_client(user, params["client_id"], purpose="messages")
    filters = {k: v for k, v in params.items() if k not in ("cursor", "limit")}
    page = paginate(services.visible_messages(user, **filters), Message.id)
    services.audit_listing(user, page.items)
    return page


@blp.operation("/messages", method="POST", summary="Text a client or contact", tag="messages",
               body=MessageIn, response=MessageOut, status=201, roles=MANAGERS)
def send_message(user, data):
    """Write a text to a client (or a contact the client agreed to share with); it is sent
    once the request commits, held in quiet hours unless `urgent`."""
    client = client_for_change(user, data["client_id"])
    return services.send_text(user, client, data["body"], contact_id=data["contact_id"],
                              urgent=data["urgent"])


@blp.operation("/messages/<int:message_id>", summary="One message and its status history",
               tag="messages", response=MessageDetail, roles=MANAGERS)
def get_message(user, message_id):
    """A message with its status history; reading one about a client is audited."""
    return services.get_message(user, message_id)


@blp.operation("/messages/<int:message_id>/decide", method="POST",
               summary="Send again, drop, or check again an interrupted text", tag="messages",
               body=DecideIn, response=MessageDetail, roles=MANAGERS)
def decide_message(user, message_id, data):
    """For a text in status `unknown` only (else 409): `send_again` queues it, `drop`
    cancels it, `check_again` looks it up at the provider again and adopts it if found (409
    when the provider cannot be asked now)."""
    return services.decide(user, services.message_for_change(user, message_id),
                           data["action"])


@blp.operation("/opt-outs", summary="Numbers that must not be texted", tag="messages",
               query=NumberQuery, response=NumberOut, many=True, roles=MANAGERS)
def list_opt_outs(user, params):
    """Numbers that opted out or do not work, with the caller's clients and contacts they
    belong to."""
    page = paginate(services.visible_numbers(user), SmsNumber.id)
    return Page(services.listed(user, page.items), page.next_cursor)


@blp.operation("/opt-outs/<int:number_id>/clear-invalid", method="POST",
               summary="Mark a number as checked and working", tag="messages", response=NumberOut,
               roles=MANAGERS)
def clear_invalid(user, number_id):
    """A person checked the number: it may be texted again (409 if it was not marked)."""
    entry = services.get_number(user, number_id)
    services.clear_invalid(user, entry)
    return entry


@blp.operation("/opt-outs", method="POST", summary="Opt a number out of texts by hand",
               tag="messages", body=OptOutIn, response=NumberOut, status=201, roles=MANAGERS)
def opt_out(user, data):
    """The person asked for no texts by phone, in person or in writing: nothing more is sent
    to the number (a number of a client the caller manages, or of their contact; 409 if it
    already gets none). Audited with who, when and the reason."""
    return opt_outs.opt_out(user, data["phone"], data["reason"])


@blp.operation("/opt-outs/<int:number_id>/opt-in", method="POST",
               summary="Let texts go again to a number opted out by hand", tag="messages",
               body=OptInIn, response=NumberOut, roles=MANAGERS)
def opt_in(user, number_id, data):
    """Only for a number opted out by hand (409 for one that replied STOP: only its owner's
    START undoes that). Audited with who, when and the reason."""
    return opt_outs.opt_in(user, services.get_number(user, number_id), data["reason"])
