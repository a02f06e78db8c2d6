"""The `outcome_measures` job, run by `outreach tick` (and Celery beat): the outcome measures
asked by text, and runs of questions left unanswered stopped.

Wellbeing (UCLA-3 and ONS-4) is texted to clients due it whom nobody visits in person: their
visit plan has check-in texts, or they have no current plan (a workshop's learners). Clients
visited in person are asked on the doorstep; only if they are still due 14 days after they
became due (the visitor did not ask) are they texted. Satisfaction is texted to everyone due it
once they have been enrolled four weeks.

As for check-ins (outreach.messages.jobs): from the programme's check-in time and never in the
quiet hours, only to clients who take part and whose number may be texted, rows claimed with
SKIP LOCKED and each first text with a dedupe key, so several machines start one run. A client
gets at most one new run per tick, never while a check-in text or another run of questions
awaits their answer, and one phone (a couple's) carries one run at a time. A client with daily
check-in texts is asked only once today's check-in is answered: the two jobs may run in any
order (beat runs them side by side), and a UCLA answer of 1, 2 or 3 must not meet a check-in
sent after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import (
    ConsentPurpose,
    EnrolmentStatus,
    MessageDirection,
    MessageKind,
    MessageStatus,
)
from outreach.evaluation.models import MeasureKind, MeasureSource, OutcomeMeasure
from outreach.evaluation.services import EVERY, ITEMS, due, last_asked
from outreach.evaluation.sms import ANSWERABLE, first_text, last_question, stop_asking, survey_key
from outreach.jobs.tick import periodic
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.messages.notices import first_name
from outreach.messages.outbox import store_outbound
from outreach.messages.quiet_hours import quiet_until
from outreach.messages.texts import dates
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.visits.models import VisitPlan
from outreach.visits.schedule import local_day_bounds

# A client visited in person is texted the wellbeing questions only this long after they
# became due: until then the visitor may still ask them on the doorstep.
VISITOR_GRACE = timedelta(days=14)
# Satisfaction is asked once the client has had four weeks of the programme to judge.
SATISFACTION_AFTER = timedelta(days=28)
_GONE = (MessageStatus.CANCELLED, MessageStatus.FAILED)


@periodic("outcome_measures")
def ask_outcome_measures(now: datetime) -> str:
    """Stop runs of questions nobody answered, then text the measures due to those due them."""
    stopped = _stop_unanswered(now)
    rows = _candidates(now)
    busy = _busy(rows, now)
    wellbeing = _wellbeing_due(rows, now)
    satisfaction = due({c.id for c, _, enrolment, _ in rows
                        if enrolment.enrolled_at <= now - SATISFACTION_AFTER},
                       MeasureKind.SATISFACTION, now)
    started = {MeasureKind.WELLBEING: 0, MeasureKind.SATISFACTION: 0}
    phones_asked = {c.phone for c, *_ in rows if c.id in busy}
    for client, programme, _, _ in rows:
        if client.id in busy or client.phone in phones_asked:
            continue
        kind = (MeasureKind.WELLBEING if client.id in wellbeing
                else MeasureKind.SATISFACTION if client.id in satisfaction else None)
        if kind is not None and _start(client, programme, kind, now):
            started[kind] += 1
            phones_asked.add(client.phone)
    return (f"{started[MeasureKind.WELLBEING]} wellbeing and "
            f"{started[MeasureKind.SATISFACTION]} satisfaction asking(s) texted, "
            f"{stopped} unanswered stopped")


def _stop_unanswered(now: datetime) -> int:
    """Runs whose latest question went unanswered for ANSWERABLE ask no more."""
    measures = db.session.scalars(select(OutcomeMeasure).where(
        OutcomeMeasure.source == MeasureSource.SMS, OutcomeMeasure.awaiting != "")
        .order_by(OutcomeMeasure.id).with_for_update(skip_locked=True)).all()
    stopped = 0
    for measure in measures:
        question = last_question(measure)
        asked_at = measure.asked_at if question is None else (
            question.sent_at or question.created_at)
        if asked_at < now - ANSWERABLE:
            stop_asking(measure)
            stopped += 1
    db.session.flush()
    return stopped


def _candidates(now: datetime) -> list[tuple]:
    """(client, programme, enrolment, visit plan or None) of the active clients taking part with
    a number that may be texted, in programmes at their check-in hours now."""
    open_now = [p.id for p in db.session.scalars(select(Programme)) if _asking_hours(p, now)]
    if not open_now:
        return []
    takes_part = select(Consent.id).where(
        Consent.client_id == Client.id, Consent.purpose == ConsentPurpose.TAKE_PART,
        Consent.withdrawn_at.is_(None)).exists()
    rows = db.session.execute(
        select(Client, Programme, ProgrammeEnrolment, VisitPlan)
        .join(Programme, Programme.id == Client.programme_id)
        .join(ProgrammeEnrolment, (ProgrammeEnrolment.client_id == Client.id)
              & (ProgrammeEnrolment.programme_id == Client.programme_id))
        .outerjoin(VisitPlan, VisitPlan.client_id == Client.id)
        .where(Client.programme_id.in_(open_now),
               ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE,
               Client.phone.is_not(None), Client.phone != "", takes_part)
        .order_by(Client.id)
        .with_for_update(skip_locked=True, of=ProgrammeEnrolment)).tuples().all()
    blocked = numbers.refusals({c.phone for c, *_ in rows})
    return [row for row in rows if row[0].phone not in blocked]


def _asking_hours(programme: Programme, now: datetime) -> bool:
    """From the check-in time until the quiet hours begin, on the programme's clock."""
    wall = dates.local(now, programme.timezone)
    return wall.time() >= programme.check_in_time and quiet_until(programme, now) is None


def _busy(rows: list[tuple], now: datetime) -> set[int]:
    """Clients not to be asked now: a run of questions of theirs is not finished, a check-in
    text of the last day awaits their answer, or today's check-in has not come or been
    answered yet."""
    client_ids = {client.id for client, *_ in rows}
    if not client_ids:
        return set()
    asking = set(db.session.scalars(select(OutcomeMeasure.client_id).where(
        OutcomeMeasure.client_id.in_(client_ids), OutcomeMeasure.source == MeasureSource.SMS,
        OutcomeMeasure.awaiting != "")))
    check_ins = db.session.execute(select(Message.client_id, Message.created_at,
                                          Message.answered_at).where(
        Message.client_id.in_(client_ids), Message.direction == MessageDirection.OUTBOUND,
        Message.kind == MessageKind.CHECK_IN, Message.status.not_in(_GONE),
        Message.created_at > now - timedelta(days=1))).all()
    waiting = {row.client_id for row in check_ins if row.answered_at is None}
    answered = {(row.client_id, row.created_at) for row in check_ins if row.answered_at}
    for client, programme, _, plan in rows:
        today = dates.local(now, programme.timezone).date()
        if _current(plan, today) and plan.sms_check_ins:
            start, _ = local_day_bounds(today, programme.timezone)
            if not any(i == client.id and at >= start for i, at in answered):
                waiting.add(client.id)
    return asking | waiting


def _current(plan: VisitPlan | None, today) -> bool:
    """Whether the visit plan is in force today."""
    return plan is not None and plan.starts_on <= today and (
        plan.ends_on is None or plan.ends_on >= today)


def _wellbeing_due(rows: list[tuple], now: datetime) -> set[int]:
    """Clients due the wellbeing questions by text: not visited in person, or visited but
    still due VISITOR_GRACE after they became due."""
    ids = due({c.id for c, *_ in rows}, MeasureKind.WELLBEING, now)
    asked = last_asked(ids, MeasureKind.WELLBEING)
    chosen = set()
    for client, programme, enrolment, plan in rows:
        if client.id not in ids:
            continue
        today = dates.local(now, programme.timezone).date()
        in_person = _current(plan, today) and not plan.sms_check_ins
        became_due = (asked[client.id] + EVERY[MeasureKind.WELLBEING] if client.id in asked
                      else enrolment.enrolled_at)
        if not in_person or became_due <= now - VISITOR_GRACE:
            chosen.add(client.id)
    return chosen


def _start(client: Client, programme: Programme, kind: MeasureKind, now: datetime) -> bool:
    """Queue the text starting a run and store the asking, awaiting its first answer."""
    today = dates.local(now, programme.timezone).date()
    _, end_of_day = local_day_bounds(today, programme.timezone)
    body = first_text(kind, programme.kind, client.preferred_language,
                      first_name(client.full_name))
    message = store_outbound(MessageKind.SURVEY, body, to=client.phone,
                             language=client.preferred_language, programme=programme,
                             client=client, dedupe_key=survey_key(kind, client.id, today),
                             not_after=end_of_day, now=now)
    if message is None or message.status == MessageStatus.CANCELLED:
        return False  # another machine started it, or the number may not be texted after all
    db.session.add(OutcomeMeasure(client_id=client.id, programme_id=client.programme_id,
                                  kind=kind, source=MeasureSource.SMS, asked_at=now,
                                  awaiting=ITEMS[kind][0]))
    db.session.flush()
    return True
