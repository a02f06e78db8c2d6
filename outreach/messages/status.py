"""A message's status history: every change is an event, and a status never goes backwards."""

from __future__ import annotations

from datetime import datetime

from channels.sms import ProviderStatus
from outreach.db import db
from outreach.enums import MessageStatus
from outreach.messages.models import Message, MessageEvent

# How far along a text is; a late report of an earlier step never overwrites a later one.
RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,  # anything the provider later says about it settles it
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.CANCELLED: 3,
    MessageStatus.RECEIVED: 3,
}
FINAL = frozenset(s for s, rank in RANK.items() if rank == 3)
FROM_PROVIDER = {
    ProviderStatus.SENDING: MessageStatus.SENDING,
    ProviderStatus.SENT: MessageStatus.SENT,
    ProviderStatus.DELIVERED: MessageStatus.DELIVERED,
    ProviderStatus.UNDELIVERED: MessageStatus.UNDELIVERED,
    ProviderStatus.FAILED: MessageStatus.FAILED,
}


def set_status(message: Message, status: MessageStatus, now: datetime, detail: str = "",
               error_code: int | None = None) -> None:
    """Move `message` to `status` (any direction: for the worker's own steps) and log it."""
    message.status = status
    if status == MessageStatus.SENT and message.sent_at is None:
        message.sent_at = now
    if status == MessageStatus.DELIVERED:
        message.sent_at = message.sent_at or now
        message.delivered_at = now
    if error_code is not None:
        message.error_code = error_code
    # Added to the session rather than appended to `message.events`, which would load every
    # earlier event first: the dispatcher settles hundreds of messages in one go.
    db.session.add(MessageEvent(message=message, status=status, at=now, error_code=error_code,
                                detail=detail[:500]))


def advance(message: Message, status: MessageStatus, now: datetime, detail: str = "",
            error_code: int | None = None) -> bool:
    """Apply a status the provider reported, only if it moves the message forward.

    Answers whether anything changed: the same report twice, or `sent` after `delivered`,
    changes nothing.
    """
    if not moves_forward(message.status, status):
        return False
    set_status(message, status, now, detail, error_code)
    return True


def moves_forward(current: MessageStatus, reported: MessageStatus) -> bool:
    """Whether `reported` is news for a message at `current` (a later step, or settling one)."""
    if RANK[reported] != RANK[current]:
        return RANK[reported] > RANK[current]
    return reported != current and current not in FINAL
