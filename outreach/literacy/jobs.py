"""Workshop jobs run by `outreach tick`: offers not answered in time, session reminders, no-shows
and the four-week follow-up.

Like every periodic job (see outreach.messages.jobs) each is safe to run again and on several
machines at once: rows are claimed with FOR UPDATE SKIP LOCKED and every text has a dedupe key,
so it is written at most once. Days and times are the programme's own wall clock. Texts go to
learners enrolled on the workshop whose number may be texted (opted out or not working: skipped
without a row, as for check-ins); quiet hours hold them until the morning (outbox.hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from outreach.consent.services import taking_part
from outreach.db import db
from outreach.enums import AttendanceStatus, MessageKind, WorkshopEnrolmentStatus
from outreach.jobs.tick import periodic
from outreach.literacy import services
from outreach.literacy.models import Attendance, Workshop, WorkshopEnrolment, WorkshopSession
from outreach.literacy.sms import follow_up_key
from outreach.literacy.texts import learner_values, next_session, session_values
from outreach.messages import numbers
from outreach.messages.outbox import queue_text
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.visits.schedule import local_date

Status = WorkshopEnrolmentStatus
# Sessions starting within this are looked at, which covers "the day before" at any hour.
REMINDER_LOOK_AHEAD = timedelta(days=2)
# The morning reminder goes at 08:30, or 2 hours before a session starting before 10:30.
MORNING_AT = time(8, 30)
EARLY_START = time(10, 30)
EARLY_BEFORE = timedelta(hours=2)
# A reminder arriving later than this before the start is no use.
REMINDER_LATEST = timedelta(minutes=15)
# The tutor may still be finishing the register just after the end.
NO_SHOW_AFTER = timedelta(minutes=30)
# Sessions that ended longer ago than this are left alone (a job switched on late, old data).
NO_SHOW_LOOKBACK = timedelta(days=1)
FOLLOW_UP_AFTER = timedelta(weeks=4)
# Past this, a follow-up not sent (the job was off, the number blocked) is not sent at all.
FOLLOW_UP_LOOKBACK = timedelta(weeks=2)
CAME = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def _claimed(query, *of):
    """Rows another machine is already working on are skipped rather than waited for."""
    return query.with_for_update(skip_locked=True, of=of or None)


def _textable(pairs: list[tuple]) -> list[tuple]:
    """The (enrolment, client) pairs whose client takes part (consent not withdrawn) and has a
    number that may be texted."""
    consenting = taking_part({c.id for _, c in pairs})
    blocked = numbers.refusals({c.phone for _, c in pairs if c.phone})
    return [(e, c) for e, c in pairs
            if c.id in consenting and c.phone and c.phone not in blocked]


def _learners(workshop_id: int, enrolled_before: datetime) -> list[tuple]:
    """(enrolment, client) of the workshop's enrolled learners who had a place by then."""
    return db.session.execute(
        select(WorkshopEnrolment, Client).join(Client, Client.id == WorkshopEnrolment.client_id)
        .where(WorkshopEnrolment.workshop_id == workshop_id,
               WorkshopEnrolment.status == Status.ENROLLED,
               WorkshopEnrolment.enrolled_at < enrolled_before)
        .order_by(WorkshopEnrolment.id)).tuples().all()


# --- Offers ------------------------------------------------------------------------------


@periodic("workshop_offers")
def expire_offers(now: datetime) -> str:
    """Offers not answered within 48 hours go back in the queue; the place is offered on."""
    return f"{services.expire_offers(now)} unanswered workshop offer(s) passed on"


# --- Reminders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reminder:
    key: str
    template: str
    not_after: datetime


def _morning_at(session: WorkshopSession, zone: ZoneInfo) -> datetime:
    wall = session.starts_at.astimezone(zone)
    if wall.time() < EARLY_START:
        return session.starts_at - EARLY_BEFORE
    return datetime.combine(wall.date(), MORNING_AT, tzinfo=zone).astimezone(UTC)


def _reminders_due(session: WorkshopSession, programme: Programme,
                   now: datetime) -> list[_Reminder]:
    """Which reminders of the session are due now; one whose moment has passed is not sent."""
    zone = ZoneInfo(programme.timezone)
    on, today = local_date(session.starts_at, zone.key), local_date(now, zone.key)
    morning, latest = _morning_at(session, zone), session.starts_at - REMINDER_LATEST
    # The start time is in the key: a session moved to another time is reminded of afresh.
    stem = f"workshop_reminder:{session.id}:{session.starts_at:%Y%m%dT%H%M}"
    due = []
    if (today == on - timedelta(days=1) and now < morning
            and now.astimezone(zone).time() >= programme.check_in_time):
        due.append(_Reminder(f"{stem}:day_before", "workshop_reminder", morning))
    if morning <= now < latest:
        # Two hours before a session just after midnight falls on the evening before.
        template = "workshop_reminder_today" if today == on else "workshop_reminder"
        due.append(_Reminder(f"{stem}:morning", template, latest))
    return due


@periodic("workshop_reminders")
def send_reminders(now: datetime) -> str:
    """Queue the day-before and morning reminders of the coming sessions to their learners."""
    rows = db.session.execute(_claimed(
        select(WorkshopSession, Programme)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .join(Programme, Programme.id == Workshop.programme_id)
        .where(WorkshopSession.cancelled_at.is_(None), WorkshopSession.starts_at > now,
               WorkshopSession.starts_at <= now + REMINDER_LOOK_AHEAD)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id), WorkshopSession)).tuples().all()
    queued = 0
    for session, programme in rows:
        due = _reminders_due(session, programme, now)
        if not due:
            continue
        for enrolment, client in _textable(_learners(session.workshop_id, now)):
            language = client.preferred_language
            for reminder in due:
                if queue_text(MessageKind.WORKSHOP_REMINDER, reminder.template, to=client.phone,
                              language=language, programme=programme, client=client,
                              dedupe_key=f"{reminder.key}:{enrolment.id}",
                              not_after=reminder.not_after, now=now,
                              **learner_values(client),
                              **session_values(session, language)) is not None:
                    queued += 1
    return f"{queued} workshop reminder(s) queued"


# --- No-shows ------------------------------------------------------------------------------


@periodic("workshop_no_shows")
def record_no_shows(now: datetime) -> str:
    """After a session whose register was taken, learners with no mark are no-shows and get a
    friendly text offering the next session (a register nobody took says nothing of who came)."""
    sessions = db.session.scalars(_claimed(select(WorkshopSession).where(
        WorkshopSession.cancelled_at.is_(None), WorkshopSession.ends_at <= now - NO_SHOW_AFTER,
        WorkshopSession.ends_at > now - NO_SHOW_AFTER - NO_SHOW_LOOKBACK)
        .order_by(WorkshopSession.ends_at, WorkshopSession.id), WorkshopSession)).all()
    marked_total = 0
    for session in sessions:
        marked = set(db.session.scalars(select(Attendance.enrolment_id).where(
            Attendance.session_id == session.id)))
        if not marked:
            continue
        missing = [(e, c) for e, c in _learners(session.workshop_id, session.ends_at)
                   if e.id not in marked]
        for enrolment, _client in missing:
            services.record_attendance(None, session, enrolment, AttendanceStatus.NO_SHOW,
                                       via="system")
        marked_total += len(missing)
        _text_no_shows(session, _textable(missing), now)
    return f"{marked_total} workshop no-show(s) recorded"


def _text_no_shows(session: WorkshopSession, learners: list[tuple], now: datetime) -> None:
    programme = session.workshop.programme
    following = next_session(session.workshop, now)
    for enrolment, client in learners:
        language = client.preferred_language
        values = learner_values(client) | {"workshop": session.workshop.title}
        if following is not None:
            values |= session_values(following, language)
        queue_text(MessageKind.WORKSHOP_REMINDER,
                   "workshop_no_show" if following is not None else "workshop_no_show_last",
                   to=client.phone, language=language, programme=programme, client=client,
                   dedupe_key=f"workshop_no_show:{session.id}:{enrolment.id}",
                   not_after=following.starts_at if following is not None else None, now=now,
                   **values)


# --- The four-week follow-up ---------------------------------------------------------------


@periodic("workshop_follow_ups")
def send_follow_ups(now: datetime) -> str:
    """Four weeks after a workshop's last session, ask each learner who came to at least one
    whether they have used an online service since (once each)."""
    last = (select(WorkshopSession.workshop_id, func.max(WorkshopSession.ends_at).label("ended"))
            .where(WorkshopSession.cancelled_at.is_(None))
            .group_by(WorkshopSession.workshop_id).subquery())
    came = select(Attendance.id).where(Attendance.enrolment_id == WorkshopEnrolment.id,
                                       Attendance.status.in_(CAME)).exists()
    rows = db.session.execute(_claimed(
        select(WorkshopEnrolment, Client)
        .join(Client, Client.id == WorkshopEnrolment.client_id)
        .join(last, last.c.workshop_id == WorkshopEnrolment.workshop_id)
        .where(WorkshopEnrolment.status == Status.ENROLLED,
               WorkshopEnrolment.follow_up_sent_at.is_(None), came,
               last.c.ended <= now - FOLLOW_UP_AFTER,
               last.c.ended > now - FOLLOW_UP_AFTER - FOLLOW_UP_LOOKBACK)
        .order_by(WorkshopEnrolment.id), WorkshopEnrolment)).tuples().all()
    sent = 0
    for enrolment, client in _textable(list(rows)):
        workshop = enrolment.workshop
        queue_text(MessageKind.WORKSHOP_REMINDER, "workshop_follow_up", to=client.phone,
                   language=client.preferred_language, programme=workshop.programme,
                   client=client, dedupe_key=follow_up_key(enrolment), now=now,
                   workshop=workshop.title, **learner_values(client))
        enrolment.follow_up_sent_at = now
        sent += 1
    db.session.flush()
    return f"{sent} workshop follow-up(s) sent"
