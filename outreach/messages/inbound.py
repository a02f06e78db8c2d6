"""Texts people send in: stored, told apart from repeats, and who sent them.

The SMS webhook (messages/webhooks.py) calls `receive_text` inside the request's transaction
and commits before answering, so a text is never acknowledged unless it is stored. A text is
stored before anything is decided about it, then understood (messages/understanding.py: the
ordered handlers that decide what it means and what it changes). Replies go back in the
webhook's answer (TwiML) and are logged here.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.exc import IntegrityError

from channels.sms import segments
from outreach.db import db, utcnow
from outreach.enums import Language, MessageDirection, MessageKind, MessageStatus
from outreach.messages import keywords, numbers, understanding
from outreach.messages.models import Message, SmsNumber
from outreach.messages.outbox import cost_of
from outreach.messages.status import set_status
from outreach.people import phones
from outreach.people.models import Client, Contact

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit on a message body; anything longer is cut, never refused
# Inbound texts from one number are understood one at a time (see `_one_at_a_time`).
_LOCK_SPACE = 0x534D5331


@dataclass(frozen=True)
class Received:
    """An inbound text as stored, and what to answer (None: an empty answer)."""

    message: Message
    reply: str | None
    duplicate: bool = False


@dataclass
class Sender:
    """Who a number belongs to: clients (a couple may share one), or a designated contact."""

    phone: str
    clients: list[Client] = field(default_factory=list)
    contacts: dict[int, Contact] = field(default_factory=dict)  # client id -> their contact
    language: Language = Language.ENGLISH
    number: SmsNumber | None = None  # what we know about the number (opted out...), if anything

    @property
    def known(self) -> bool:
        """Whether the number is a client's or a designated contact's."""
        return bool(self.clients)


def receive_text(sid: str, sender: str, to: str, body: str, *,
                 now: datetime | None = None) -> Received:
    """Store and understand one inbound text; the same `sid` again changes nothing."""
    now = now or utcnow()
    phone = e164(sender)
    earlier = _stored(sid, turn_of=phone)
    if earlier is not None:
        return Received(earlier, reply_to(earlier.id), duplicate=True)
    who = identify(phone)
    body = body.replace("\x00", "")[:MAX_BODY]  # PostgreSQL cannot store NUL
    parts = segments.count(body)
    first = who.clients[0] if who.known else None
    contact = who.contacts.get(first.id) if first is not None else None
    message = Message(
        direction=MessageDirection.INBOUND, status=MessageStatus.RECEIVED,
        client_id=getattr(first, "id", None), contact_id=getattr(contact, "id", None),
        programme_id=getattr(first, "programme_id", None), phone=phone, service_number=to,
        body=body, language=who.language, encoding=parts.encoding, segments=parts.count,
        provider_sid=sid, backend="twilio", fingerprint=keywords.fold(body)[:160],
        created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():  # the same text may be arriving in a parallel request
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        earlier = _stored(sid)
        if earlier is None:
            raise
        return Received(earlier, reply_to(earlier.id), duplicate=True)
    answer = understanding.understand(message, who, now)
    # Logged after understanding so that it is written in one statement with the reply's event.
    set_status(message, MessageStatus.RECEIVED, now, "Received")
    if answer is not None:
        _store_reply(message, answer, who.language, now)
    return Received(message, answer)


def e164(raw: str) -> str:
    """The sender's number in E.164 when it is one we can read, else as given."""
    try:
        return phones.normalise(raw)
    except phones.InvalidPhone:
        return raw.strip()


def identify(phone: str) -> Sender:
    """The clients whose number this is, else the clients whose designated contact it is.

    What we know about the number comes in the same query (joined on the phone), to save a
    round trip on every text.
    """
    rows = db.session.execute(
        select(Client, SmsNumber).outerjoin(SmsNumber, SmsNumber.phone == Client.phone)
        .where(Client.phone == phone).order_by(Client.id)).all()
    if rows:
        clients = [client for client, _ in rows]
        return Sender(phone, clients, {}, clients[0].preferred_language, rows[0][1])
    rows = db.session.execute(
        select(Contact, SmsNumber).outerjoin(SmsNumber, SmsNumber.phone == Contact.phone)
        .where(Contact.phone == phone).order_by(Contact.id)).all()
    if not rows:
        return Sender(phone, number=numbers.number_record(phone))
    by_client: dict[int, Contact] = {}
    for contact, _ in rows:
        by_client.setdefault(contact.client_id, contact)
    return Sender(phone, [c.client for c in by_client.values()], by_client,
                  rows[0][0].preferred_language, rows[0][1])


def _one_at_a_time(phone: str):
    """On PostgreSQL, the expression that waits for any other request handling a text from
    `phone` to finish (None elsewhere).

    Repeats and loops are judged from the texts before this one, so two texts from one number
    must not be understood side by side. SQLite needs nothing: every transaction there takes
    the write lock as it begins (see outreach.db), so requests already run one at a time.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    key = zlib.crc32(phone.encode()) - 2**31  # into PostgreSQL's signed 32-bit range
    # Cast: the driver sends -2**31 (the key of "" and of any number whose CRC is 0) as a
    # bigint, and PostgreSQL has no pg_advisory_xact_lock(integer, bigint).
    return func.pg_advisory_xact_lock(cast(literal(_LOCK_SPACE), Integer),
                                      cast(literal(key), Integer))


def _stored(sid: str, *, turn_of: str | None = None) -> Message | None:
    """The inbound text with this MessageSid, if stored before.

    With `turn_of` (the sender's number), first take our turn with that number (see
    `_one_at_a_time`), in the same statement: one round trip less for every text. That
    statement's snapshot may predate a parallel request's commit of the same text; its row then
    meets the unique index on insert, and `receive_text` looks again.
    """
    earlier = select(Message.id).where(
        Message.direction == MessageDirection.INBOUND, Message.provider_sid == sid)
    lock = _one_at_a_time(turn_of) if turn_of is not None else None
    if lock is not None:
        found = db.session.execute(select(lock, earlier.scalar_subquery())).one()[1]
        return db.session.get(Message, found) if found is not None else None
    return db.session.scalar(select(Message).where(
        Message.direction == MessageDirection.INBOUND, Message.provider_sid == sid))


def reply_to(message_id: int) -> str | None:
    """The reply an inbound text got, word for word."""
    return db.session.scalar(select(Message.body).where(
        Message.in_reply_to_id == message_id, Message.kind == MessageKind.REPLY)
        .order_by(Message.id).limit(1))


def _store_reply(message: Message, body: str, language: Language, now: datetime) -> Message:
    """Log a reply; it leaves in the webhook's TwiML answer, not through the dispatcher."""
    parts = segments.count(body)
    reply = Message(
        direction=MessageDirection.OUTBOUND, kind=MessageKind.REPLY, status=MessageStatus.SENT,
        client_id=message.client_id, contact_id=message.contact_id,
        programme_id=message.programme_id, phone=message.phone,
        service_number=message.service_number, body=body, language=language,
        encoding=parts.encoding, segments=parts.count, cost_estimate=cost_of(parts.count),
        backend="twiml", in_reply_to_id=message.id, created_at=now, updated_at=now)
    db.session.add(reply)
    # Before the flush, so that sent_at goes in the INSERT rather than an UPDATE after it.
    set_status(reply, MessageStatus.SENT, now, "Answered in the webhook's reply (TwiML)")
    db.session.flush()
    return reply
