"""The retention policy: how long each kind of record is kept, from configuration.

Every period is in days; 0 (the default) keeps the records for ever. Each rule works in batches
of claimed rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers share the work rather than
wait for each other) and only on rows it has not dealt with yet, so a second run changes nothing.
A dry run counts what a run would change and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, delete, exists, func, select, update

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.enums import EnrolmentStatus, MessageDirection, MessageStatus
from outreach.messages.models import Message, MessageEvent
from outreach.people.models import Client, ProgrammeEnrolment

# Rows changed per statement: small enough to keep each lock short, large enough to be quick.
BATCH = 500
WAITING = (MessageStatus.QUEUED, MessageStatus.SENDING)

SETTINGS = {
    "message_bodies": "RETENTION_MESSAGE_BODY_DAYS",
    "clients": "RETENTION_CLIENT_AFTER_LEAVING_DAYS",
    "audit_events": "RETENTION_AUDIT_DAYS",
    "unknown_sender_texts": "RETENTION_UNKNOWN_SENDER_DAYS",
}


@dataclass(frozen=True)
class Policy:
    """Days each kind of record is kept (0: for ever)."""

    message_bodies: int = 0
    clients: int = 0
    audit_events: int = 0
    unknown_sender_texts: int = 0

    @classmethod
    def from_config(cls, config=None) -> Policy:
        """The policy the configuration sets; a blank or negative setting keeps for ever."""
        config = config if config is not None else current_app.config
        return cls(**{rule: max(int(config.get(key) or 0), 0)
                      for rule, key in SETTINGS.items()})

    def cutoff(self, rule: str, now: datetime) -> datetime | None:
        """Records of `rule` from before this moment are past their period (None: keep)."""
        days = getattr(self, rule)
        return now - timedelta(days=days) if days else None


def _claim(query: Select, *of) -> list[int]:
    """A batch of ids to work on; rows another worker holds are skipped, not waited for."""
    return list(db.session.scalars(query.limit(BATCH).with_for_update(skip_locked=True, of=of)))


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _run(query: Select, of, change, dry_run: bool) -> int:
    """Apply `change(ids)` to every row `query` selects, a batch at a time; answer how many."""
    if dry_run:
        return _count(query)
    done = 0
    while ids := _claim(query, of):
        change(ids)
        done += len(ids)
        if len(ids) < BATCH:
            break
    return done


# --- The rules -----------------------------------------------------------------------------


def blank_message_bodies(cutoff: datetime, dry_run: bool = False) -> int:
    """Blank the words of texts older than `cutoff`; the row stays for the figures.

    A text still waiting to go (held for quiet hours or a retry) keeps its words until sent.
    """
    query = select(Message.id).where(Message.created_at < cutoff,
                                     Message.status.not_in(WAITING),
                                     (Message.body != "") | (Message.fingerprint != ""))

    def change(ids):
        db.session.execute(update(Message).where(Message.id.in_(ids))
                           .values(body="", fingerprint=""), execution_options={
                               "synchronize_session": False})

    return _run(query.order_by(Message.id), Message, change, dry_run)


def delete_audit_events(cutoff: datetime, dry_run: bool = False) -> int:
    """Delete audit events older than `cutoff`."""
    query = select(AuditEvent.id).where(AuditEvent.occurred_at < cutoff).order_by(AuditEvent.id)

    def change(ids):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)),
                           execution_options={"synchronize_session": False})

    return _run(query, AuditEvent, change, dry_run)


def delete_unknown_sender_texts(cutoff: datetime, dry_run: bool = False) -> int:
    """Delete texts received before `cutoff` from numbers of no client or contact."""
    query = select(Message.id).where(
        Message.direction == MessageDirection.INBOUND, Message.client_id.is_(None),
        Message.contact_id.is_(None), Message.created_at < cutoff).order_by(Message.id)

    def change(ids):
        # SQLite may not enforce the foreign keys' ON DELETE rules: do their work here.
        db.session.execute(update(Message).where(Message.in_reply_to_id.in_(ids))
                           .values(in_reply_to_id=None),
                           execution_options={"synchronize_session": False})
        db.session.execute(delete(MessageEvent).where(MessageEvent.message_id.in_(ids)),
                           execution_options={"synchronize_session": False})
        db.session.execute(delete(Message).where(Message.id.in_(ids)),
                           execution_options={"synchronize_session": False})

    return _run(query, Message, change, dry_run)


def clients_past_leaving(cutoff: datetime) -> Select:
    """Clients not yet anonymised who left every programme they were in before `cutoff`."""
    still_in = exists().where(ProgrammeEnrolment.client_id == Client.id,
                              ProgrammeEnrolment.status != EnrolmentStatus.LEFT)
    left_lately = exists().where(ProgrammeEnrolment.client_id == Client.id,
                                 ProgrammeEnrolment.left_at >= cutoff)
    ever_in = exists().where(ProgrammeEnrolment.client_id == Client.id)
    return (select(Client.id)
            .where(and_(Client.anonymised_at.is_(None), ever_in, ~still_in, ~left_lately))
            .order_by(Client.id))


def anonymise_clients(cutoff: datetime, now: datetime, dry_run: bool = False) -> int:
    """Remove the personal details of clients who left before `cutoff` (see anonymise)."""
    from outreach.retention.anonymise import anonymise

    def change(ids):
        anonymise(ids, now)

    return _run(clients_past_leaving(cutoff), Client, change, dry_run)
