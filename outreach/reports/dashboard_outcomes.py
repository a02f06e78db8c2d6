"""Dashboard figures about texts, how clients feel, and what the visits cost.

Texts are the programme's (Message.programme_id), made during the range; with a parish or round
chosen, only those about the filtered clients. A text counts as sent once the SMS provider took
it (sending, sent, delivered or undelivered); failed ones were refused and are counted apart.
Segments and estimated cost add up the sent ones.

Wellbeing: completed wellbeing measures (UCLA-3 and ONS-4) by local quarter of completion.
Before and after: clients enrolled more than 3 months before the end of the range whose first
completed wellbeing measure ever ("before", the baseline) is followed, at least 84 days later,
by one completed within the range; "after" is the latest such. UCLA-3 lower is better, as is
ONS anxiety; the other ONS items higher is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Numeric, and_, case, func, select

from outreach.db import db
from outreach.enums import InboundMeaning, MessageDirection, MessageStatus
from outreach.evaluation.models import ONS_ITEMS, MeasureKind, OutcomeMeasure
from outreach.messages.models import Message
from outreach.people.models import ProgrammeEnrolment
from outreach.reports.dashboard import Scope, per_month
from outreach.reports.ranges import percent
from outreach.reports.sql import (
    bucket,
    local_midnight,
    month_starts,
    on_postgresql,
    seconds_between,
)

SENT = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED)
AFTER_DAYS = 84
ENROLLED_MONTHS = 3
SCORES = ("ucla", *ONS_ITEMS)
LOWER_IS_BETTER = ("ucla", "ons_anxious")
SCORE_NAMES = {"ucla": "Loneliness (UCLA-3, 3–9)",
               "ons_life_satisfaction": "Life satisfaction (0–10)",
               "ons_worthwhile": "Things done are worthwhile (0–10)",
               "ons_happy": "Happy yesterday (0–10)", "ons_anxious": "Anxious yesterday (0–10)"}


def _counted(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _average(value):
    # PostgreSQL's avg of whole numbers is exact numeric already: a cast of every row first
    # cost a third of the wellbeing query. Typed Numeric so that both databases answer alike.
    return func.avg(value, type_=Numeric())


def _mean(value, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


# --- Texts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    sent: int
    delivered: int
    failed: int
    replies: int  # texts received
    opt_outs: int  # STOP and the like, received
    segments: int
    cost: Decimal  # estimated, of the sent texts
    by_month: list[list[int]]  # per month: [sent, delivered, replies]

    @property
    def delivered_percent(self) -> float | None:
        return percent(self.delivered, self.sent)


def texts(scope: Scope) -> Texts:
    """The programme's texts made during the range."""
    mine = [Message.programme_id == scope.programme.id, *scope.narrow(Message.client_id),
            *scope.during(Message.created_at)]
    # Counted by month and kind of text first (direction, status, meaning: a few dozen
    # groups), then the kinds added up: cheaper than testing every text for every figure.
    kinds = select(
        bucket(Message.created_at, scope.month_edges()), Message.direction, Message.status,
        Message.meaning, func.count().label("n"), func.sum(Message.segments).label("segments"),
        func.sum(Message.cost_estimate).label("cost"),
    ).where(*mine).group_by("period", Message.direction, Message.status, Message.meaning
                            ).subquery()
    outbound = kinds.c.direction == MessageDirection.OUTBOUND
    inbound = kinds.c.direction == MessageDirection.INBOUND
    sent = outbound & kinds.c.status.in_(SENT)
    delivered = outbound & (kinds.c.status == MessageStatus.DELIVERED)

    def added(condition, column=kinds.c.n):
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    rows = db.session.execute(select(
        kinds.c.period, added(sent).label("sent"), added(delivered).label("delivered"),
        added(outbound & (kinds.c.status == MessageStatus.FAILED)).label("failed"),
        added(inbound).label("replies"),
        added(inbound & (kinds.c.meaning == InboundMeaning.OPT_OUT)).label("opt_outs"),
        added(sent, kinds.c.segments).label("segments"), added(sent, kinds.c.cost).label("cost"),
    ).group_by(kinds.c.period)).all()

    def total(name):
        return sum(getattr(r, name) for r in rows)

    monthly = [(r[0], i, getattr(r, name)) for r in rows
               for i, name in enumerate(("sent", "delivered", "replies"))]
    return Texts(int(total("sent")), int(total("delivered")), int(total("failed")),
                 int(total("replies")), int(total("opt_outs")), int(total("segments")),
                 Decimal(str(total("cost"))).quantize(Decimal("0.01")),
                 per_month(scope, monthly, 3))


# --- Loneliness and wellbeing -------------------------------------------------------------------


def _ucla():
    m = OutcomeMeasure
    return m.ucla_companionship + m.ucla_left_out + m.ucla_isolated


def _score(name: str):
    return _ucla() if name == "ucla" else getattr(OutcomeMeasure, name)


@dataclass(frozen=True)
class Quarter:
    label: str
    measures: int
    means: dict[str, float | None]  # score name -> mean


@dataclass(frozen=True)
class Change:
    """One score, before and after, for the clients measured twice."""

    score: str
    mean_before: float | None
    mean_after: float | None
    better: int
    same: int
    worse: int


@dataclass(frozen=True)
class Wellbeing:
    quarters: list[Quarter]
    clients_compared: int
    changes: list[Change]


def _wellbeing_done(scope: Scope) -> list:
    return [OutcomeMeasure.programme_id == scope.programme.id,
            *scope.narrow(OutcomeMeasure.client_id),
            OutcomeMeasure.kind == MeasureKind.WELLBEING, OutcomeMeasure.completed_at.is_not(None),
            OutcomeMeasure.declined.is_(False)]


def wellbeing(scope: Scope) -> Wellbeing:
    """Mean scores by quarter, and the change for clients measured twice far enough apart."""
    quarters = month_starts(scope.start, scope.end, step=3)
    period = bucket(OutcomeMeasure.completed_at, [local_midnight(q, scope.zone)
                                                  for q in quarters])
    rows = {r[0]: r for r in db.session.execute(select(
        period, func.count().label("n"),
        *(_average(_score(s)).label(s) for s in SCORES),
    ).where(*_wellbeing_done(scope), *scope.during(OutcomeMeasure.completed_at))
        .group_by("period"))}
    by_quarter = []
    for index, first in enumerate(quarters[:-1]):
        row = rows.get(index)
        by_quarter.append(Quarter(f"{first.year} Q{(first.month - 1) // 3 + 1}",
                                  int(row.n) if row else 0,
                                  {s: _mean(getattr(row, s)) if row else None for s in SCORES}))
    compared, changes = _before_after(scope)
    return Wellbeing(by_quarter, compared, changes)


def _before_after(scope: Scope) -> tuple[int, list[Change]]:
    # Each client's first completed wellbeing measure up to the end of the range is "before";
    # the last is "after" when it falls in the range at least 84 days after the first (if the
    # last does not, no earlier one can).
    m = OutcomeMeasure
    enrolled_by = local_midnight(_months_before(scope.end, ENROLLED_MONTHS), scope.zone)
    long_enough = select(ProgrammeEnrolment.client_id).where(
        ProgrammeEnrolment.programme_id == scope.programme.id,
        ProgrammeEnrolment.enrolled_at < enrolled_by)
    measured = [*_wellbeing_done(scope), m.completed_at < scope.end_at,
                m.client_id.in_(long_enough)]
    per_client = (_ends_distinct_on if on_postgresql() else _ends_window)(measured)
    pairs = select(per_client).where(
        per_client.c.last_at >= scope.start_at,
        seconds_between(per_client.c.first_at, per_client.c.last_at) >= AFTER_DAYS * 86400
    ).subquery()
    columns = [func.count().label("n")]
    for s in SCORES:
        b, a = pairs.c[f"b_{s}"], pairs.c[f"a_{s}"]
        better, worse = (a < b, a > b) if s in LOWER_IS_BETTER else (a > b, a < b)
        both = and_(a.is_not(None), b.is_not(None))
        columns += [_average(case((both, b))).label(f"mb_{s}"),
                    _average(case((both, a))).label(f"ma_{s}"),
                    _counted(both & better).label(f"better_{s}"),
                    _counted(both & (a == b)).label(f"same_{s}"),
                    _counted(both & worse).label(f"worse_{s}")]
    row = db.session.execute(select(*columns)).one()._mapping
    return int(row["n"]), [Change(s, _mean(row[f"mb_{s}"]), _mean(row[f"ma_{s}"]),
                                  int(row[f"better_{s}"]), int(row[f"same_{s}"]),
                                  int(row[f"worse_{s}"])) for s in SCORES]


def _ends_window(measured: list):
    """Per client: first_at, last_at and the scores then (b_*, a_*), in one ordered pass with
    window functions (SQLite: no DISTINCT ON)."""
    m = OutcomeMeasure
    in_order = {"partition_by": m.client_id, "order_by": (m.completed_at, m.id)}
    # Both over the one window, so the database sorts once: the first row, and the last one
    # (with nothing after it).
    ranked = select(
        m.client_id, m.completed_at, *(_score(s).label(s) for s in SCORES),
        func.row_number().over(**in_order).label("rank"),
        func.lead(m.id).over(**in_order).label("next_id"),
    ).where(*measured).subquery()
    first, last = ranked.c.rank == 1, ranked.c.next_id.is_(None)

    def at(condition, column):
        return func.max(case((condition, column)))

    return select(
        at(first, ranked.c.completed_at).label("first_at"),
        at(last, ranked.c.completed_at).label("last_at"),
        *(at(first, ranked.c[s]).label(f"b_{s}") for s in SCORES),
        *(at(last, ranked.c[s]).label(f"a_{s}") for s in SCORES),
    ).where(first | last).group_by(ranked.c.client_id).subquery()  # middle ones left out


def _ends_distinct_on(measured: list):
    """The same as `_ends_window` on PostgreSQL: DISTINCT ON reads each client's first (and,
    backwards, last) measure straight off the index of migration 0010, with no sort or window:
    a fifth cheaper."""
    m = OutcomeMeasure

    def end(*order):
        return select(m.client_id, m.completed_at, *(_score(s).label(s) for s in SCORES)).where(
            *measured).distinct(m.client_id).order_by(*order).subquery()

    first = end(m.client_id, m.completed_at, m.id)
    last = end(m.client_id.desc(), m.completed_at.desc(), m.id.desc())
    return select(
        first.c.completed_at.label("first_at"), last.c.completed_at.label("last_at"),
        *(first.c[s].label(f"b_{s}") for s in SCORES),
        *(last.c[s].label(f"a_{s}") for s in SCORES),
    ).join_from(first, last, first.c.client_id == last.c.client_id).subquery()


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- Satisfaction -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    answers: dict[int, int]  # 1..5 -> how many answered so
    mean: float | None

    @property
    def answered(self) -> int:
        return sum(self.answers.values())


def satisfaction(scope: Scope) -> Satisfaction:
    """Answers to the satisfaction question given during the range."""
    m = OutcomeMeasure
    row = db.session.execute(select(
        *(_counted(m.satisfaction == n).label(f"s{n}") for n in range(1, 6)),
        _average(m.satisfaction).label("mean"),
    ).where(m.programme_id == scope.programme.id, *scope.narrow(m.client_id),
            m.kind == MeasureKind.SATISFACTION, m.satisfaction.is_not(None),
            *scope.during(m.completed_at))).one()
    return Satisfaction({n: int(row._mapping[f"s{n}"]) for n in range(1, 6)}, _mean(row.mean))


# --- Cost -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    per_visit: Decimal  # the programme's setting
    visits: int
    visits_cost: Decimal
    texts_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.visits_cost + self.texts_cost

    @property
    def per_visit_with_texts(self) -> Decimal | None:
        return (self.total / self.visits).quantize(Decimal("0.01")) if self.visits else None


def cost(per_visit: Decimal, visits: int, texts_cost: Decimal) -> Cost:
    """What the visits done cost at the programme's rate, with the texts on top."""
    return Cost(per_visit, visits, (per_visit * visits).quantize(Decimal("0.01")), texts_cost)
