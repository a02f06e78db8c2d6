from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.auth.models import User
from outreach.db import TimestampMixin, db
from outreach.enums import (
    AttendanceStatus,
    EnrolmentSource,
    WorkshopEnrolmentStatus,
    enum_column,
)
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.programmes.models import Programme

LIVE_SQL = text("status IN ('enrolled', 'waiting', 'offered')")


class Skill(TimestampMixin, db.Model):
    """One item of a programme's skills checklist ("Book a GP appointment online")."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class WorkshopSkill(db.Model):
    """A skill a workshop sets out to teach."""

    __tablename__ = "workshop_skills"
    __table_args__ = (UniqueConstraint("workshop_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))


class Workshop(TimestampMixin, db.Model):
    """A short series of sessions teaching a set of skills, run by a tutor with a partner."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tutor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    programme: Mapped[Programme] = relationship()
    tutor: Mapped[User | None] = relationship()
    partner: Mapped[Organisation | None] = relationship()
    sessions: Mapped[list[WorkshopSession]] = relationship(
        back_populates="workshop", order_by="WorkshopSession.starts_at",
        cascade="all, delete-orphan", passive_deletes=True)
    skills: Mapped[list[Skill]] = relationship(secondary="workshop_skills",
                                               order_by="Skill.position")


class WorkshopSession(TimestampMixin, db.Model):
    """One meeting of a workshop: when, where (or online), for how many."""

    __tablename__ = "workshop_sessions"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    online: Mapped[bool] = mapped_column(default=False)
    venue: Mapped[str] = mapped_column(String(300), default="")  # or the joining link
    accessibility_notes: Mapped[str] = mapped_column(String(1000), default="")
    capacity: Mapped[int]
    # What a learner texts to say they are here (short, no look-alike letters), unique.
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    cancelled_at: Mapped[datetime | None]

    workshop: Mapped[Workshop] = relationship(back_populates="sessions")


class WorkshopEnrolment(TimestampMixin, db.Model):
    """A learner's place on a workshop (or their turn on its waiting list), with what they
    thought of their own confidence before and after, and their answer to the follow-up."""

    __tablename__ = "workshop_enrolments"
    __table_args__ = (
        Index("uq_workshop_enrolments_live", "workshop_id", "client_id", unique=True,
              sqlite_where=LIVE_SQL, postgresql_where=LIVE_SQL),
        CheckConstraint("confidence_before IS NULL OR confidence_before BETWEEN 1 AND 5",
                        name="confidence_before_range"),
        CheckConstraint("confidence_after IS NULL OR confidence_after BETWEEN 1 AND 5",
                        name="confidence_after_range"),
        CheckConstraint("follow_up_answer IS NULL OR follow_up_answer BETWEEN 1 AND 3",
                        name="follow_up_answer_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[WorkshopEnrolmentStatus] = mapped_column(
        enum_column(WorkshopEnrolmentStatus, "status"), index=True)
    source: Mapped[EnrolmentSource] = mapped_column(enum_column(EnrolmentSource, "source"))
    # The digital_help need it answers, when a visitor's referral or a text led to it.
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    enrolled_at: Mapped[datetime | None]
    # The waiting list is first come, first offered.
    waiting_since: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str] = mapped_column(String(500), default="")
    confidence_before: Mapped[int | None]
    confidence_after: Mapped[int | None]
    follow_up_sent_at: Mapped[datetime | None]
    follow_up_answer: Mapped[int | None]
    follow_up_answered_at: Mapped[datetime | None]

    workshop: Mapped[Workshop] = relationship()
    client: Mapped[Client] = relationship()


class Attendance(TimestampMixin, db.Model):
    """Whether a learner came to one session: on time, late, or not at all."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"),
                                            index=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_enrolments.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "status"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(20), default="register")  # register | sms | api

    session: Mapped[WorkshopSession] = relationship()
    enrolment: Mapped[WorkshopEnrolment] = relationship()


class SkillShown(TimestampMixin, db.Model):
    """A skill the tutor saw the learner do."""

    __tablename__ = "skills_shown"
    __table_args__ = (UniqueConstraint("enrolment_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_enrolments.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_sessions.id",
                                                              ondelete="SET NULL"))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
