"""The message log for people: who sees which texts, reading them, sending a free text,
deciding about an interrupted send, and the list of numbers that must not be texted.

Who sees what is decided here and nowhere else: admins every message; coordinators the
messages about the clients they may see, plus the client-less ones (texts from unknown numbers
and the replies to them) of their own programmes or that reached a number their programmes
text from; nobody else any. Message bodies are personal data: never logged, never audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from channels.sms import SendFailed
from outreach.audit.services import record, record_listing
from outreach.auth import access
from outreach.auth.models import User
from outreach.consent.services import may_share_with
from outreach.db import db, utcnow
from outreach.enums import MessageDirection, MessageKind, MessageStatus, Role
from outreach.errors import Conflict, Forbidden, NotFound, ValidationFailed
from outreach.messages import numbers, outbox, reconcile
from outreach.messages.models import Message, SmsNumber
from outreach.messages.status import set_status
from outreach.people.models import Client, Contact
from outreach.people.services import deny, read_client
from outreach.programmes.models import Programme

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
SEND_AGAIN, DROP, CHECK_AGAIN = "send_again", "drop", "check_again"


# --- Who sees which messages ------------------------------------------------------------------

def service_numbers(user: User) -> set[str]:
    """The numbers the programmes of the user's operator text from (and so receive on)."""
    default = current_app.config["TWILIO_FROM_NUMBER"]
    found = db.session.scalars(select(Programme.sms_number).where(
        Programme.operator_id == user.organisation_id))
    return {number or default for number in found} - {""}


def message_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the messages `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role != Role.COORDINATOR:
        return false()
    # A client-less text belongs to a programme when it names one; otherwise (an unknown
    # sender, and our reply) to whoever texts from the number it reached.
    unattached = and_(Message.client_id.is_(None), or_(
        Message.programme_id.in_(access.operator_programme_ids(user)),
        and_(Message.programme_id.is_(None),
             Message.service_number.in_(sorted(service_numbers(user))))))
    return or_(Message.client_id.in_(access.visible_client_ids(user)), unattached)


def visible_messages(user: User, *, client_id: int | None = None,
                     programme_id: int | None = None, direction: str | None = None,
                     status: str | None = None, kind: str | None = None) -> Select:
    """A query for the messages `user` may see, filtered."""
    query = select(Message).where(message_filter(user))
    for column, value in ((Message.client_id, client_id), (Message.programme_id, programme_id),
                          (Message.direction, direction), (Message.status, status),
                          (Message.kind, kind)):
        if value is not None:
            query = query.where(column == value)
    return query


def unknown_senders(user: User) -> Select:
    """Texts from numbers that belong to no client, kept for a coordinator to read."""
    return visible_messages(user, direction=MessageDirection.INBOUND).where(
        Message.client_id.is_(None))


def get_message(user: User, message_id: int) -> Message:
    """One message `user` may see; reading one about a client is an audited client read."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound("No such message.")
    if message.client is not None:
        read_client(user, message.client, "messages", message_id=message.id)
        return message
    if db.session.scalar(select(Message.id).where(Message.id == message.id,
                                                  message_filter(user))) is None:
        raise NotFound("No such message.")  # an unknown sender's text: not even its existence
    record(user, "message.read", subject=message)
    return message


def message_for_change(user: User, message_id: int) -> Message:
    """A message `user` may act on: one about a client they manage, or a client-less one of
    their own programmes."""
    message = get_message(user, message_id)
    if message.client is not None and not access.can_manage_client(user, message.client):
        deny(user, message.client, "messages")
    return message


def audit_listing(user: User, messages) -> None:
    """Each client whose texts are shown leaves a client.list event."""
    shown: dict[int, Client] = {}
    for message in messages:
        if message.client is not None:
            shown.setdefault(message.client_id, message.client)
    record_listing(user, shown.values(), purpose="messages")


# --- Acting on messages -----------------------------------------------------------------------

def send_text(user: User, client: Client, body: str, *, contact_id: int | None = None,
              urgent: bool = False) -> Message:
    """Write a coordinator's text to the client (or one of their contacts) to the outbox.

    Refused, with the reason against the field, when the recipient may not be texted or, for a
    contact, when the client has not agreed to share information with them.
    """
    contact: Contact | None = None
    field = "client_id"
    if contact_id is not None:
        field = "contact_id"
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.client_id != client.id:
            raise ValidationFailed("Unknown contact.",
                                   fields={field: ["Not a contact of this client."]})
        if not may_share_with(client, contact=contact):
            raise ValidationFailed(
                "The client has not agreed to share information with this contact.",
                fields={field: ["No consent to share information with this contact."]})
    recipient = contact or client
    refusal = numbers.why_not_text(recipient.phone)
    if refusal is not None:
        raise ValidationFailed(f"This text cannot be sent. {refusal}", fields={field: [refusal]})
    message = outbox.store_outbound(
        MessageKind.FREE_TEXT, body, to=recipient.phone, language=recipient.preferred_language,
        programme=client.programme, client=client, contact=contact, urgent=urgent,
        now=utcnow())
    record(user, "message.send", subject=message, client_id=client.id,
           detail={"contact_id": contact_id, "segments": message.segments,
                   "urgent": urgent})
    return message


def decide(user: User, message: Message, action: str) -> Message:
    """Settle a text whose send was interrupted and that the provider has no record of:
    send it again (back to the queue), drop it (cancelled), or check at the provider again
    (adopted if it is found there now, else still `unknown`)."""
    # Locked so that two people deciding at once cannot both send it.
    locked = db.session.scalar(select(Message).where(Message.id == message.id)
                               .with_for_update().execution_options(populate_existing=True))
    if locked is None or locked.status != MessageStatus.UNKNOWN:
        status = (locked or message).status.value
        raise Conflict("Only a text whose sending is not known can be decided; this one is "
                       f"{status}.", extra={"status": status})
    now = utcnow()
    who = user.full_name or user.email
    detail: dict = {"action": action}
    if action == SEND_AGAIN:
        locked.send_at, locked.sending_started_at, locked.error_reason = None, None, ""
        locked.claim_token = None
        set_status(locked, MessageStatus.QUEUED, now, f"{who} decided to send it again")
        outbox.send_after_commit(locked)
    elif action == CHECK_AGAIN:
        try:
            detail["found"] = reconcile.check_again(locked, now, who)
        except SendFailed as failure:
            # Nothing changed, and the person may try later; the attempt stays on record.
            db.session.rollback()
            record(user, "message.decide", subject=message, client_id=message.client_id,
                   detail={**detail, "failed": failure.reason})
            db.session.commit()
            raise Conflict("The SMS provider could not be asked just now; try again in a few "
                           "minutes.", extra={"status": MessageStatus.UNKNOWN.value}) from None
    else:
        set_status(locked, MessageStatus.CANCELLED, now, f"{who} decided to drop it")
    record(user, "message.decide", subject=locked, client_id=locked.client_id, detail=detail)
    return locked


# --- Numbers that must not be texted ---------------------------------------------------------

@dataclass(frozen=True)
class Owner:
    """Whose number it is: a client's own, or one of a client's contacts."""

    kind: str  # "client" or "contact"
    client_id: int
    contact_id: int | None
    name: str
    client_name: str


@dataclass(frozen=True)
class ListedNumber:
    """A number on the opt-out list with the people it belongs to whom the caller may see."""

    number: SmsNumber
    owners: list[Owner]
    can_clear: bool


def _owned_phones(user: User) -> Select:
    """The phones of the clients `user` may see and of their contacts."""
    visible = access.visible_client_ids(user)
    return select(Client.phone).where(Client.id.in_(visible)).union(
        select(Contact.phone).where(Contact.client_id.in_(visible)))


def visible_numbers(user: User) -> Select:
    """Opted-out and invalid numbers: all for admins, those of visible clients for
    coordinators, none for anyone else."""
    query = select(SmsNumber).where(or_(SmsNumber.opted_out_at.is_not(None),
                                        SmsNumber.invalid_at.is_not(None)))
    if user.role == Role.ADMIN:
        return query
    if user.role != Role.COORDINATOR:
        return query.where(false())
    return query.where(SmsNumber.phone.in_(_owned_phones(user)))


def owners_of(user: User, phones: list[str]) -> dict[str, list[Owner]]:
    """The visible clients and contacts each of `phones` belongs to."""
    found: dict[str, list[Owner]] = {phone: [] for phone in phones}
    if not phones:
        return found
    visible = access.client_filter(user)
    for client in db.session.scalars(select(Client).where(Client.phone.in_(phones), visible)
                                     .order_by(Client.id)):
        found[client.phone].append(Owner("client", client.id, None, client.full_name,
                                         client.full_name))
    rows = db.session.execute(select(Contact, Client).join(Client, Contact.client_id == Client.id)
                              .where(Contact.phone.in_(phones), visible).order_by(Contact.id))
    for contact, client in rows:
        found[contact.phone].append(Owner("contact", client.id, contact.id, contact.name,
                                          client.full_name))
    return found


def _may_clear(user: User, owners: list[Owner]) -> bool:
    if user.role == Role.ADMIN:
        return True
    return any(access.can_manage_client(user, db.session.get(Client, o.client_id))
               for o in owners)


def listed(user: User, found: list[SmsNumber]) -> list[ListedNumber]:
    """The numbers with their owners, auditing each client named as a client read."""
    owners = owners_of(user, [n.phone for n in found])
    clients = {o.client_id: db.session.get(Client, o.client_id)
               for people in owners.values() for o in people}
    record_listing(user, clients.values(), purpose="opt-outs")
    return [ListedNumber(n, owners[n.phone], _may_clear(user, owners[n.phone])) for n in found]


def get_number(user: User, number_id: int) -> ListedNumber:
    """One listed number `user` may see (404 otherwise: a number's existence is private)."""
    found = db.session.scalar(visible_numbers(user).where(SmsNumber.id == number_id))
    if found is None:
        raise NotFound("No such number on the opt-out list.")
    return listed(user, [found])[0]


def clear_invalid(user: User, entry: ListedNumber) -> SmsNumber:
    """A person checked the number and it works: it may be texted again."""
    if not entry.can_clear:
        raise Forbidden("You cannot change the clients this number belongs to.")
    number = entry.number
    if number.invalid_at is None:
        raise Conflict("This number is not marked as not working.")
    numbers.clear_invalid(number.phone)
    # One event per client the number belongs to, so each client's own trail shows it.
    for client_id in sorted({o.client_id for o in entry.owners}) or [None]:
        record(user, "sms.clear_invalid", subject=number, client_id=client_id)
    return number
