"""The programme dashboard: how a Call & Check programme is doing over a range of dates.

Every figure is an aggregate query (grouped in SQL, never a loop over rows), so the dashboard
costs about the same for ten clients as for a million visits. The filters choose clients: those
of the programme, narrowed to a parish and a round (the client's current ones). Dates are local
days in the programme's time zone, both included; months and quarters are local too.

The figures are split by subject: this module has the scope, clients, visits and needs;
`dashboard_escalations` the escalations and providers' usefulness; `dashboard_outcomes` texts,
wellbeing, satisfaction and cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select

from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import NeedCategory, NeedStatus, Role, VisitOutcome
from outreach.errors import Forbidden, NotFound
from outreach.needs.models import Need
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.reports.ranges import percent
from outreach.reports.sql import (
    bucket,
    hours,
    local_midnight,
    month_starts,
    next_day,
    percentiles,
    seconds_between,
)
from outreach.visits.models import MissedVisit, Visit

if TYPE_CHECKING:
    from outreach.reports.dashboard_escalations import Escalations, Usefulness
    from outreach.reports.dashboard_outcomes import Cost, Satisfaction, Texts, Wellbeing

# Raised by the system itself rather than reported by someone (see the safety net).
SAFETY_NET = (NeedCategory.NO_ANSWER, NeedCategory.NO_RESPONSE, NeedCategory.MISSED_VISIT,
              NeedCategory.NOT_SEEN, NeedCategory.INVALID_NUMBER)
CONCERNS = tuple(c for c in NeedCategory if c not in SAFETY_NET)
SEEN_AGAIN = "Seen on %"  # the safety net's resolution when the client is seen after all
NO_REASON = "No reason given"


def default_range(today: date) -> tuple[date, date]:
    """The last 12 months to today: from the same day a year ago, the day after it."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return next_day(year_ago), today


@dataclass(frozen=True)
class Scope:
    """What the dashboard covers: a programme, local dates, and which of its clients."""

    programme: Programme
    start: date
    end: date
    parish: str = ""
    round_id: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.programme.timezone)

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start, self.zone)

    @property
    def end_at(self) -> datetime:  # the instant after the range
        return local_midnight(next_day(self.end), self.zone)

    def client_ids(self) -> Select:
        """The filtered clients."""
        query = select(Client.id).where(Client.programme_id == self.programme.id)
        if self.parish:
            query = query.where(Client.parish == self.parish)
        if self.round_id is not None:
            query = query.where(Client.round_id == self.round_id)
        return query

    @property
    def narrowed(self) -> bool:
        return bool(self.parish) or self.round_id is not None

    def narrow(self, client_id) -> list:
        """Conditions for rows that carry the programme's id themselves (enrolments,
        escalations, texts, measures): with no parish or round chosen, that id says enough, and
        the query is spared a join with every client."""
        return [client_id.in_(self.client_ids())] if self.narrowed else []

    def during(self, column) -> list:
        """Conditions: a time column within the range."""
        return [column >= self.start_at, column < self.end_at]

    def on_days(self, column) -> list:
        """Conditions: a date column within the range."""
        return [column >= self.start, column <= self.end]

    def months(self) -> list[date]:
        """The local months the range touches, and the first day after the last one."""
        return month_starts(self.start, self.end)

    def month_labels(self) -> list[str]:
        return [f"{m:%b %Y}" for m in self.months()[:-1]]

    def month_edges(self) -> list[datetime]:
        return [local_midnight(m, self.zone) for m in self.months()]


def today_in(programme: Programme) -> date:
    """Today in the programme's time zone."""
    return utcnow().astimezone(ZoneInfo(programme.timezone)).date()


def programme_for_dashboard(actor: User, programme_id: int) -> Programme:
    """The programme whose dashboard the actor may read: admins any, coordinators their
    operator's (404 when there is no such programme, 403 when it is not theirs)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    if not access.can_manage_programme(actor, programme):
        raise Forbidden("Only the programme's coordinators can read its dashboard.")
    return programme


def scope_for(actor: User, filters: dict) -> Scope:
    """The scope asked for by loaded filters (DashboardQuery), for a programme the actor may
    read. Dates left out: to today and from a year before `to`, in the programme's time zone."""
    programme = programme_for_dashboard(actor, filters["programme_id"])
    start, end = filters.get("start"), filters.get("end")
    if end is None:
        today = today_in(programme)
        end = max(today, start) if start else today
    if start is None:
        start = default_range(end)[0]
    return Scope(programme, start, end, filters.get("parish") or "", filters.get("round_id"))


def programmes_for(actor: User) -> list[Programme]:
    """The programmes the actor may choose on the dashboard."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR):
        return []
    return list(db.session.scalars(select(Programme).where(access.programme_filter(actor))
                                   .order_by(Programme.name, Programme.id)))


def per_month(scope: Scope, rows, width: int) -> list[list[int]]:
    """Rows of (period, column index, count) laid out as one list of `width` per month."""
    table = [[0] * width for _ in scope.month_labels()]
    for period, column, count in rows:
        if period is not None:
            table[int(period)][column] += int(count)
    return table


# --- Clients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clients:
    enrolled: int  # enrolled during the range
    active: int  # enrolled by its end and not left by then
    left: int  # left during the range
    reasons: list[tuple[str, int]]  # why they left, most common first
    by_month: list[list[int]]  # per month: [enrolled, left]


def clients(scope: Scope) -> Clients:
    """Enrolments of the filtered clients in this programme."""
    enrolment = ProgrammeEnrolment
    mine = [enrolment.programme_id == scope.programme.id, *scope.narrow(enrolment.client_id)]

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    joined = (enrolment.enrolled_at >= scope.start_at) & (enrolment.enrolled_at < scope.end_at)
    left = (enrolment.left_at >= scope.start_at) & (enrolment.left_at < scope.end_at)
    row = db.session.execute(select(
        counted(joined).label("enrolled"),
        counted((enrolment.enrolled_at < scope.end_at)
                & (enrolment.left_at.is_(None) | (enrolment.left_at >= scope.end_at)))
        .label("active"),
        counted(left).label("left"),
    ).where(*mine)).one()
    reason = case((func.trim(enrolment.leaving_reason) == "", NO_REASON),
                  else_=func.trim(enrolment.leaving_reason))
    reasons = db.session.execute(
        select(reason.label("reason"), func.count().label("n")).where(*mine, left)
        .group_by("reason").order_by(func.count().desc(), "reason")).tuples().all()
    edges = scope.month_edges()
    monthly = [*((p, 0, n) for p, n in db.session.execute(
        select(bucket(enrolment.enrolled_at, edges), func.count()).where(*mine, joined)
        .group_by("period")).tuples()),
        *((p, 1, n) for p, n in db.session.execute(
            select(bucket(enrolment.left_at, edges), func.count()).where(*mine, left)
            .group_by("period")).tuples())]
    return Clients(int(row.enrolled), int(row.active), int(row.left),
                   [(r, int(n)) for r, n in reasons], per_month(scope, monthly, 2))


# --- Visits ---------------------------------------------------------------------------------

OUTCOMES = tuple(VisitOutcome)


@dataclass(frozen=True)
class Visits:
    done: int  # recorded visits
    missed: int  # found missed by the safety net
    by_outcome: dict[str, int]
    by_month: list[list[int]]  # per month: one count per outcome, then missed

    @property
    def planned(self) -> int:
        return self.done + self.missed

    @property
    def done_percent(self) -> float | None:
        return percent(self.done, self.planned)


def visits(scope: Scope) -> Visits:
    """Visits recorded and visits missed, on days within the range."""
    months = scope.months()
    # Counted by day first, then the days by month: a year's visits are a million rows, its
    # days a few hundred, and placing each row in its month cost more than the counting.
    daily = select(Visit.visited_on.label("day"), Visit.outcome, func.count().label("n")).where(
        Visit.client_id.in_(scope.client_ids()), *scope.on_days(Visit.visited_on)
    ).group_by(Visit.visited_on, Visit.outcome).subquery()
    rows = db.session.execute(
        select(bucket(daily.c.day, months), daily.c.outcome, func.sum(daily.c.n))
        .group_by("period", daily.c.outcome)).tuples().all()
    missed_daily = select(MissedVisit.due_on.label("day"), func.count().label("n")).where(
        MissedVisit.client_id.in_(scope.client_ids()), *scope.on_days(MissedVisit.due_on)
    ).group_by(MissedVisit.due_on).subquery()
    missed = db.session.execute(
        select(bucket(missed_daily.c.day, months), func.sum(missed_daily.c.n))
        .group_by("period")).tuples().all()
    by_outcome = {str(o): 0 for o in OUTCOMES}
    for _, outcome, count in rows:
        by_outcome[str(outcome)] += int(count)
    monthly = [(p, OUTCOMES.index(VisitOutcome(o)), n) for p, o, n in rows]
    monthly += [(p, len(OUTCOMES), n) for p, n in missed]
    return Visits(done=sum(by_outcome.values()), missed=sum(int(n) for _, n in missed),
                  by_outcome=by_outcome, by_month=per_month(scope, monthly, len(OUTCOMES) + 1))


# --- No-answers and how they ended ------------------------------------------------------------


@dataclass(frozen=True)
class NoAnswers:
    raised: int
    seen_again: int  # closed by the safety net when the client was seen on a later visit
    dealt_with: int  # resolved otherwise: by a contact or the team
    flagged_open: int  # past the programme's window, flagged to the coordinator, still open
    waiting: int  # still within the window
    median_hours_to_close: float | None


def no_answers(scope: Scope) -> NoAnswers:
    """Doors not answered (needs of category no_answer) raised in the range."""
    raised = [Need.category == NeedCategory.NO_ANSWER, Need.client_id.in_(scope.client_ids()),
              *scope.during(Need.created_at)]
    resolved = Need.status == NeedStatus.RESOLVED
    still_open = Need.status == NeedStatus.OPEN
    seen = Need.resolution.like(SEEN_AGAIN)

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(select(
        func.count().label("raised"), counted(resolved & seen).label("seen_again"),
        counted(resolved & ~seen).label("dealt_with"),
        counted(still_open & Need.flagged_at.is_not(None)).label("flagged_open"),
        counted(still_open & Need.flagged_at.is_(None)).label("waiting"),
    ).where(*raised)).one()
    closing = select(seconds_between(Need.created_at, Need.resolved_at).label("value")).where(
        *raised, resolved).subquery()
    median = db.session.execute(percentiles(closing, points=(50,))).one().p50
    return NoAnswers(int(row.raised), int(row.seen_again), int(row.dealt_with),
                     int(row.flagged_open), int(row.waiting), hours(median))


# --- Needs by category over time ------------------------------------------------------------


@dataclass(frozen=True)
class NeedsByCategory:
    categories: list[str]  # those with at least one need: concerns first, then the safety net
    totals: list[int]
    by_month: list[list[int]]  # per month: one count per category

    def safety_net(self, category: str) -> bool:
        return NeedCategory(category) in SAFETY_NET


def needs(scope: Scope) -> NeedsByCategory:
    """Needs raised in the range by category and month."""
    period = bucket(Need.created_at, scope.month_edges())
    rows = db.session.execute(
        select(period, Need.category, func.count())
        .where(Need.client_id.in_(scope.client_ids()), *scope.during(Need.created_at))
        .group_by("period", Need.category)).tuples().all()
    seen = {NeedCategory(c) for _, c, _ in rows}
    categories = [str(c) for c in (*CONCERNS, *SAFETY_NET) if c in seen]
    monthly = [(p, categories.index(str(c)), n) for p, c, n in rows]
    table = per_month(scope, monthly, len(categories))
    return NeedsByCategory(categories, [sum(m[i] for m in table) for i in range(len(categories))],
                           table)


# --- The whole dashboard ----------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    generated_at: datetime
    clients: Clients
    visits: Visits
    no_answers: NoAnswers
    needs: NeedsByCategory
    escalations: Escalations
    usefulness: list[Usefulness]
    sms: Texts
    wellbeing: Wellbeing
    satisfaction: Satisfaction
    cost: Cost


def build(scope: Scope, now: datetime | None = None, split: bool | None = None) -> Dashboard:
    """Every figure of the dashboard for the scope (see `dashboard_sections` for `split`)."""
    # Imported here: those modules build on this one's Scope.
    from outreach.reports import dashboard_escalations as esc
    from outreach.reports import dashboard_outcomes as out
    from outreach.reports import dashboard_sections

    # Two groups of about equal cost at national scale (see dashboard_sections).
    (done, texts, enrolled, unanswered, raised, (escalations, usefulness), wellbeing,
     satisfaction) = dashboard_sections.run(
        scope, (visits, out.texts, clients, no_answers, needs, esc.escalations),
        (out.wellbeing, out.satisfaction), split)
    return Dashboard(
        scope=scope, generated_at=now or utcnow(), clients=enrolled, visits=done,
        no_answers=unanswered, needs=raised, escalations=escalations, usefulness=usefulness,
        sms=texts, wellbeing=wellbeing, satisfaction=satisfaction,
        cost=out.cost(Decimal(scope.programme.cost_per_visit), done.done, texts.cost))
