"""What texts hold about a client, for subject access and erasure: every text to or from
them or their contacts, each text's status history, and what is known of their number."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from outreach.db import db
from outreach.messages.models import Message, MessageEvent, SmsNumber
from outreach.people import subject_access
from outreach.people.models import Client


def _number_rows(client: Client):
    return select(SmsNumber).where(SmsNumber.phone == (client.phone or ""))


def _number(client: Client) -> list[dict]:
    return [subject_access.row(number) for number in db.session.scalars(_number_rows(client))]


def _forgettable(client: Client):
    # An opt-out is kept after erasure: it is what stops the number ever being texted again.
    return SmsNumber.phone == (client.phone or ""), SmsNumber.opted_out_at.is_(None)


def _count_numbers(client: Client) -> int:
    return db.session.scalar(select(func.count()).select_from(SmsNumber)
                             .where(*_forgettable(client)))


def _erase_numbers(client: Client) -> int:
    return db.session.execute(delete(SmsNumber).where(*_forgettable(client)),
                              execution_options={"synchronize_session": "fetch"}).rowcount


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table("messages", Message)
    subject_access.register_table("message_events", MessageEvent)
    subject_access.register_section("sms_number", _number, covers=(SmsNumber,))
    subject_access.register_eraser("sms_numbers", count=_count_numbers, erase=_erase_numbers,
                                   covers=(SmsNumber,))
