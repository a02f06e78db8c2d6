"""Answers to the daily check-in text: 1 (OK), 2 (a call, please), 3 (help today), as people
type them ("2 👍", "two", "3 not well today"), and what any other text after a check-in settles.

A client who texted anything after a check-in is not silent: the `no_response` job
(outreach.messages.jobs) leaves alone a check-in followed by any text from its number, and a
`no_response` need already raised for it is closed when such a text arrives (`heard_from`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from outreach.db import db
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
from outreach.messages.models import Message
from outreach.messages.texts import render
from outreach.needs.models import Need
from outreach.needs.services import close_need, create_need
from outreach.people.models import Client

CHECK_IN_ANSWERABLE = timedelta(hours=24)
# Digits answering a check-in: what they mean, as a coordinator reads it.
ANSWERS = {"1": "OK", "2": "would like a call", "3": "needs help today"}
_REPLIES = {"1": "reply_check_in_ok", "2": "reply_check_in_call", "3": "reply_check_in_help"}


def pending_check_in(who, now: datetime) -> Message | None:
    """The latest check-in text to the sender's clients at this number, if it still awaits an
    answer (a contact's number never had one)."""
    latest = db.session.scalar(select(Message).where(
        Message.direction == MessageDirection.OUTBOUND, Message.kind == MessageKind.CHECK_IN,
        Message.client_id.in_([c.id for c in who.clients]), Message.phone == who.phone)
        .order_by(Message.id.desc()).limit(1))
    if latest is None or latest.answered_at is not None or latest.status in (
            MessageStatus.QUEUED, MessageStatus.CANCELLED, MessageStatus.FAILED):
        return None
    if (latest.sent_at or latest.created_at) < now - CHECK_IN_ANSWERABLE:
        return None
    return latest


def answer(message: Message, check_in: Message, digit: str, language: Language,
           now: datetime, *, bare: bool = True) -> str:
    """Take `digit` as the answer to `check_in`: a 2 or 3 raises a need for the coordinator
    (with the client's words when they wrote more than the digit); the reply says what next."""
    check_in.answered_at, check_in.answer = now, digit
    message.meaning = InboundMeaning.CHECK_IN_ANSWER
    message.in_reply_to_id = check_in.id
    client = db.session.get(Client, check_in.client_id)
    message.client_id, message.programme_id = client.id, client.programme_id
    replied = digit if bare else f'"{message.body.strip()}"'
    if digit == "2":
        said = "Asked for a call in reply to a check-in text" if bare else \
            f"Asked for a call (replied {replied} to a check-in text)"
        message.need_id = create_need(None, client, NeedCategory.OTHER, NeedSeverity.SOON,
                                      said[:1000], NeedSource.SMS).id
    elif digit == "3":
        message.need_id = create_need(None, client, NeedCategory.OTHER, NeedSeverity.URGENT,
                                      f"Needs help today (replied {replied} to a check-in "
                                      "text)"[:1000], NeedSource.SMS).id
    _close_no_response(check_in, f"Replied {digit} ({ANSWERS[digit]}) by text", now)
    return render(_REPLIES[digit], language)


def heard_from(check_in: Message | None, now: datetime) -> None:
    """A client's own text after `check_in` (the one awaiting their answer), whatever it says:
    the silence that raised a `no_response` need is over (a person reads what they wrote, as
    its meaning says)."""
    if check_in is not None:
        _close_no_response(check_in, "Texted back after the check-in (see the texts)", now)


def _close_no_response(check_in: Message, why: str, now: datetime) -> None:
    """A late answer settles the `no_response` need the silence raised: they did answer."""
    need = db.session.get(Need, check_in.need_id) if check_in.need_id else None
    if need is None or need.status != NeedStatus.OPEN \
            or need.category != NeedCategory.NO_RESPONSE:
        return
    close_need(need, now, why, by="sms_reply", via="sms")
