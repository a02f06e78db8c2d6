"""The provider's reports on the texts we sent (Twilio's status callbacks).

The webhook (outreach/messages/webhooks.py) calls `receive_status` inside the request's transaction.
Reports arrive in any order and more than once: a status never goes backwards and the same one
twice adds nothing (see status.advance).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from channels.sms import ProviderStatus
from outreach.db import db, utcnow
from outreach.enums import MessageDirection, MessageStatus
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.messages.status import FROM_PROVIDER, advance

log = logging.getLogger(__name__)


def receive_status(message_id: int | None, sid: str, status: ProviderStatus, raw_status: str,
                   error_code: int | None, reason: str, *,
                   now: datetime | None = None) -> Message | None:
    """Apply the provider's report on one of our texts; None when it names none we know."""
    now = now or utcnow()
    message = _reported(message_id, sid)
    if message is None:
        # Answered as accepted all the same: the provider would only send it again.
        log.info("Delivery report for a text we do not know (our id %s, sid %s); ignored",
                 message_id, sid)
        return None
    if message.provider_sid is None:
        message.provider_sid = sid  # the report came before the send's own answer was saved
    apply_report(message, status, raw_status, error_code, reason, now)
    return message


def apply_report(message: Message, provider_status: ProviderStatus, raw_status: str,
                 error_code: int | None, reason: str, now: datetime) -> bool:
    """Apply one report to `message`; answers whether it changed anything."""
    status = FROM_PROVIDER[provider_status]
    detail = f"Provider reports {raw_status}" + (f": {reason}" if reason else "")
    changed = advance(message, status, now, detail, error_code)
    if changed and status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        message.error_reason = reason[:500]
        numbers.learn_from_failure(message.phone, error_code, reason, now)
    return changed


def _reported(message_id: int | None, sid: str) -> Message | None:
    """Our text a report is about: by the id in its callback address, else by the sid alone.

    Locked, so two reports about one text (sent, delivered) are applied one after the other.
    """
    outbound = select(Message).where(Message.direction == MessageDirection.OUTBOUND)
    if message_id is not None:
        named = db.session.scalar(outbound.where(Message.id == message_id).with_for_update())
        if named is not None and named.provider_sid in (None, sid):
            return named
    # A mock provider may give every text the same sid: only a sid naming one text will do.
    found = db.session.scalars(outbound.where(Message.provider_sid == sid).limit(2)
                               .with_for_update()).all()
    return found[0] if len(found) == 1 else None
