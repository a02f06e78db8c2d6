"""The safety net, run by `outreach tick`: no-answers, missed visits and clients not seen.

Each job takes the time to run as of and answers a one-line summary. All are safe to run again
and on several machines at once: the rows a job works on are claimed with FOR UPDATE SKIP
LOCKED on PostgreSQL (SQLite has a single writer and ignores it), and nothing is raised twice
(MissedVisit is unique per client and date; a client has at most one open `not_seen` need).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from outreach.audit.services import record
from outreach.db import db
from outreach.enums import (
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
    VisitFrequency,
    VisitOutcome,
)
from outreach.jobs.tick import periodic
from outreach.needs.models import Need
from outreach.needs.services import close_need, create_need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.rounds.models import Round, RoundCover
from outreach.visits.models import MissedVisit, Visit, VisitPause, VisitPlan
from outreach.visits.schedule import is_due, local_date

MISSED_LOOKBACK_DAYS = 7
# Days a client may go unseen, by plan; weekday plans use their longest gap instead.
NOT_SEEN_ALLOWANCE = {VisitFrequency.DAILY: 3, VisitFrequency.WEEKLY: 9,
                      VisitFrequency.FORTNIGHTLY: 16}
WEEKDAYS_SLACK = 2


def day(d: date) -> str:
    """A date as people write it: Monday 3 March 2025."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def _claimed(query, *of):
    """Rows another machine is already working on are skipped rather than waited for."""
    return query.with_for_update(skip_locked=True, of=of or None)


def _resolve(need: Need, now: datetime, resolution: str) -> None:
    close_need(need, now, resolution, by="safety_net", via="system")


def _raise(client_id: int, category: NeedCategory, description: str, now: datetime,
           *, flagged: bool = False) -> Need:
    # Through the needs service, so whatever it does for every new need (routing) happens here.
    need = create_need(None, db.session.get(Client, client_id), category, NeedSeverity.SOON,
                       description, NeedSource.SYSTEM)
    need.created_at = need.updated_at = now
    need.flagged_at = now if flagged else None
    return need


def _grouped(rows, key=lambda row: row.client_id) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


# --- (a) The no-answer protocol -------------------------------------------------------------

# A door not answered, and a check-in text not answered (raised by outreach.messages.jobs),
# are escalated alike: flagged after the programme's window, closed when the client is seen.
UNANSWERED = (NeedCategory.NO_ANSWER, NeedCategory.NO_RESPONSE)


@periodic("no_answer")
def no_answer_protocol(now: datetime) -> str:
    """Close no-answers whose client has been seen since; flag those past the window."""
    resolved = _resolve_seen_no_answers(now)
    flagged = _flag_unanswered(now)
    return f"{resolved} no-answer(s) closed as seen since, {flagged} flagged to the coordinator"


def _resolve_seen_no_answers(now: datetime) -> int:
    needs = db.session.scalars(_claimed(select(Need).where(
        Need.category.in_(UNANSWERED), Need.status == NeedStatus.OPEN,
    ).order_by(Need.id))).all()
    if not needs:
        return 0
    # Seen "since" is measured from the unanswered visit itself when known: a visit synced late
    # from a phone still counts from the time the door went unanswered.
    visit_times = dict(db.session.execute(select(Visit.id, Visit.visited_at).where(
        Visit.id.in_({n.visit_id for n in needs if n.visit_id}))).all())
    since = {n.id: visit_times.get(n.visit_id, n.created_at) for n in needs}
    seen = _grouped(db.session.execute(select(Visit.client_id, Visit.visited_at, Visit.visited_on)
                                       .where(Visit.client_id.in_({n.client_id for n in needs}),
                                              Visit.outcome != VisitOutcome.NO_ANSWER,
                                              Visit.visited_at > min(since.values()),
                                              Visit.visited_at <= now)
                                       .order_by(Visit.visited_at)))
    resolved = 0
    for need in needs:
        later = next((v for v in seen.get(need.client_id, []) if v.visited_at > since[need.id]),
                     None)
        if later is not None:
            _resolve(need, now, f"Seen on {day(later.visited_on)}")
            resolved += 1
    return resolved


def _flag_unanswered(now: datetime) -> int:
    rows = db.session.execute(_claimed(
        select(Need, Programme.no_answer_window_minutes)
        .join(Client, Client.id == Need.client_id)
        .join(Programme, Programme.id == Client.programme_id)
        .where(Need.category.in_(UNANSWERED), Need.status == NeedStatus.OPEN,
               Need.flagged_at.is_(None))
        .order_by(Need.id), Need)).all()
    flagged = 0
    for need, window in rows:
        if need.created_at + timedelta(minutes=window) <= now:
            need.flagged_at = now
            record(None, "need.flag", subject=need, client_id=need.client_id,
                   detail={"category": str(need.category), "window_minutes": window},
                   via="system")
            flagged += 1
    return flagged


# --- (b) Missed visits ----------------------------------------------------------------------


@periodic("missed_visits")
def detect_missed_visits(now: datetime) -> str:
    """Record each planned visit of the last week not recorded by the end of its local day."""
    rounds = {r.id: r for r in db.session.scalars(_claimed(
        select(Round).order_by(Round.id), Round))}
    if not rounds:
        return "0 missed visit(s) found"
    today = {r.id: local_date(now, r.programme.timezone) for r in rounds.values()}
    first = min(today.values()) - timedelta(days=MISSED_LOOKBACK_DAYS)
    last = max(today.values()) - timedelta(days=1)
    rows = db.session.execute(
        select(Client.id, Client.round_id, VisitPlan)
        .join(VisitPlan, VisitPlan.client_id == Client.id)
        .where(Client.round_id.in_(rounds), VisitPlan.starts_on <= last,
               (VisitPlan.ends_on.is_(None)) | (VisitPlan.ends_on >= first))
        .order_by(Client.id)).all()
    on_rounds = select(Client.id).where(Client.round_id.in_(rounds))
    pauses = _grouped(db.session.scalars(select(VisitPause).where(
        VisitPause.client_id.in_(on_rounds), VisitPause.ends_on >= first,
        VisitPause.starts_on <= last)))
    done = set(db.session.execute(select(Visit.client_id, Visit.visited_on).where(
        Visit.client_id.in_(on_rounds), Visit.visited_on.between(first, last))).tuples())
    done |= set(db.session.execute(select(MissedVisit.client_id, MissedVisit.due_on).where(
        MissedVisit.client_id.in_(on_rounds), MissedVisit.due_on.between(first, last))).tuples())
    found = 0
    for client_id, round_id, plan in rows:
        round_ = rounds[round_id]
        weekdays = round_.weekday_list
        for back in range(MISSED_LOOKBACK_DAYS, 0, -1):
            on = today[round_id] - timedelta(days=back)
            if (client_id, on) in done or not is_due(plan, on, weekdays, pauses[client_id]):
                continue
            db.session.add(MissedVisit(client_id=client_id, round_id=round_id, due_on=on,
                                       detected_at=now))
            _raise(client_id, NeedCategory.MISSED_VISIT,
                   f"The visit due on {day(on)} ({round_.name}) was not recorded.", now)
            found += 1
    return f"{found} missed visit(s) found"


# --- (c) Clients not seen -------------------------------------------------------------------


def allowed_gap(plan: VisitPlan) -> int:
    """How many days a client on this plan may go without being seen (before pauses)."""
    if plan.frequency in NOT_SEEN_ALLOWANCE:
        return NOT_SEEN_ALLOWANCE[plan.frequency]
    days = sorted(set(plan.weekday_list)) or [plan.starts_on.isoweekday()]
    gaps = [b - a for a, b in zip(days, days[1:], strict=False)] + [days[0] + 7 - days[-1]]
    return max(gaps) + WEEKDAYS_SLACK


def _paused_days(pauses: list[VisitPause], after: date, through: date) -> int:
    """Days in (after, through] covered by at least one pause."""
    covered: set[date] = set()
    for p in pauses:
        start, end = max(p.starts_on, after + timedelta(days=1)), min(p.ends_on, through)
        covered.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return len(covered)


@dataclass
class _LastSeen:
    on: date
    latest_at: datetime  # the later of when the last visit happened and when it was recorded


@periodic("not_seen")
def flag_not_seen(now: datetime) -> str:
    """Raise one `not_seen` need per client unseen for longer than their plan allows."""
    plans = db.session.execute(_claimed(
        select(VisitPlan, Programme.timezone)
        .join(Client, Client.id == VisitPlan.client_id)
        .join(Programme, Programme.id == Client.programme_id)
        .order_by(VisitPlan.id), VisitPlan)).all()
    seen = {row.client_id: _LastSeen(row.on, max(row.at, row.recorded))
            for row in db.session.execute(
                select(Visit.client_id, func.max(Visit.visited_on).label("on"),
                       func.max(Visit.visited_at).label("at"),
                       func.max(Visit.recorded_at).label("recorded"))
                .where(Visit.outcome != VisitOutcome.NO_ANSWER, Visit.visited_at <= now)
                .group_by(Visit.client_id))}
    # Only the needs of the clients whose plans this run claimed: locking every open one let a
    # second run, holding other plans, skip them as locked and raise them again.
    open_needs = {n.client_id: n for n in db.session.scalars(_claimed(select(Need).where(
        Need.category == NeedCategory.NOT_SEEN, Need.status == NeedStatus.OPEN,
        Need.client_id.in_({plan.client_id for plan, _ in plans}),
    ).order_by(Need.id.desc())))}
    current = []
    for plan, timezone in plans:
        today = local_date(now, timezone)
        if plan.starts_on <= today and (plan.ends_on is None or plan.ends_on >= today):
            last = seen.get(plan.client_id)
            since = max(last.on, plan.starts_on) if last else plan.starts_on
            current.append((plan, today, last, since))
    if not current:
        return "0 client(s) flagged as not seen, 0 seen again"
    # Only pauses after someone's last visit can extend what their plan allows.
    pauses = _grouped(db.session.scalars(select(VisitPause).where(
        VisitPause.ends_on > min(since for *_, since in current))))
    raised = resolved = 0
    for plan, today, last, since in current:
        allowed = allowed_gap(plan) + _paused_days(pauses[plan.client_id], since, today)
        overdue = (today - since).days > allowed
        need = open_needs.get(plan.client_id)
        if need is not None and not overdue and last and last.latest_at >= need.created_at:
            _resolve(need, now, f"Seen on {day(last.on)}")
            resolved += 1
        elif need is None and overdue:
            what = f"Not seen since {day(last.on)}" if last else "Not seen since the plan began"
            _raise(plan.client_id, NeedCategory.NOT_SEEN,
                   f"{what}; the visit plan allows {allowed} days.", now, flagged=True)
            raised += 1
    return f"{raised} client(s) flagged as not seen, {resolved} seen again"


# --- Today's progress, for the dashboard ----------------------------------------------------


@dataclass(slots=True)
class RoundProgress:
    """One round on one programme-local day: who walks it, how many are due and done."""

    round: Round  # or a row with the same columns: see round_progress
    on: date
    runs: bool  # whether the round runs on that day of the week
    visitor_id: int | None
    covered: bool
    due: int
    done: int

    @property
    def outstanding(self) -> int:
        return self.due - self.done


def _days(text: str) -> list[int]:
    """ISO weekdays written "1,3,5", as a round's or a plan's days are stored."""
    return [int(d) for d in text.split(",") if d]


@dataclass(frozen=True)
class _PlanShape:
    """The parts of a visit plan `is_due` reads, shared by every client on the same plan."""

    frequency: VisitFrequency
    weekdays: str
    starts_on: date
    ends_on: date | None

    @property
    def weekday_list(self) -> list[int]:
        return _days(self.weekdays)


def _rounds_of(programme_ids: list[int]):
    """The ids of the programmes' rounds, as a subquery."""
    return select(Round.id).where(Round.programme_id.in_(programme_ids))


def _due_and_done(programme_ids: list[int], on: date):
    """(round id, frequency, days, start, clients, clients visited on `on`) for the plans on
    the programmes' rounds that may be due, counted in the database: a national operator has
    100,000 plans.

    The filter is a superset of `is_due` (dates, pauses, and the day of the week as a digit in
    the plan's days); `is_due` then decides each group exactly. The start date only matters
    to a fortnightly plan's week and to a plan without days, so only they are grouped by it."""
    visited = select(Visit.client_id).where(Visit.visited_on == on).distinct().subquery()
    paused = select(VisitPause.id).where(VisitPause.client_id == Client.id,
                                         VisitPause.starts_on <= on, VisitPause.ends_on >= on)
    start = case(((VisitPlan.frequency == VisitFrequency.FORTNIGHTLY)
                  | (VisitPlan.weekdays == ""), VisitPlan.starts_on))
    shape = (Client.round_id, VisitPlan.frequency, VisitPlan.weekdays, start)
    # Read as a stream of plain rows: thousands of them, none needed after it is counted.
    return db.session.connection().execute(
        select(*shape, func.count(), func.count(visited.c.client_id))
        .join(VisitPlan, VisitPlan.client_id == Client.id)
        .outerjoin(visited, visited.c.client_id == Client.id)
        .where(Client.round_id.in_(_rounds_of(programme_ids)), VisitPlan.starts_on <= on,
               VisitPlan.ends_on.is_(None) | (VisitPlan.ends_on >= on),
               (VisitPlan.frequency == VisitFrequency.DAILY) | (VisitPlan.weekdays == "")
               | VisitPlan.weekdays.contains(str(on.isoweekday())),
               ~paused.exists())
        .group_by(*shape))


def round_progress(rounds: list, now: datetime) -> list[RoundProgress]:
    """Progress of each round today (in its programme's time zone), in a few bulk queries.

    `rounds` are Round objects or, lighter for thousands of them, rows of Round's columns
    (at least id, programme_id, weekdays and visitor_id)."""
    if not rounds:
        return []
    # Worked out once per programme and per set of days: there are thousands of rounds.
    dates = {pid: local_date(now, timezone) for pid, timezone in db.session.execute(
        select(Programme.id, Programme.timezone)
        .where(Programme.id.in_({r.programme_id for r in rounds})))}
    days_of = {text: _days(text) for text in {r.weekdays for r in rounds}}
    today = {r.id: dates[r.programme_id] for r in rounds}
    weekdays = {r.id: days_of[r.weekdays] for r in rounds}
    due: dict[int, int] = defaultdict(int)
    done: dict[int, int] = defaultdict(int)
    decided: dict[tuple, bool] = {}
    # One query per local date: every round of a programme shares one. Rounds are chosen by
    # programme (thousands of ids cost more to send than to count); others are passed over.
    for on in set(dates.values()):
        programme_ids = [pid for pid, day_ in dates.items() if day_ == on]
        for round_id, frequency, days, start, clients, visited in _due_and_done(programme_ids,
                                                                                on):
            if round_id not in today:
                continue
            key = (frequency, days, start, on, tuple(weekdays[round_id]))
            if key not in decided:
                # Within its dates (the query saw to that) unless the start date matters.
                plan = _PlanShape(frequency, days, start or on, None)
                decided[key] = is_due(plan, on, weekdays[round_id])
            if decided[key]:
                due[round_id] += clients
                done[round_id] += visited
    covers = db.session.execute(
        select(RoundCover.round_id, RoundCover.visitor_id, RoundCover.starts_on,
               RoundCover.ends_on)
        .where(RoundCover.round_id.in_(_rounds_of(list(dates))),
               RoundCover.starts_on <= max(today.values()),
               RoundCover.ends_on >= min(today.values()))
        .order_by(RoundCover.id)).all()
    # The latest cover set for the day wins, as in schedule.visitor_on.
    cover_by = {c.round_id: c.visitor_id for c in covers
                if c.round_id in today and c.starts_on <= today[c.round_id] <= c.ends_on}
    return [RoundProgress(r, today[r.id], today[r.id].isoweekday() in weekdays[r.id],
                          cover_by.get(r.id, r.visitor_id), r.id in cover_by, due[r.id],
                          done[r.id]) for r in rounds]
