"""The texts and outcome measures of the demo's year (see demo_history): check-in texts and
their replies, appointment reminders, needs told by text, three opt-outs, and the wellbeing and
satisfaction answers taken at enrolment and every three months after.

Nothing here is sent: the texts are written as the message log would hold them once the
provider had reported on them, with segments and cost as the outbox works them out.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from channels.sms import segments
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
from outreach.evaluation.models import UCLA_ITEMS, MeasureKind, MeasureSource, OutcomeMeasure
from outreach.messages.models import Message, MessageEvent, SmsNumber
from outreach.messages.notices import first_name
from outreach.messages.outbox import cost_of, sender_for
from outreach.messages.status import set_status
from outreach.messages.texts import dates, render
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.visits.models import Visit

DELIVERY = ((MessageStatus.DELIVERED, None, ""), (MessageStatus.UNDELIVERED, 30003,
            "Unreachable destination handset"), (MessageStatus.FAILED, 30008, "Unknown error"))
ANSWERS = ("1", "2", "3", None)  # OK, a call please, help today, no reply
CALL = "Asked for a call in reply to a check-in text"
HELP = "Needs help today (replied 3 to a check-in text)"


class Log:
    """Message rows to write in two passes (replies name the text they answer) with events."""

    def __init__(self, programme: Programme):
        self.programme, self.sender = programme, sender_for(programme)
        self.first: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # (index in `first`, row)
        # The needs a row names, by its index in `first` or `replies`: ids come at flush.
        self.need_of: dict[int, Need] = {}
        self.reply_need: dict[int, Need] = {}

    def row(self, kind, body: str, who, at: datetime, *, inbound: bool = False,
            status: MessageStatus = MessageStatus.DELIVERED, **extra) -> dict:
        """One message as the log holds it once settled."""
        parts = segments.count(body)
        client, contact = (who, None) if isinstance(who, Client) else (who.client, who)
        done = status == MessageStatus.DELIVERED
        return {"direction": MessageDirection.INBOUND if inbound else MessageDirection.OUTBOUND,
                "kind": None if inbound else kind, "meaning": kind if inbound else None,
                "status": MessageStatus.RECEIVED if inbound else status,
                "client_id": client.id, "contact_id": getattr(contact, "id", None),
                "programme_id": self.programme.id, "phone": who.phone,
                "service_number": self.sender, "body": body,
                "language": who.preferred_language, "encoding": parts.encoding,
                "segments": parts.count, "cost_estimate": cost_of(0 if inbound else parts.count),
                "backend": "console", "attempts": 0 if inbound else 1,
                "sent_at": None if inbound else at + timedelta(seconds=2),
                "delivered_at": at + timedelta(seconds=8) if done and not inbound else None,
                "created_at": at, "updated_at": at, **extra}

    def write(self) -> int:
        """Insert every row and its status history; answers how many messages."""
        ids = db.session.scalars(insert(Message).returning(
            Message.id, sort_by_parameter_order=True), self.first).all() if self.first else []
        second = [dict(row, in_reply_to_id=ids[index]) for index, row in self.replies]
        ids += db.session.scalars(insert(Message).returning(
            Message.id, sort_by_parameter_order=True), second).all() if second else []
        events = []
        for message_id, row in zip(ids, self.first + second, strict=True):
            events += [{"message_id": message_id, "status": status, "at": at,
                        "error_code": row.get("error_code"), "detail": detail}
                       for status, at, detail in _history(row)]
        if events:
            db.session.execute(insert(MessageEvent), events)
        return len(ids)


def _history(row: dict) -> list[tuple[MessageStatus, datetime, str]]:
    at = row["created_at"]
    if row["direction"] == MessageDirection.INBOUND:
        return [(MessageStatus.RECEIVED, at, "")]
    steps = [(MessageStatus.QUEUED, at, "Written to the outbox"),
             (MessageStatus.SENDING, at + timedelta(seconds=1), ""),
             (MessageStatus.SENT, at + timedelta(seconds=2), "")]
    if row["status"] != MessageStatus.SENT:
        steps.append((row["status"], at + timedelta(seconds=8), row.get("error_reason", "")))
    return steps


def seed(rng: random.Random, programme: Programme, entries: list, first: date, end: date,
         today: date) -> list[Need]:
    """A year of texts for the clients who got check-in texts; answers the needs they raised.

    Check-in texts run up to yesterday, alongside demo_care's recent visits (a visit makes the
    day's text unnecessary); the rest stops where the recent weeks begin, at `end`."""
    log, needs = Log(programme), []
    visited = set(db.session.execute(select(Visit.client_id, Visit.visited_on).where(
        Visit.client_id.in_([e.client.id for e in entries]))).tuples())
    for entry in entries:
        client, plan = entry.client, entry.plan
        stop = min(today, plan.ends_on + timedelta(days=1)) if plan.ends_on else today
        opted_out = stop - timedelta(days=rng.randint(3, 20)) if plan.ends_on else None
        on = max(first, plan.starts_on)
        days = range((on - first).days, (min(stop, end) - first).days)
        told = set(rng.sample(days, min(2, len(days))))
        while on < (opted_out or stop):
            at = datetime.combine(on, programme.check_in_time, tzinfo=entry_zone(programme))
            at = at.astimezone(UTC)
            if (on - first).days in told:
                needs.append(_told(rng, log, client, at + timedelta(hours=rng.randint(1, 6))))
            if (on - first).days % 41 == 17 and on < end:
                _reminder(rng, log, client, at, on)
            if (client.id, on) not in visited:
                needs += _check_in(rng, log, programme, client, at, on)
            on += timedelta(days=1)
        if opted_out is not None and opted_out >= first:
            _opt_out(log, client, local_noon(opted_out, programme))
    db.session.add_all(needs)
    db.session.flush()
    for index, need in log.need_of.items():
        log.first[index]["need_id"] = need.id
    for index, need in log.reply_need.items():
        log.replies[index][1]["need_id"] = need.id
    log.write()
    return needs


def opt_out_contact(programme: Programme, entries: list) -> None:
    """The third opt-out: a former client's contact, who wanted no more alerts once he left."""
    log = Log(programme)
    for entry in entries:
        if entry.plan.ends_on is not None and not entry.texts and entry.client.contacts:
            _opt_out(log, entry.client.contacts[0], local_noon(entry.plan.ends_on, programme))
            break
    log.write()


def entry_zone(programme: Programme):
    from zoneinfo import ZoneInfo

    return ZoneInfo(programme.timezone)


def local_noon(on: date, programme: Programme) -> datetime:
    return datetime.combine(on, time(12, 0), tzinfo=entry_zone(programme)).astimezone(UTC)


def _check_in(rng: random.Random, log: Log, programme: Programme, client, at: datetime,
              on: date) -> list[Need]:
    """Today's check-in text, how it was delivered, and the reply if one came."""
    status, code, reason = rng.choices(DELIVERY, weights=(97, 2, 1))[0]
    due = at + timedelta(minutes=programme.check_in_reply_window_minutes)
    row = log.row(MessageKind.CHECK_IN, render("check_in", client.preferred_language,
                                               first_name=first_name(client.full_name)),
                  client, at, status=status, error_code=code, error_reason=reason,
                  dedupe_key=f"check_in:{client.id}:{on.isoformat()}", reply_due_at=due)
    log.first.append(row)
    if status != MessageStatus.DELIVERED:
        return []
    answer = rng.choices(ANSWERS, weights=(91, 4, 1, 4))[0]
    if answer is None:
        # The silence raised a no-response need when the reply window closed.
        need = Need(client_id=client.id, category=NeedCategory.NO_RESPONSE,
                    severity=NeedSeverity.SOON, source=NeedSource.SYSTEM,
                    description=f"No reply to the check-in text sent at "
                                f"{dates.clock(dates.local(at, programme.timezone).time(), 'en')}",
                    created_at=due, updated_at=due)
        log.need_of[len(log.first) - 1] = need
        return [need]
    replied = at + timedelta(minutes=rng.randint(3, 150))
    row.update(answered_at=replied, answer=answer)
    log.replies.append((len(log.first) - 1, log.row(
        InboundMeaning.CHECK_IN_ANSWER, rng.choice((answer, answer, f"{answer} thanks")), client,
        replied, inbound=True)))
    key = {"1": "reply_check_in_ok", "2": "reply_check_in_call", "3": "reply_check_in_help"}
    log.first.append(log.row(MessageKind.REPLY, render(key[answer], client.preferred_language),
                             client, replied + timedelta(seconds=1)))
    if answer == "1":
        return []
    need = Need(client_id=client.id, category=NeedCategory.OTHER,
                severity=NeedSeverity.SOON if answer == "2" else NeedSeverity.URGENT,
                source=NeedSource.SMS, description=CALL if answer == "2" else HELP,
                created_at=replied, updated_at=replied)
    log.reply_need[len(log.replies) - 1] = need
    return [need]


def _told(rng: random.Random, log: Log, client, at: datetime) -> Need:
    """A need told in the client's own words by text, and the automatic answer."""
    from outreach.demo import data
    category, severity, said = rng.choice(data.YEAR_TEXTS)
    need = Need(client_id=client.id, category=NeedCategory(category),
                severity=NeedSeverity(severity), source=NeedSource.SMS, description=said,
                created_at=at, updated_at=at)
    log.first.append(log.row(InboundMeaning.NEED, said, client, at, inbound=True))
    log.need_of[len(log.first) - 1] = need
    log.first.append(log.row(MessageKind.REPLY, render("reply_read_by_team",
                                                       client.preferred_language),
                             client, at + timedelta(seconds=1)))
    return need


def _reminder(rng: random.Random, log: Log, client, at: datetime, on: date) -> None:
    """The day-before reminder of an appointment (the appointment itself is long past)."""
    from outreach.demo import data
    language = client.preferred_language
    with_whom, place = rng.choice(data.APPOINTMENTS)
    body = render("appointment_day_before", language, first_name=first_name(client.full_name),
                  appointment=f"{with_whom}, {place}",
                  day=dates.day(on + timedelta(days=1), language),
                  time=dates.clock(time(rng.randint(9, 15), rng.choice((0, 30))), language))
    log.first.append(log.row(MessageKind.APPOINTMENT_REMINDER, body, client, at))


def _opt_out(log: Log, who, at: datetime) -> None:
    """STOP: the number is never texted again, and the reply says so."""
    log.first.append(log.row(InboundMeaning.OPT_OUT, "STOP", who, at, inbound=True))
    log.first.append(log.row(MessageKind.REPLY, render("reply_opted_out",
                                                       who.preferred_language),
                             who, at + timedelta(seconds=1)))
    known = db.session.scalar(select(SmsNumber).where(SmsNumber.phone == who.phone))
    if known is None:
        db.session.add(SmsNumber(phone=who.phone, opted_out_at=at,
                                 opt_out_source="keyword STOP", created_at=at, updated_at=at))


# --- Outcome measures -----------------------------------------------------------------------


def measures(rng: random.Random, entries: list, end: date) -> int:
    """Wellbeing at enrolment and every three months, satisfaction each quarter: most clients
    a little less lonely and a little happier as the months go on, a few worse."""
    ids = [e.client.id for e in entries]
    seen = {(row.client_id, row.visited_on): row.id for row in db.session.execute(
        select(Visit.id, Visit.client_id, Visit.visited_on).where(
            Visit.client_id.in_(ids),
            Visit.outcome.in_((VisitOutcome.SEEN_WELL, VisitOutcome.SEEN_CONCERN))))}
    rows = []
    for entry in entries:
        client = entry.client
        enrolment = client.enrolments[0]
        stop = enrolment.left_at or datetime.combine(end, time.min, tzinfo=UTC)
        trend = rng.choices((1, 0, -1), weights=(7, 1, 2))[0]
        start = {"ucla": rng.randint(5, 9), "life": rng.randint(3, 7), "anx": rng.randint(3, 7)}
        at, step = enrolment.enrolled_at + timedelta(days=rng.randint(1, 6)), 0
        while at < stop:
            rows.append(_asking(rng, entry, at, step, trend, start, seen))
            at += timedelta(days=91 + rng.randint(-3, 4))
            step += 1
        at = enrolment.enrolled_at + timedelta(days=45 + rng.randint(0, 10))
        while at < stop:
            row = _base(entry, MeasureKind.SATISFACTION, at, seen, step=1)
            row.update(satisfaction=rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 10, 12))[0],
                       completed_at=row["asked_at"])
            rows.append(row)
            at += timedelta(days=91 + rng.randint(-3, 4))
    _refusals(rng, rows)
    if rows:
        db.session.execute(insert(OutcomeMeasure), rows)
    return len(rows)


def _base(entry, kind: MeasureKind, at: datetime, seen: dict, step: int) -> dict:
    by_text = entry.texts and step > 0
    on = at.astimezone(entry_zone(entry.client.programme)).date()
    visit_id = None if by_text else next(
        (seen[(entry.client.id, on + timedelta(days=d))] for d in range(7)
         if (entry.client.id, on + timedelta(days=d)) in seen), None)
    return {"client_id": entry.client.id, "programme_id": entry.client.programme_id,
            "kind": kind, "source": MeasureSource.SMS if by_text else MeasureSource.VISIT,
            "visit_id": visit_id, "recorded_by_id": None if by_text else entry.round.visitor_id,
            "asked_at": at, "completed_at": None, "awaiting": "", "declined": False}


def _asking(rng: random.Random, entry, at: datetime, step: int, trend: int, start: dict,
            seen: dict) -> dict:
    """One wellbeing asking: UCLA-3 items that add up to the total, and the four ONS-4."""
    row = _base(entry, MeasureKind.WELLBEING, at, seen, step)
    total = max(3, min(9, round(start["ucla"] - trend * 0.6 * step + rng.gauss(0, 0.5))))
    items = [1, 1, 1]
    for _ in range(total - 3):
        items[rng.choice([i for i in range(3) if items[i] < 3])] += 1
    life = _scale(start["life"] + trend * 0.5 * step + rng.gauss(0, 0.7))
    row.update(dict(zip(UCLA_ITEMS, items, strict=True)), ons_life_satisfaction=life,
               ons_worthwhile=_scale(life + rng.randint(-1, 1)),
               ons_happy=_scale(life + rng.randint(-2, 1)),
               ons_anxious=_scale(start["anx"] - trend * 0.4 * step + rng.gauss(0, 0.8)),
               completed_at=row["asked_at"])
    return row


def _scale(value: float) -> int:
    return max(0, min(10, round(value)))


def _refusals(rng: random.Random, rows: list[dict]) -> None:
    """Two follow-ups declined on the doorstep, one run of texts left half-answered."""
    if not rows:
        return
    later = min(r["asked_at"] for r in rows) + timedelta(days=60)  # not a baseline
    follow_ups = [r for r in rows if r["kind"] == MeasureKind.WELLBEING and r["visit_id"]
                  and r["asked_at"] > later]
    by_text = [r for r in rows if r["kind"] == MeasureKind.WELLBEING
               and r["source"] == MeasureSource.SMS]
    for row in rng.sample(follow_ups, min(2, len(follow_ups))):
        row.update({item: None for item in row if item.startswith(("ucla_", "ons_"))},
                   declined=True, completed_at=None)
    for row in rng.sample(by_text, min(1, len(by_text))):
        row.update({item: None for item in row if item.startswith("ons_")}, completed_at=None)


def settle(need_ids: list[int], now: datetime) -> int:
    """The texts the played-forward escalations wrote (alerts, outcomes) went out when they
    were written: settle them as delivered, so that no tick sends them now."""
    queued = db.session.scalars(select(Message).where(
        Message.status == MessageStatus.QUEUED, Message.need_id.in_(need_ids),
        Message.created_at < now).order_by(Message.id)).all()
    for message in queued:
        message.send_at, message.held_reason, message.attempts = None, "", 1
        set_status(message, MessageStatus.SENT, message.created_at + timedelta(seconds=2))
        set_status(message, MessageStatus.DELIVERED, message.created_at + timedelta(seconds=8))
    return len(queued)
