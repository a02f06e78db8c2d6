from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, UTCDateTime, db, utcnow
from outreach.enums import (
    EscalationEventKind,
    EscalationOutcome,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    RecipientKind,
    enum_column,
)
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme

LIVE_SQL = text("status IN ('open', 'acknowledged', 'reopened')")
RESOLVED_SQL = text("status = 'resolved'")


class RoutingRule(TimestampMixin, db.Model):
    """Category and severity → who hears first, who hears if nobody acknowledges, and the SLA.

    A blank category or severity matches any; the most specific rule wins. One rule per
    programme, category and severity (checked by the service: blanks defeat a unique index).
    """

    __tablename__ = "routing_rules"
    __table_args__ = (
        CheckConstraint("acknowledge_minutes IS NULL OR acknowledge_minutes > 0",
                        name="acknowledge_positive"),
        CheckConstraint("resolve_minutes IS NULL OR resolve_minutes > 0",
                        name="resolve_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"),
                                              index=True)
    category: Mapped[NeedCategory | None] = mapped_column(enum_column(NeedCategory, "category"))
    severity: Mapped[NeedSeverity | None] = mapped_column(enum_column(NeedSeverity, "severity"))
    # Blank: the severity's default (see escalations.sla).
    acknowledge_minutes: Mapped[int | None]
    resolve_minutes: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    programme: Mapped[Programme] = relationship()
    recipients: Mapped[list[RoutingRecipient]] = relationship(
        back_populates="rule", cascade="all, delete-orphan",
        order_by="(RoutingRecipient.tier, RoutingRecipient.id)")


class RoutingRecipient(db.Model):
    """One recipient of a rule, in tier 1 (told first) or tier 2 (the fallback)."""

    __tablename__ = "routing_recipients"
    __table_args__ = (
        CheckConstraint("tier IN (1, 2)", name="tier_known"),
        CheckConstraint("(kind = 'organisation') = (organisation_id IS NOT NULL)",
                        name="organisation_named_when_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("routing_rules.id", ondelete="CASCADE"),
                                         index=True)
    tier: Mapped[int] = mapped_column(default=1)
    kind: Mapped[RecipientKind] = mapped_column(enum_column(RecipientKind, "kind"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)

    rule: Mapped[RoutingRule] = relationship(back_populates="recipients")
    organisation: Mapped[Organisation | None] = relationship()


class Escalation(TimestampMixin, db.Model):
    """A need routed to one recipient: an organisation (the operator for the coordinator) or a
    designated contact. At most one is live per client, category and recipient: a repeat report
    joins it."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint("(organisation_id IS NULL) <> (contact_id IS NULL)",
                        name="one_recipient"),
        CheckConstraint("usefulness IS NULL OR usefulness BETWEEN 1 AND 5",
                        name="usefulness_range"),
        CheckConstraint("tier BETWEEN 1 AND 3", name="tier_known"),
        Index("uq_escalations_live", "client_id", "category", "recipient_key", unique=True,
              sqlite_where=LIVE_SQL, postgresql_where=LIVE_SQL),
        Index("ix_escalations_queue", "organisation_id", "status", "due_at"),
        # An organisation's list in id order (the API's pages), without walking the table.
        Index("ix_escalations_organisation_id_id", "organisation_id", "id"),
        # An organisation's escalations of some statuses in id order (its open FHIR Tasks).
        Index("ix_escalations_organisation_status_id", "organisation_id", "status", "id"),
        # The escalations page's counts: live (and overdue) ones, and those resolved in the
        # last week, each read from its index alone on PostgreSQL rather than from the table;
        # and its page of live ones, sorted from the first index alone (hence id and severity).
        Index("ix_escalations_live_programme_id", "programme_id",
              postgresql_include=["id", "status", "severity", "due_at", "resolve_due_at"],
              sqlite_where=LIVE_SQL, postgresql_where=LIVE_SQL),
        Index("ix_escalations_resolved_at", "resolved_at", postgresql_include=["programme_id"],
              sqlite_where=RESOLVED_SQL, postgresql_where=RESOLVED_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    category: Mapped[NeedCategory] = mapped_column(enum_column(NeedCategory, "category"))
    severity: Mapped[NeedSeverity] = mapped_column(enum_column(NeedSeverity, "severity"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # "org:<id>" or "contact:<id>": one column for the live-uniqueness index.
    recipient_key: Mapped[str] = mapped_column(String(30))
    # 1: the rule's first recipients; 2: its fallback; 3: the coordinator as the last resort.
    tier: Mapped[int] = mapped_column(default=1)
    status: Mapped[EscalationStatus] = mapped_column(
        enum_column(EscalationStatus, "status"), default=EscalationStatus.OPEN, index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id",
                                                           ondelete="SET NULL"))
    # Why it went here, in words the coordinator reads (e.g. no consent to share with X).
    routed_because: Mapped[str] = mapped_column(String(500), default="")
    due_at: Mapped[datetime] = mapped_column(index=True)  # to acknowledge
    resolve_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    outcome: Mapped[EscalationOutcome | None] = mapped_column(
        enum_column(EscalationOutcome, "outcome"))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    usefulness: Mapped[int | None]
    # When it was passed on for want of an acknowledgement / flagged for want of a resolve.
    escalated_at: Mapped[datetime | None]
    resolve_overdue_at: Mapped[datetime | None]
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id",
                                                               ondelete="SET NULL"))
    # The visit at which the visitor was shown the outcome (None: not shown yet).
    outcome_shown_visit_id: Mapped[str | None] = mapped_column(String(36))

    client: Mapped[Client] = relationship()
    need: Mapped[Need] = relationship()
    programme: Mapped[Programme] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    rule: Mapped[RoutingRule | None] = relationship()
    events: Mapped[list[EscalationEvent]] = relationship(
        back_populates="escalation", order_by="EscalationEvent.id",
        cascade="all, delete-orphan", passive_deletes=True)
    # Every need it carries, oldest first: for loading a whole page's in one query (see
    # queries.WITH_SUMMARY). Read-only; queries.carried_needs is the current list.
    needs: Mapped[list[Need]] = relationship(secondary="escalation_needs", order_by=Need.id,
                                             viewonly=True)

    @property
    def live(self) -> bool:
        return self.status in (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED,
                               EscalationStatus.REOPENED)

    @property
    def waiting_for_acknowledgement(self) -> bool:
        return self.status in (EscalationStatus.OPEN, EscalationStatus.REOPENED)

    def overdue(self, now: datetime) -> bool:
        """Past its acknowledge time unacknowledged, or past its resolve time unresolved."""
        if self.waiting_for_acknowledgement and self.due_at <= now:
            return True
        return self.live and self.resolve_due_at <= now

    def __repr__(self) -> str:
        return f"<Escalation {self.id} {self.status}>"


class EscalationNeed(db.Model):
    """Each need an escalation carries: the first, and every repeat report that joined it."""

    __tablename__ = "escalation_needs"
    __table_args__ = (UniqueConstraint("escalation_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)


class EscalationEvent(db.Model):
    """One entry of an escalation's timeline; also the unit of the providers' feeds.

    `position` is its place in the feeds, given after its transaction commits (see
    escalations.feed): blank until then, unique and increasing in the order events were placed,
    and never given twice, even once the events holding earlier ones are gone.

    `escalation_id` is blank only for a `withdrawn` event written as its escalation was erased
    with its client: the event outlives it (its detail names the escalation), so the recipient
    still learns to remove its copy.
    """

    __tablename__ = "escalation_events"
    __table_args__ = (
        Index("ix_escalation_events_feed", "organisation_id", "position"),
        Index("uq_escalation_events_position", "position", unique=True),
        # The latest events of an organisation by when they happened (the Atom feed).
        Index("ix_escalation_events_organisation_at", "organisation_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    # The recipient organisation when it happened: whose feed it belongs to.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[EscalationEventKind] = mapped_column(enum_column(EscalationEventKind, "kind"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(20), default="system")
    note: Mapped[str] = mapped_column(Text, default="")
    # Ids and field values only (status, outcome, message id); never personal data.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    position: Mapped[int | None] = mapped_column(BigInteger)

    escalation: Mapped[Escalation | None] = relationship(back_populates="events")

    @property
    def subject_id(self) -> int | None:
        """The escalation it is about, even once that escalation was erased."""
        if self.escalation_id is not None:
            return self.escalation_id
        return self.detail.get("escalation_id")


# Where feed positions come from on PostgreSQL: a sequence, so a position is never handed out
# twice (max + 1 gave an erased event's position again). SQLite has no sequences: FeedCounter.
FEED_POSITIONS = Sequence("escalation_event_positions", metadata=db.metadata)


class FeedCounter(db.Model):
    """SQLite's stand-in for a sequence: the last feed position handed out, only ever raised
    (SQLite has one writer at a time, so raising it in the sequencer's transaction is safe)."""

    __tablename__ = "feed_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedToken(TimestampMixin, db.Model):
    """A read-only token for an organisation's Atom feed (feed readers cannot send headers, so
    it travels in the URL: it opens that feed and nothing else). Only its digest is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class WebhookDelivery(db.Model):
    """One feed event to be POSTed to an organisation's webhook: written with the event, sent
    after commit, retried with backoff until delivered. Never dropped; delivered in event order
    per organisation."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("organisation_id", "event_id"),
        Index("ix_webhook_deliveries_pending", "organisation_id", "delivered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("escalation_events.id",
                                                     ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[EscalationEvent] = relationship()
    organisation: Mapped[Organisation] = relationship()
