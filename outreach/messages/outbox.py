"""Writing outbound texts to the message log; they are sent after the transaction commits.

A service that wants a text sent calls `queue_text` inside its own transaction: the text is
stored with the change that caused it, or not at all. Once that transaction commits, the new
texts are handed to the dispatcher, in-process or through Celery (`outreach.db.after_commit`,
at the end of each request, periodic job and command).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels.sms import segments
from outreach.db import after_commit, db, hand_over_committed, utcnow
from outreach.enums import Language, MessageDirection, MessageKind, MessageStatus
from outreach.messages import numbers, texts
from outreach.messages.models import Message
from outreach.messages.quiet_hours import quiet_until
from outreach.messages.status import set_status
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme


def sender_for(programme: Programme | None) -> str:
    """The number a programme texts from (blank: the backend's own sender)."""
    if programme is not None and programme.sms_number:
        return programme.sms_number
    return current_app.config["TWILIO_FROM_NUMBER"]


def cost_of(parts: int) -> Decimal:
    """The estimated price of `parts` segments."""
    return Decimal(str(current_app.config["SMS_COST_PER_SEGMENT"])) * parts


def queue_text(kind: MessageKind, template: str, *, to: str | None, language: Language | str,
               programme: Programme | None, client: Client | None = None,
               contact: Contact | None = None, urgent: bool = False,
               dedupe_key: str | None = None, not_after: datetime | None = None,
               now: datetime | None = None, **values) -> Message | None:
    """Store a text for sending after commit; answers it, or None if `dedupe_key` was used.

    A recipient who may not be texted (opted out, number not working) still gets a row,
    `cancelled` with the reason, so a coordinator can see why nothing arrived.
    """
    now = now or utcnow()
    if dedupe_key is not None and db.session.scalar(
            select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None:
        return None
    body = texts.render(template, language, **values)
    return store_outbound(kind, body, to=to, language=language, programme=programme,
                          client=client, contact=contact, urgent=urgent, dedupe_key=dedupe_key,
                          not_after=not_after, now=now)


def store_outbound(kind: MessageKind, body: str, *, to: str | None, language: Language | str,
                   programme: Programme | None, client: Client | None = None,
                   contact: Contact | None = None, urgent: bool = False,
                   dedupe_key: str | None = None, not_after: datetime | None = None,
                   now: datetime) -> Message | None:
    """Store an already written text for sending after commit (see `queue_text`)."""
    parts = segments.count(body)
    message = Message(
        direction=MessageDirection.OUTBOUND, kind=kind, status=MessageStatus.QUEUED,
        client_id=getattr(client, "id", None), contact_id=getattr(contact, "id", None),
        programme_id=getattr(programme, "id", None), phone=to or "",
        service_number=sender_for(programme), body=body, language=Language(language),
        encoding=parts.encoding, segments=parts.count, cost_estimate=cost_of(parts.count),
        urgent=urgent, dedupe_key=dedupe_key, not_after=not_after, created_at=now,
        updated_at=now)
    try:
        with db.session.begin_nested():  # another machine may have just made the same one
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    refusal = numbers.why_not_text(to)
    if refusal is not None:
        message.error_reason = refusal
        set_status(message, MessageStatus.CANCELLED, now, refusal)
        return message
    set_status(message, MessageStatus.QUEUED, now, "Written to the outbox")
    hold(message, programme, now)
    send_after_commit(message)
    return message


def send_after_commit(message: Message) -> None:
    """Hand `message` (queued) to the dispatcher once the current transaction commits."""
    after_commit(_hand_over, message.id)


def hold(message: Message, programme: Programme | None, now: datetime) -> bool:
    """Hold a non-urgent text until the quiet hours end; answers whether it was held."""
    if message.urgent:
        return False
    until = quiet_until(programme, now)
    if until is None:
        return False
    message.send_at = until
    message.held_reason = "Quiet hours: held until the morning"
    return True


def _hand_over(message_ids: list[int]) -> int:
    from outreach.messages import dispatch

    return dispatch.hand_over(message_ids)


def send_committed() -> int:
    """Hand the texts committed by this session to the dispatcher; answers how many."""
    return sum(hand_over_committed(only=_hand_over))
