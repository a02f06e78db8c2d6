"""Which clients are due a visit on a given day, and who walks the round that day.

Dates here are calendar dates in the programme's time zone: a visit at 00:30 BST on 1 April
belongs to 1 April even though it is still 31 March in UTC.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from outreach.auth.models import User
from outreach.care.models import Appointment, Prescription
from outreach.db import db
from outreach.enums import (
    SYSTEM_CATEGORIES,
    NeedStatus,
    PrescriptionStatus,
    VisitFrequency,
)
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.rounds.models import Round, RoundCover
from outreach.visits.models import Visit, VisitPause, VisitPlan

REMINDER_DAYS = 7


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date of an aware `moment` in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_day_bounds(on: date, timezone: str, days: int = 1) -> tuple[datetime, datetime]:
    """The start and end, in UTC, of `days` local days from `on` (a day may be 23 or 25 hours)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(on, time.min, tzinfo=zone)
    end = datetime.combine(on + timedelta(days=days), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def is_due(plan: VisitPlan, on: date, round_weekdays: list[int] | None,
           pauses: list[VisitPause] = ()) -> bool:
    """Is a visit due on `on` under this plan, given the round's days and planned pauses?"""
    if on < plan.starts_on or (plan.ends_on is not None and on > plan.ends_on):
        return False
    if any(p.starts_on <= on <= p.ends_on for p in pauses):
        return False
    weekday = on.isoweekday()
    if plan.frequency == VisitFrequency.DAILY:
        return weekday in round_weekdays if round_weekdays else True
    days = plan.weekday_list or [plan.starts_on.isoweekday()]
    if plan.frequency == VisitFrequency.WEEKDAYS:
        return weekday in days
    if weekday != days[0]:
        return False
    if plan.frequency == VisitFrequency.WEEKLY:
        return True
    # Fortnightly: every other week, counted in whole weeks from the plan's first week.
    first_monday = plan.starts_on - timedelta(days=plan.starts_on.isoweekday() - 1)
    return ((on - first_monday).days // 7) % 2 == 0


def visitor_on(round_: Round, on: date) -> User | None:
    """Who walks the round on `on`: the cover visitor if one is set, else the round's own."""
    cover = db.session.scalar(select(RoundCover).where(
        RoundCover.round_id == round_.id, RoundCover.starts_on <= on, RoundCover.ends_on >= on,
    ).order_by(RoundCover.id.desc()).limit(1))
    return cover.visitor if cover is not None else round_.visitor


def rounds_walked_by(user: User, on: date):
    """A subquery of the ids of rounds `user` walks on `on` (their own, or ones they cover)."""
    return rounds_walked(user.id, on)


def rounds_walked(user_id, on):
    """`rounds_walked_by` for a user id; both may be bind parameters, for a statement built
    once and run many times."""
    covered_by_other = select(RoundCover.round_id).where(
        RoundCover.starts_on <= on, RoundCover.ends_on >= on, RoundCover.visitor_id != user_id)
    covering = select(RoundCover.round_id).where(
        RoundCover.starts_on <= on, RoundCover.ends_on >= on, RoundCover.visitor_id == user_id)
    return select(Round.id).where(or_(
        and_(Round.visitor_id == user_id, Round.id.not_in(covered_by_other)),
        Round.id.in_(covering)))


@dataclass
class DueClient:
    """One stop on the day's round, with everything the visitor needs at the door."""

    client: Client
    plan: VisitPlan
    visit: Visit | None = None
    prescriptions: list[Prescription] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    open_needs: list[Need] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.visit is not None


def due_clients(round_: Round, on: date) -> list[DueClient]:
    """The clients due on `on` on this round, in walking order, with what to deliver and ask."""
    timezone = round_.programme.timezone
    rows = db.session.execute(
        select(Client, VisitPlan).join(VisitPlan, VisitPlan.client_id == Client.id)
        .where(Client.round_id == round_.id)
        .order_by(Client.walk_order.is_(None), Client.walk_order, Client.id)
    ).all()
    if not rows:
        return []
    ids = [client.id for client, _ in rows]
    pauses = _by_client(db.session.scalars(select(VisitPause).where(
        VisitPause.client_id.in_(ids), VisitPause.starts_on <= on, VisitPause.ends_on >= on)))
    weekdays = round_.weekday_list
    due = [DueClient(client, plan) for client, plan in rows
           if is_due(plan, on, weekdays, pauses.get(client.id, []))]
    if not due:
        return []
    ids = [d.client.id for d in due]
    start, end = local_day_bounds(on, timezone)
    _, reminder_end = local_day_bounds(on, timezone, REMINDER_DAYS + 1)
    visits = {v.client_id: v for v in db.session.scalars(select(Visit).where(
        Visit.client_id.in_(ids), Visit.visited_on == on).order_by(Visit.visited_at))}
    prescriptions = _by_client(db.session.scalars(select(Prescription).where(
        Prescription.client_id.in_(ids),
        Prescription.status.in_([PrescriptionStatus.READY, PrescriptionStatus.OUT_FOR_DELIVERY]),
    ).order_by(Prescription.id)))
    appointments = _by_client(db.session.scalars(select(Appointment).where(
        Appointment.client_id.in_(ids), Appointment.cancelled_at.is_(None),
        Appointment.starts_at >= start, Appointment.starts_at < reminder_end,
    ).order_by(Appointment.starts_at)))
    needs = _by_client(db.session.scalars(select(Need).where(
        Need.client_id.in_(ids), Need.status == NeedStatus.OPEN,
        Need.category.not_in(SYSTEM_CATEGORIES),
    ).order_by(Need.id)))
    for stop in due:
        cid = stop.client.id
        stop.visit = visits.get(cid)
        stop.prescriptions = prescriptions.get(cid, [])
        stop.appointments = appointments.get(cid, [])
        stop.open_needs = needs.get(cid, [])
    return due


def _by_client(items) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for item in items:
        grouped[item.client_id].append(item)
    return grouped
