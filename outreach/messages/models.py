from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db, utcnow
from outreach.enums import (
    InboundMeaning,
    Language,
    MessageDirection,
    MessageKind,
    MessageStatus,
    enum_column,
)
from outreach.people.models import Client, Contact


class Message(TimestampMixin, db.Model):
    """One SMS, in or out. Outbound ones are written here before anything is sent."""

    __tablename__ = "messages"
    __table_args__ = (
        # The dispatcher's question: which queued messages are due?
        Index("ix_messages_status_send_at", "status", "send_at"),
        # Burst and loop detection: what did this number send lately?
        Index("ix_messages_phone_created_at", "phone", "created_at"),
        # An inbound MessageSid is stored once: the webhook's idempotency rests on this. Outbound
        # sids are the provider's to keep unique (a mock provider may repeat one).
        Index("uq_messages_inbound_sid", "provider_sid", unique=True,
              sqlite_where=text("direction = 'inbound'"),
              postgresql_where=text("direction = 'inbound'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[MessageDirection] = mapped_column(
        enum_column(MessageDirection, "direction"))
    kind: Mapped[MessageKind | None] = mapped_column(enum_column(MessageKind, "kind"))
    meaning: Mapped[InboundMeaning | None] = mapped_column(enum_column(InboundMeaning, "meaning"))
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, "status"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    # The other party (recipient of an outbound text, sender of an inbound one) and our number.
    phone: Mapped[str] = mapped_column(String(32))
    service_number: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[Language] = mapped_column(enum_column(Language, "language"),
                                               default=Language.ENGLISH)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    segments: Mapped[int] = mapped_column(default=1)
    cost_estimate: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(0))
    urgent: Mapped[bool] = mapped_column(default=False)
    # Makes a scheduled text (e.g. "check-in for client 7 on 2026-11-24") happen at most once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    backend: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    # When the dispatcher may next try (quiet hours, retry backoff); None: now.
    send_at: Mapped[datetime | None]
    held_reason: Mapped[str] = mapped_column(String(200), default="")
    # A text that would be pointless later (a reminder after the appointment) is cancelled.
    not_after: Mapped[datetime | None]
    sending_started_at: Mapped[datetime | None]
    # Which claim is sending it: a worker sends, and writes what happened, only while its
    # token is still here (a text decided about or claimed again meanwhile is not its own).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    error_code: Mapped[int | None]
    error_reason: Mapped[str] = mapped_column(String(500), default="")
    # Check-ins: when a reply is due by, and the answer when it came.
    reply_due_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(String(20), default="")
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"),
                                                index=True)
    # Inbound: the text folded to compare repeats (case, accents, spaces).
    fingerprint: Mapped[str] = mapped_column(String(160), default="")

    client: Mapped[Client | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    events: Mapped[list[MessageEvent]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MessageEvent.id")

    def __repr__(self) -> str:  # no personal data in logs
        return f"<Message {self.id} {self.direction} {self.status}>"


class MessageEvent(db.Model):
    """One step in a message's status history."""

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, "status"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    error_code: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")

    message: Mapped[Message] = relationship(back_populates="events")


class SmsNumber(TimestampMixin, db.Model):
    """What is known about a phone number: opted out of texts, or not a working mobile."""

    __tablename__ = "sms_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    opted_out_at: Mapped[datetime | None]
    opt_out_source: Mapped[str] = mapped_column(String(100), default="")
    opted_in_at: Mapped[datetime | None]
    invalid_at: Mapped[datetime | None]
    invalid_code: Mapped[int | None]
    invalid_reason: Mapped[str] = mapped_column(String(300), default="")

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None
