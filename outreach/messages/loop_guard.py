"""The loop guard: what went between us and one number in the last few minutes, and when to
stop answering it.

An automated sender (an out-of-office, a forwarding service) answering our replies would make
a loop of texts, each one billed. The guard stops OUR REPLIES to such a number, never the
understanding of what it sent: older people often split one message over several short texts
("Hello", "its Doris", ... "I have fallen and cant get up"), and the last of them must raise its
need as any other would (outreach.messages.inbound). Only a text that repeats our own words is
not read as the sender's: it names nothing of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.audit.services import record
from outreach.db import db
from outreach.enums import InboundMeaning, MessageDirection, MessageKind
from outreach.messages import keywords
from outreach.messages.models import Message

TOO_MANY, ECHO = "too many texts", "echoes our text"
# Texts of these meanings, up to so many in the window, are a person answering a run of our
# questions, not a machine; the feature asking the questions says how many (`allow_answers`).
_ANSWERS_IN_A_RUN: dict[InboundMeaning, int] = {}


def allow_answers(meaning: InboundMeaning, up_to: int) -> None:
    """Let up to `up_to` texts of `meaning` in the window not count towards the loop limit."""
    _ANSWERS_IN_A_RUN[meaning] = up_to


@dataclass
class Window:
    """What went between us and one number within the last SMS_REPEAT_WINDOW_MINUTES."""

    texts: list  # earlier inbound rows: id, fingerprint, need_id, meaning
    ours: list[str]  # our texts to the number, folded
    replies: int

    def flooded(self) -> bool:
        """Whether the number sent more texts in the window than a person answering us does."""
        # A person answering a run of questions sends many texts in minutes (a few at most).
        answers = sum(min(sum(t.meaning == meaning for t in self.texts), up_to)
                      for meaning, up_to in _ANSWERS_IN_A_RUN.items())
        counted = len(self.texts) - answers
        return counted + 1 >= current_app.config["SMS_LOOP_LIMIT"]

    def echoes(self, folded: str) -> bool:
        """Whether the (folded) text is one of ours sent back."""
        return bool(folded) and folded in self.ours

    def loop(self, folded: str) -> str | None:
        """Why this text looks like an automated sender answering us, or None."""
        if self.flooded():
            return TOO_MANY
        return ECHO if self.echoes(folded) else None

    def first_like(self, fingerprint: str):
        """The earliest text in the window with this fingerprint, if any."""
        return next((t for t in self.texts if t.fingerprint == fingerprint), None)

    def need_ids(self) -> list[int]:
        """The needs the window's texts raised or joined, latest last."""
        return [t.need_id for t in self.texts if t.need_id is not None]


def window(message: Message, now: datetime) -> Window:
    """Both directions in one query; inbound rows in the order they came."""
    since = now - timedelta(minutes=current_app.config["SMS_REPEAT_WINDOW_MINUTES"])
    rows = db.session.execute(
        select(Message.id, Message.direction, Message.fingerprint, Message.need_id,
               Message.meaning, Message.body, Message.kind)
        .where(Message.phone == message.phone, Message.created_at >= since,
               Message.id != message.id)
        .order_by(Message.id)).all()
    texts = [row for row in rows if row.direction == MessageDirection.INBOUND]
    ours = [row for row in rows if row.direction == MessageDirection.OUTBOUND]
    return Window(texts, [keywords.fold(row.body) for row in ours],
                  sum(row.kind == MessageKind.REPLY for row in ours))


def stopped(message: Message, window: Window, why: str) -> None:
    """Note once per window that we stopped answering a number (ids only in the audit)."""
    earlier = [str(t.id) for t in window.texts]
    if earlier and db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "sms.loop_stopped", AuditEvent.subject_type == "message",
            AuditEvent.subject_id.in_(earlier)).limit(1)) is not None:
        return
    record(None, "sms.loop_stopped", subject=message, client_id=message.client_id,
           detail={"reason": why, "texts_in_window": len(window.texts) + 1}, via="sms")
