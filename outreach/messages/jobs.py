"""Scheduled texts, run by `outreach tick`: daily check-ins, appointment reminders, and the
`no_response` safety net for check-ins nobody answered.

Every job is safe to run again and on several machines at once: the rows it works on are
claimed with FOR UPDATE SKIP LOCKED (SQLite has one writer and ignores it), and each text has a
dedupe key, unique in the message log, so it is written at most once whoever gets there first.
Days and times are the programme's own: a check-in at 10:00 is 10:00 on the island's clocks
in winter and in summer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from outreach.consent.services import taking_part
from outreach.db import db
from outreach.enums import (
    InboundMeaning,
    MessageDirection,
    MessageKind,
    MessageStatus,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    VisitOutcome,
)
from outreach.jobs.tick import periodic
from outreach.messages.models import Message, SmsNumber
from outreach.messages.notices import first_name
from outreach.messages.outbox import queue_text
from outreach.messages.quiet_hours import quiet_until
from outreach.messages.texts import dates
from outreach.messages.texts.outbound import WORDS
from outreach.needs.services import create_need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.visits.models import Visit, VisitPause, VisitPlan
from outreach.visits.schedule import local_date, local_day_bounds

# Appointments this far ahead are looked at, which covers "the day before" at any hour.
REMINDER_LOOK_AHEAD = timedelta(days=2)
SOON_BEFORE = timedelta(hours=2)
# A "2 hours before" reminder arriving later than this before the start is no use.
SOON_LATEST = timedelta(minutes=15)
# Check-ins whose reply fell due longer ago than this are no longer looked at.
NO_RESPONSE_LOOKBACK = timedelta(days=2)
# Check-in texts that reached (or may have reached) the phone: only those can go unanswered.
MAY_HAVE_ARRIVED = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED,
                    MessageStatus.UNDELIVERED, MessageStatus.UNKNOWN)


def _claimed(query, *of):
    """Rows another machine is already working on are skipped rather than waited for."""
    return query.with_for_update(skip_locked=True, of=of or None)


def _blocked(phones: set[str]) -> set[str]:
    """Which of these numbers must not be texted (opted out, or not a working mobile)."""
    if not phones:
        return set()
    return set(db.session.scalars(select(SmsNumber.phone).where(
        SmsNumber.phone.in_(phones),
        or_(SmsNumber.opted_out_at.is_not(None), SmsNumber.invalid_at.is_not(None)))))


def _used(keys: set[str]) -> set[str]:
    """Which of these dedupe keys are already in the message log."""
    if not keys:
        return set()
    return set(db.session.scalars(select(Message.dedupe_key).where(
        Message.dedupe_key.in_(keys))))


def _textable(rows: list[tuple]) -> list[tuple]:
    """The rows (each with its client second) whose client takes part and may be texted.

    The others are skipped without a trace: an opted-out client must not collect a cancelled
    text every day.
    """
    clients = [row[1] for row in rows]
    consenting = taking_part({c.id for c in clients})
    blocked = _blocked({c.phone for c in clients if c.phone})
    return [row for row, client in zip(rows, clients, strict=True)
            if client.id in consenting and client.phone and client.phone not in blocked]


# --- Check-ins ---------------------------------------------------------------------------


@periodic("sms_check_ins")
def send_check_ins(now: datetime) -> str:
    """Queue today's check-in text for each client whose plan has them, from the check-in time."""
    rows = db.session.execute(_claimed(
        select(VisitPlan, Client, Programme)
        .join(Client, Client.id == VisitPlan.client_id)
        .join(Programme, Programme.id == Client.programme_id)
        .where(VisitPlan.sms_check_ins.is_(True), Client.phone.is_not(None), Client.phone != "")
        .order_by(VisitPlan.id), VisitPlan)).tuples().all()
    due = []
    for plan, client, programme in rows:
        wall = dates.local(now, programme.timezone)
        today = wall.date()
        if (plan.starts_on > today or (plan.ends_on is not None and plan.ends_on < today)
                or wall.time() < programme.check_in_time
                # Past the start of the quiet hours it would arrive tomorrow, answering nothing.
                or quiet_until(programme, now) is not None):
            continue
        due.append((plan, client, programme, today, f"check_in:{client.id}:{today.isoformat()}"))
    due = _textable(due)
    if not due:
        return "0 check-in text(s) queued"
    ids, days = {row[1].id for row in due}, {row[3] for row in due}
    paused = {(p.client_id, day) for p in db.session.scalars(select(VisitPause).where(
        VisitPause.client_id.in_(ids), VisitPause.starts_on <= max(days),
        VisitPause.ends_on >= min(days))) for day in days if p.starts_on <= day <= p.ends_on}
    # Any visit recorded today makes the text unnecessary (a door not answered is followed up
    # by the no-answer protocol).
    visited = set(db.session.execute(select(Visit.client_id, Visit.visited_on).where(
        Visit.client_id.in_(ids), Visit.visited_on.in_(days))).tuples())
    used = _used({row[4] for row in due})
    queued = 0
    for _plan, client, programme, today, key in due:
        if (client.id, today) in paused or (client.id, today) in visited or key in used:
            continue
        if _queue_check_in(client, programme, today, key, now) is not None:
            queued += 1
    return f"{queued} check-in text(s) queued"


def _queue_check_in(client: Client, programme: Programme, today: date, key: str,
                    now: datetime) -> Message | None:
    _, end_of_day = local_day_bounds(today, programme.timezone)
    message = queue_text(MessageKind.CHECK_IN, "check_in", to=client.phone,
                         language=client.preferred_language, programme=programme, client=client,
                         dedupe_key=key, not_after=end_of_day, now=now,
                         first_name=first_name(client.full_name))
    if message is not None:
        message.reply_due_at = now + timedelta(minutes=programme.check_in_reply_window_minutes)
    return message


# --- Appointment reminders -----------------------------------------------------------------


@periodic("sms_appointment_reminders")
def send_appointment_reminders(now: datetime) -> str:
    """Queue the day-before and 2-hours-before reminders of the coming appointments."""
    from outreach.care.models import Appointment

    rows = db.session.execute(_claimed(
        select(Appointment, Client, Programme)
        .join(Client, Client.id == Appointment.client_id)
        .join(Programme, Programme.id == Client.programme_id)
        .where(Appointment.cancelled_at.is_(None), Appointment.starts_at > now,
               Appointment.starts_at <= now + REMINDER_LOOK_AHEAD,
               Client.phone.is_not(None), Client.phone != "")
        .order_by(Appointment.starts_at, Appointment.id), Appointment)).tuples().all()
    wanted = [(appointment, client, programme, reminder)
              for appointment, client, programme in rows
              for reminder in _reminders_due(appointment, programme, now)]
    wanted = _textable(wanted)
    used = _used({reminder.key for *_, reminder in wanted})
    queued = 0
    for appointment, client, programme, reminder in wanted:
        if reminder.key in used:
            continue
        if _queue_reminder(appointment, client, programme, reminder, now) is not None:
            queued += 1
    return f"{queued} appointment reminder(s) queued"


@dataclass(frozen=True)
class _Reminder:
    key: str
    template: str
    not_after: datetime


def _reminders_due(appointment, programme: Programme, now: datetime) -> list[_Reminder]:
    """Which reminders of this appointment are due now; those that no longer make sense (the
    day before has passed, or it is too close to the start) are simply not sent."""
    timezone = programme.timezone
    starts_at, soon_opens = appointment.starts_at, appointment.starts_at - SOON_BEFORE
    on, today = local_date(starts_at, timezone), local_date(now, timezone)
    start_of_day, _ = local_day_bounds(on, timezone)
    # The start time is part of the key: a moved appointment is reminded of afresh.
    stem = f"appointment:{appointment.id}:{starts_at:%Y%m%dT%H%M}"
    due = []
    # The day before, from the check-in time, until the "2 hours before" one takes over. It
    # says "tomorrow", so it is of no use once that day has begun.
    if (today == on - timedelta(days=1) and now < soon_opens
            and dates.local(now, timezone).time() >= programme.check_in_time):
        due.append(_Reminder(f"{stem}:day_before",
                             "appointment_day_before", start_of_day))
    latest = starts_at - SOON_LATEST
    if soon_opens <= now < latest:
        # Just after midnight, "2 hours before" falls on the evening before.
        template = "appointment_soon" if today == on else "appointment_day_before"
        due.append(_Reminder(f"{stem}:soon", template, latest))
    return due


def _queue_reminder(appointment, client: Client, programme: Programme, reminder: _Reminder,
                    now: datetime) -> Message | None:
    language = client.preferred_language
    wall = dates.local(appointment.starts_at, programme.timezone)
    what = ", ".join(part.strip() for part in (appointment.with_whom, appointment.place)
                     if part.strip()) or WORDS["appointment"][language]
    return queue_text(MessageKind.APPOINTMENT_REMINDER, reminder.template, to=client.phone,
                      language=language, programme=programme, client=client,
                      dedupe_key=reminder.key, not_after=reminder.not_after, now=now,
                      first_name=first_name(client.full_name), appointment=what,
                      day=dates.day(wall.date(), language), time=dates.clock(wall.time(), language))


# --- No reply to a check-in ------------------------------------------------------------------


def _texted_back():
    """Whether the check-in's number sent us any text since it was sent: whatever it said
    (a question, a need, "2 👍", STOP), the client is not silent and a person reads it.

    Only our own words sent back (an autoresponder's echo, meaning `loop`) do not count.
    """
    reply = aliased(Message)
    return exists().where(
        reply.direction == MessageDirection.INBOUND, reply.phone == Message.phone,
        reply.contact_id.is_(None),
        reply.created_at >= func.coalesce(Message.sent_at, Message.created_at),
        or_(reply.meaning.is_(None), reply.meaning != InboundMeaning.LOOP))



@periodic("sms_no_response")
def raise_no_responses(now: datetime) -> str:
    """Raise a `no_response` need for each check-in text not answered within its window.

    The need alerts the client's contacts at once (notices.need_raised); the safety net's
    no-answer protocol then flags it to the coordinator after the programme's window and closes
    it when the client is seen on a visit. A client seen since the text was sent needs no need,
    nor does one who texted anything since (`_texted_back`): they are not silent, and what they
    wrote was handled as what it is (an answer, a need, a question for a person, STOP).
    """
    unanswered = db.session.scalars(_claimed(select(Message).where(
        Message.direction == MessageDirection.OUTBOUND, Message.kind == MessageKind.CHECK_IN,
        Message.answered_at.is_(None), Message.need_id.is_(None),
        Message.status.in_(MAY_HAVE_ARRIVED), Message.client_id.is_not(None),
        Message.reply_due_at <= now, Message.reply_due_at > now - NO_RESPONSE_LOOKBACK,
        ~_texted_back(),
    ).order_by(Message.id), Message)).all()
    if not unanswered:
        return "0 unanswered check-in(s) raised as needs"
    # When each client was last seen at the door (a no-answer is not being seen).
    last_seen = dict(db.session.execute(
        select(Visit.client_id, func.max(Visit.visited_at))
        .where(Visit.client_id.in_({m.client_id for m in unanswered}),
               Visit.outcome != VisitOutcome.NO_ANSWER, Visit.visited_at <= now)
        .group_by(Visit.client_id)).tuples().all())
    raised = 0
    for message in unanswered:
        sent_at = message.sent_at or message.created_at
        seen = last_seen.get(message.client_id)
        if seen is not None and seen > sent_at:
            continue
        client = db.session.get(Client, message.client_id)
        timezone = client.programme.timezone
        description = ("No reply to the check-in text sent at "
                       f"{dates.clock(dates.local(sent_at, timezone).time(), 'en')}")
        if message.status == MessageStatus.UNDELIVERED:
            description += f" (the phone network could not deliver it: {message.error_reason})"
        need = create_need(None, client, NeedCategory.NO_RESPONSE, NeedSeverity.SOON,
                           description[:1000], NeedSource.SYSTEM)
        need.created_at = need.updated_at = now
        message.need_id = need.id
        raised += 1
    return f"{raised} unanswered check-in(s) raised as needs"

