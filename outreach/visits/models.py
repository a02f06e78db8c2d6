from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.auth.models import User
from outreach.db import TimestampMixin, db, utcnow
from outreach.enums import VisitFrequency, VisitOutcome, enum_column
from outreach.people.models import Client


class VisitPlan(TimestampMixin, db.Model):
    """How often a client is visited; the round and walking order live on the client."""

    __tablename__ = "visit_plans"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), unique=True)
    frequency: Mapped[VisitFrequency] = mapped_column(enum_column(VisitFrequency, "frequency"))
    # ISO weekdays, e.g. "1,3,5"; for weekly and fortnightly plans the one day of the visit.
    weekdays: Mapped[str] = mapped_column(String(20), default="")
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # Whether the client also gets scheduled check-in texts (used by the SMS work).
    sms_check_ins: Mapped[bool] = mapped_column(default=False)

    client: Mapped[Client] = relationship()

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d]


class VisitPause(TimestampMixin, db.Model):
    """A planned absence (hospital stay, holiday): no visit is due while it lasts."""

    __tablename__ = "visit_pauses"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500), default="")


class Questionnaire(db.Model):
    """A version of a programme's check-in questions; versions are never edited, only added."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("programme_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    version: Mapped[int]
    questions: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(db.Model):
    """A doorstep visit as recorded by the visitor; the id is a UUID made on the phone."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                   index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"),
                                                 index=True)
    visited_at: Mapped[datetime] = mapped_column(index=True)
    # The programme-local date the visit counts for, so due lists and missed visits agree.
    visited_on: Mapped[date] = mapped_column(index=True)
    outcome: Mapped[VisitOutcome] = mapped_column(enum_column(VisitOutcome, "outcome"))
    questionnaire_version: Mapped[int | None]
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    prescription_delivered: Mapped[bool] = mapped_column(default=False)
    appointment_reminded: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship()
    visitor: Mapped[User | None] = relationship()


class MissedVisit(db.Model):
    """A planned visit not recorded by the end of the round's day (found by the safety net)."""

    __tablename__ = "missed_visits"
    __table_args__ = (UniqueConstraint("client_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(index=True)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship()
