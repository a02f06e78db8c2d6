"""Texts people send in.

The SMS webhook (channels/sms/webhooks.py) calls `receive_text` inside the request's transaction
and commits before answering, so a text is never acknowledged unless it is stored. A text is
stored before anything is decided about it, then understood, in order: carrier words (STOP,
START, HELP, in our four languages: see carrier_words), our own text sent back (an echo), the
same text again within minutes, a number we do not know, workshop texts (a session's code,
LEARN, yes to a place offered: see outreach/literacy/sms.py), a number answering a check-in
(else a workshop's follow-up; see check_in_answers), need words, and anything else for a person
to read. A YES also takes a workshop place offered. A number or SKIP answering an
outcome-measure question (outreach/evaluation/sms.py) comes before repeats: the same answer to
the next question is no repeat; of it and a check-in or follow-up waiting for a 1, 2 or 3, the
question asked last takes the digit.
The loop guard (loop_guard) never stops that understanding: it only holds back our replies to
a number sending many texts in minutes, except the confirmation of an opt-out or opt-in and
the first reply about a need not raised before in those minutes.
Replies go back in the webhook's answer (TwiML) and are logged here.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.exc import IntegrityError

from channels.sms import segments
from outreach.db import db, utcnow
from outreach.enums import (
    InboundMeaning,
    Language,
    MessageDirection,
    MessageKind,
    MessageStatus,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
)
from outreach.evaluation import sms as surveys
from outreach.literacy import sms as workshops  # also texts the places the waiting list frees
from outreach.messages import carrier_words, check_in_answers, keywords, loop_guard, numbers
from outreach.messages.models import Message, SmsNumber
from outreach.messages.outbox import cost_of
from outreach.messages.status import set_status
from outreach.messages.texts import render
from outreach.messages.texts.replies import WHAT
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people import phones
from outreach.people.models import Client, Contact

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit on a message body; anything longer is cut, never refused
# A text seen before within the window is answered again only while fewer replies than this
# went to the number: a person re-sending gets a confirmation, a flood does not.
REPLIES_PER_WINDOW = 2
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
        return Received(earlier, _reply_to(earlier.id), duplicate=True)
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
        return Received(earlier, _reply_to(earlier.id), duplicate=True)
    answer = _understand(message, who, now)
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


def _reply_to(message_id: int) -> str | None:
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


# --- Understanding --------------------------------------------------------------------------


def _understand(message: Message, who: Sender, now: datetime) -> str | None:
    """Give `message` its meaning, act on it, and answer what to reply (None: nothing).

    Every text is understood, however many came before it: the loop guard (`loop_guard`)
    only decides whether we answer. A text that repeats our own words is the one exception:
    it names nothing of the sender's.
    """
    folded = keywords.fold(message.body)
    window = loop_guard.window(message, now)
    was_opted_out = who.number is not None and who.number.opted_out
    carrier = carrier_words.carrier_word(folded)
    meaning = carrier.meaning if carrier is not None else None
    echo = meaning is None and window.echoes(folded)
    flooded = window.flooded()
    digit = keywords.check_in_digit(folded)
    waiting = _Waiting(who, now)
    first = window.first_like(message.fingerprint)
    if first is not None and first.need_id is not None and not _still_open(first.need_id):
        first = None  # the need was closed since: a new report, not a repeat
    if meaning is not None:
        answer = _offer_taken(message, who, meaning, folded, was_opted_out, now) \
            or _carrier_word(message, meaning, folded, _language(who, carrier), now)
    elif echo:
        message.meaning = InboundMeaning.LOOP
        answer = None
    elif (survey_answer := surveys.understand(
            message, who, folded, now,
            rival_at=waiting.asked_at if digit is not None else None)) is not None:
        answer = survey_answer
        first = None  # "3" to the next question is an answer, not a repeat of the last "3"
    elif first is not None:
        message.meaning = InboundMeaning.REPEAT
        message.need_id = first.need_id
        answer = _reply_to(first.id)
    elif not who.known:
        message.meaning = InboundMeaning.UNKNOWN_SENDER
        answer = render("reply_unknown_sender", Language.ENGLISH)
    elif (workshop_answer := workshops.understand(message, who, folded, now)) is not None:
        answer = workshop_answer  # a session code, LEARN, or yes to a place (not need words)
    elif digit is not None and (check_in := waiting.check_in) is not None:
        answer = check_in_answers.answer(message, check_in, digit, who.language, now,
                                         bare=folded == digit)
    elif digit is not None and (asked := waiting.follow_up) is not None:
        answer = workshops.follow_up_answer(message, asked, digit, now)
    elif who.contacts and keywords.acknowledgement(folded) and _takes_on(message, who):
        answer = render("reply_contact_ok", who.language)
    elif (among := _digit_among_words(message, folded)) is not None \
            and (check_in := waiting.check_in) is not None:
        answer = check_in_answers.answer(message, check_in, among, who.language, now,
                                         bare=False)
    else:
        answer = _need(message, who, digit is not None,
                       joinable=window.need_ids() if flooded else None)
    if who.known and not who.contacts and message.meaning != InboundMeaning.LOOP:
        check_in_answers.heard_from(waiting.check_in, now)
    if meaning in (InboundMeaning.OPT_OUT, InboundMeaning.OPT_IN):
        return answer  # every opt-out and opt-in is confirmed, each time (carriers' rule)
    if echo or (flooded and not _raised_now(message, window)):
        loop_guard.stopped(message, window, loop_guard.ECHO if echo else loop_guard.TOO_MANY)
        return None
    if was_opted_out:
        return None  # the provider would refuse it; what they said is still acted on
    if first is not None and window.replies >= REPLIES_PER_WINDOW:
        return None
    return answer


def _language(who: Sender, carrier: carrier_words.CarrierWord) -> Language:
    """The language to confirm a carrier word in: the sender's, unless the word they used
    is another language's own (a stranger's PARAR is answered in Portuguese)."""
    if who.language in carrier.languages or not carrier.languages:
        return who.language
    return sorted(carrier.languages)[0]


def _digit_among_words(message: Message, folded: str) -> str | None:
    """A 2 or 3 in a longer text naming no need ("3 not well today"): it answers a check-in."""
    if keywords.need_in(message.body) is not None:
        return None
    return keywords.check_in_digit_among_words(folded)


def _raised_now(message: Message, window: loop_guard.Window) -> bool:
    """Whether this text raised a need no earlier text in the window had: worth a reply even
    while the loop guard holds our answers back (the need is new; more texts join it)."""
    return message.need_id is not None and message.need_id not in window.need_ids() \
        and message.meaning != InboundMeaning.REPEAT


def _offer_taken(message: Message, who: Sender, carrier: InboundMeaning, folded: str,
                 was_opted_out: bool, now: datetime) -> str | None:
    """YES from a learner offered a workshop place takes it (the reply says so); from a number
    that had opted out, or with no offer waiting, YES is the carriers' opt-in word."""
    if carrier != InboundMeaning.OPT_IN or folded != "yes" or was_opted_out or not who.known:
        return None
    return workshops.accept_offer_by_text(message, who, now)


def _takes_on(message: Message, who: Sender) -> bool:
    """A designated contact's OK: they take on the alerts waiting for their answer."""
    from outreach.escalations.notify import acknowledge_by_text

    taken = acknowledge_by_text(list(who.contacts.values()), message)
    if taken:
        message.meaning = InboundMeaning.ACKNOWLEDGEMENT
        message.need_id = taken[0].need_id
    return bool(taken)


def _still_open(need_id: int) -> bool:
    need = db.session.get(Need, need_id)
    return need is not None and need.status == NeedStatus.OPEN


def _carrier_word(message: Message, meaning: InboundMeaning, word: str, language: Language,
                  now: datetime) -> str:
    message.meaning = meaning
    if meaning == InboundMeaning.OPT_OUT:
        numbers.opt_out(message.phone, f"keyword {word.upper()}"[:60], now)
        return render("reply_opted_out", language)
    if meaning == InboundMeaning.OPT_IN:
        numbers.opt_in(message.phone, now)
        return render("reply_opted_in", language)
    return render("reply_help", language)


@dataclass
class _Waiting:
    """What a lone 1, 2 or 3 could answer: each looked up once, and only when it is asked
    about (a digit answering a check-in never asks about a follow-up)."""

    who: Sender
    now: datetime

    @cached_property
    def check_in(self) -> Message | None:
        return check_in_answers.pending_check_in(self.who, self.now)

    @cached_property
    def follow_up(self):
        return workshops.pending_follow_up(self.who, self.now)

    def asked_at(self) -> datetime | None:
        """When the check-in or workshop follow-up that the digit could answer was sent."""
        moments = []
        if (check_in := self.check_in) is not None:
            moments.append(check_in.sent_at or check_in.created_at)
        if (asked := self.follow_up) is not None:
            moments.append(asked.follow_up_sent_at)
        return max(moments, default=None)


def _need(message: Message, who: Sender, lone_digit: bool, *,
          joinable: list[int] | None = None) -> str:
    """Raise a need for each of the sender's clients: named by its words, else `other`.

    `joinable`: while the loop guard holds (many texts in minutes), the needs the window's
    texts raised. A text naming a need one of them has joins it, and a text naming none joins
    the latest, rather than raising a need per text of a flood; a need not yet raised is
    raised, whatever came before.
    """
    found = keywords.need_in(message.body)
    if found is not None:
        category, severity = found.category, found.severity
        answer = render(f"reply_need_{severity.value}", who.language,
                        what=WHAT[category][who.language])
    else:
        category, severity = NeedCategory.OTHER, NeedSeverity.SOON
        answer = render("reply_read_by_team", who.language)
    message.meaning = InboundMeaning.NEED
    if joinable and (joined := _open_need(joinable, None if found is None else category)):
        message.need_id = joined
        return answer
    said = message.body if message.body.strip() else "(The text was empty.)"
    if lone_digit:
        said = f'Texted "{said}", but no check-in text was waiting for an answer.'
    raised = []
    for client in who.clients:
        contact = who.contacts.get(client.id)
        description = said if contact is None else (
            f"Text from {contact.name} ({contact.relationship_to_client or 'designated contact'}"
            f"): {said}")
        raised.append(create_need(None, client, category, severity, description,
                                  NeedSource.SMS))
    message.need_id = raised[0].id
    return answer


def _open_need(need_ids: list[int], category: NeedCategory | None) -> int | None:
    """The latest of these needs still open (of `category`, when given), if any."""
    query = select(Need.id).where(Need.id.in_(need_ids), Need.status == NeedStatus.OPEN)
    if category is not None:
        query = query.where(Need.category == category)
    return db.session.scalar(query.order_by(Need.id.desc()).limit(1))
