"""Settling interrupted sends: a text left in `sending` with no provider id is looked up at the
provider within the time its claim could have sent it, and adopted when found there, else
marked `unknown` for a person; a person may also have it looked up again later.

A text is never taken for interrupted while its worker may still send it: the reconciler only
looks at claims older than SMS_STUCK_AFTER_SECONDS, skips rows a worker holds locked, and
workers start no send once their claim is near that age (see dispatch).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from channels.sms import LookupResult, OutboundText, SendFailed, SendResult
from outreach.db import db
from outreach.enums import MessageDirection, MessageStatus
from outreach.messages.models import Message
from outreach.messages.status import FROM_PROVIDER, set_status

BATCH = 500
NOT_FOUND = ("The send was interrupted and the provider has no record of it. Check with the "
             "recipient, then send again or drop.")


def lookup_text(message: Message) -> OutboundText:
    """The text to look for at the provider after an interrupted send, with the provider ids
    our other texts to the same number already hold (identical words must not be mixed up)."""
    known = db.session.scalars(select(Message.provider_sid).where(
        Message.phone == message.phone, Message.id != message.id,
        Message.direction == MessageDirection.OUTBOUND, Message.provider_sid.is_not(None),
        Message.body == message.body))
    return OutboundText(message_id=message.id, to=message.phone, body=message.body,
                        sender=message.service_number, known_sids=frozenset(known))


def claim_window(message: Message) -> tuple[datetime, datetime]:
    """When the text's last claim could have handed it to the provider: from the claim until
    the claim counts as interrupted (workers start no send later than that)."""
    started = message.sending_started_at or message.created_at
    stuck = timedelta(seconds=current_app.config["SMS_STUCK_AFTER_SECONDS"])
    return started, started + stuck


def look_up(message: Message) -> LookupResult | None:
    """The text at the provider, within its claim's window; raises SendFailed when the provider
    cannot be asked."""
    from outreach.messages.dispatch import backend

    return backend().lookup(lookup_text(message), *claim_window(message))


def adopt(message: Message, found: LookupResult | SendResult, backend_name: str, now: datetime,
          detail: str = "Found at {backend} after an interrupted send") -> None:
    """Take what the provider holds as this text's own sending."""
    message.provider_sid = found.sid
    message.backend = backend_name
    message.error_reason = ""
    message.send_at = None
    status = FROM_PROVIDER[found.status]
    set_status(message, status, now, detail.format(backend=backend_name)
               + f" ({found.raw_status or found.status})", getattr(found, "error_code", None))


def reconcile_stuck(now: datetime) -> tuple[int, int]:
    """Settle texts left in `sending` without a provider id; answers (adopted, unknown)."""
    from outreach.messages.dispatch import backend

    cutoff = now - timedelta(seconds=current_app.config["SMS_STUCK_AFTER_SECONDS"])
    stuck = db.session.scalars(
        select(Message).where(Message.direction == MessageDirection.OUTBOUND,
                              Message.status == MessageStatus.SENDING,
                              Message.provider_sid.is_(None),
                              Message.sending_started_at <= cutoff)
        .order_by(Message.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    adopted = unknown = 0
    name = backend().name
    for message in stuck:
        try:
            found = look_up(message)
        except SendFailed:
            continue  # the provider cannot be asked now; try at the next tick
        message.claim_token = None
        if found is not None:
            adopt(message, found, name, now)
            adopted += 1
        else:
            message.error_reason = NOT_FOUND
            set_status(message, MessageStatus.UNKNOWN, now, "Interrupted send: not found at "
                       "the provider; a person must decide")
            unknown += 1
    return adopted, unknown


def check_again(message: Message, now: datetime, who: str) -> bool:
    """A person's "check at the provider again" for a locked `unknown` text; answers whether
    it was found (and adopted). Raises SendFailed when the provider cannot be asked now."""
    from outreach.messages.dispatch import backend

    found = look_up(message)
    name = backend().name
    if found is not None:
        adopt(message, found, name, now, f"{who} checked again: found at {{backend}}")
        return True
    set_status(message, MessageStatus.UNKNOWN, now,
               f"{who} checked again: still no record at {name}")
    return False
