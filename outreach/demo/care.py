"""The Call & Check part of `outreach seed-demo`: plans, pauses, appointments, prescriptions
and two weeks of visits, so a new user can walk a round and see a dashboard at once.

Everything here is drawn from its own seeded generator, so it comes out the same on every
machine; only the dates move with the day the demo is loaded (appointments are always in the
coming week, visits in the past two). Visits are written to the models directly, as a visitor's
phone would have recorded them.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from outreach.care.models import Appointment, Prescription
from outreach.db import db, utcnow
from outreach.demo import data
from outreach.enums import (
    EnrolmentStatus,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
    PrescriptionStatus,
    VisitFrequency,
    VisitOutcome,
)
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.visits.models import Visit, VisitPause, VisitPlan
from outreach.visits.schedule import is_due

SEED = 2027
HISTORY_DAYS = 14
ZONE = "Europe/Jersey"


def present(operator: Organisation) -> bool:
    """Has the Call & Check part already been loaded for this demo operator?"""
    return db.session.scalar(select(VisitPlan.id).join(Client).join(Programme).where(
        Programme.operator_id == operator.id).limit(1)) is not None


def seed(operator: Organisation) -> dict[str, int]:
    """Add plans, pauses, appointments, prescriptions and recent visits to the demo clients."""
    rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret  # nosec B311
    programme = db.session.scalar(select(Programme).where(
        Programme.operator_id == operator.id, Programme.kind == "call_and_check"))
    # Only the clients still enrolled: former ones (demo_history) have no plans or queues.
    clients = db.session.scalars(select(Client).where(
        Client.programme_id == programme.id, Client.enrolments.any(
            (ProgrammeEnrolment.programme_id == programme.id)
            & (ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE))).order_by(Client.id)).all()
    rounds = {r.id: r for r in db.session.scalars(select(Round).where(
        Round.programme_id == programme.id))}
    pharmacy = db.session.scalar(select(Organisation).where(
        Organisation.name == data.ORGANISATIONS["pharmacy"][0]))
    today = utcnow().astimezone(ZoneInfo(ZONE)).date()

    plans = _plans(rng, clients, rounds)
    pauses = _pauses(rng, clients, plans, today)
    appointments = _appointments(rng, clients, today)
    ready = _ready_prescriptions(rng, clients, pharmacy)
    visits, needs, delivered = _visits(rng, clients, rounds, plans, pauses, pharmacy, today)
    db.session.flush()
    return {"visit plans": len(plans), "pauses": len(pauses), "appointments": appointments,
            "prescriptions": ready + delivered, "visits": visits, "needs": needs}


def _plans(rng: random.Random, clients, rounds) -> dict[int, VisitPlan]:
    kinds = [kind for kind, count in data.PLAN_MIX.items() for _ in range(count)]
    # More clients than the mix names (an enrolment added later) are visited daily.
    kinds += ["daily"] * max(0, len(clients) - len(kinds))
    rng.shuffle(kinds)
    plans = {}
    for client, kind in zip(clients, kinds, strict=False):
        days = rounds[client.round_id].weekday_list if client.round_id else [1, 2, 3, 4, 5]
        if kind == VisitFrequency.WEEKDAYS:
            chosen = sorted(rng.sample(days, min(len(days), rng.choice((2, 3)))))
        elif kind in (VisitFrequency.WEEKLY, VisitFrequency.FORTNIGHTLY):
            chosen = [rng.choice(days)]
        else:
            chosen = []
        plan = VisitPlan(client_id=client.id, frequency=VisitFrequency(kind),
                         weekdays=",".join(map(str, chosen)),
                         starts_on=date.fromisoformat(data.PLANS_START))
        db.session.add(plan)
        plans[client.id] = plan
    return plans


def _pauses(rng: random.Random, clients, plans, today: date) -> dict[int, VisitPause]:
    """One client in hospital now, another going on holiday soon."""
    daily = [c for c in clients if plans[c.id].frequency == VisitFrequency.DAILY]
    in_hospital, on_holiday = rng.sample(daily, 2)
    pauses = {
        in_hospital.id: VisitPause(client_id=in_hospital.id, starts_on=today - timedelta(days=3),
                                   ends_on=today + timedelta(days=4),
                                   reason="In hospital after a hip operation."),
        on_holiday.id: VisitPause(client_id=on_holiday.id, starts_on=today + timedelta(days=10),
                                  ends_on=today + timedelta(days=17),
                                  reason="Staying with her son in Guernsey."),
    }
    db.session.add_all(pauses.values())
    return pauses


def _local(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _appointments(rng: random.Random, clients, today: date) -> int:
    """About a third of the clients have an appointment in the coming week."""
    chosen = rng.sample(clients, round(len(clients) / 3))
    for client in chosen:
        with_whom, place = rng.choice(data.APPOINTMENTS)
        on = today + timedelta(days=rng.randint(1, 7))
        at = time(rng.randint(9, 15), rng.choice((0, 15, 30, 45)))
        db.session.add(Appointment(client_id=client.id, starts_at=_local(on, at),
                                   with_whom=with_whom, place=place,
                                   transport_needed=rng.random() < 0.3))
    return len(chosen)


def _shares_with(client: Client, pharmacy: Organisation) -> bool:
    from outreach.consent.services import may_share_with

    return may_share_with(client, organisation=pharmacy)


def _ready_prescriptions(rng: random.Random, clients, pharmacy: Organisation) -> int:
    """About a quarter of the clients have a prescription waiting at the pharmacy; only those
    who agreed to share with the pharmacy, so it can see and update them."""
    sharing = [c for c in clients if _shares_with(c, pharmacy)]
    chosen = rng.sample(sharing, min(len(sharing), round(len(clients) / 4)))
    now = utcnow()
    for client in chosen:
        db.session.add(Prescription(
            client_id=client.id, pharmacy_id=pharmacy.id,
            description=rng.choice(data.PRESCRIPTIONS), status=PrescriptionStatus.READY,
            ready_at=now - timedelta(hours=rng.randint(2, 30))))
    return len(chosen)


def _visits(rng, clients, rounds, plans, pauses, pharmacy, today):
    """Every visit due in the last two weeks (not today: that round is still to walk), mostly
    all well, some concerns passed on, one recent no-answer, and two visits left unrecorded
    so the safety net has something to find."""
    due = []
    for offset in range(HISTORY_DAYS, 0, -1):
        on = today - timedelta(days=offset)
        for client in clients:
            round_ = rounds.get(client.round_id)
            pause = [pauses[client.id]] if client.id in pauses else []
            if round_ and is_due(plans[client.id], on, round_.weekday_list, pause):
                due.append((on, client, round_))
    skipped = set(rng.sample(range(len(due) - 40, len(due)), 2)) if len(due) > 40 else set()
    no_answer = max(set(range(len(due))) - skipped) if due else None
    concerns = rng.sample(sorted(set(range(len(due))) - skipped - {no_answer}),
                          min(len(data.CONCERNS), len(due)))
    delivers = set(rng.sample(sorted(set(range(len(due))) - skipped - {no_answer}
                                     - set(concerns)), min(4, len(due))))
    # Needs and prescriptions name their visit by id only, so they go in after the visits.
    after: list = []
    needs = delivered = 0
    for index, (on, client, round_) in enumerate(due):
        if index in skipped:
            continue
        outcome = VisitOutcome.SEEN_WELL
        note = rng.choice(data.VISIT_NOTES)
        if index == no_answer:
            outcome, note = VisitOutcome.NO_ANSWER, "No answer at the door; curtains closed."
        elif index in concerns:
            outcome, note = VisitOutcome.SEEN_CONCERN, ""
        # Along the round in walking order, about eight minutes a stop.
        at = (datetime.combine(on, time(9, 30))
              + timedelta(minutes=8 * (client.walk_order or 1))).time()
        visit = Visit(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                      client_id=client.id, visitor_id=round_.visitor_id, round_id=round_.id,
                      visited_at=_local(on, at), visited_on=on, outcome=outcome, answers={},
                      prescription_delivered=index in delivers, note=note,
                      recorded_at=_local(on, at))
        db.session.add(visit)
        if index in concerns:
            category, severity, description = data.CONCERNS[concerns.index(index)]
            # Older concerns were dealt with; the last few days' are still open.
            settled = (today - on).days > 5
            after.append(Need(
                client_id=client.id, category=category, severity=severity,
                source=NeedSource.VISIT, description=description, visit_id=visit.id,
                raised_by_id=round_.visitor_id, created_at=visit.visited_at,
                status=NeedStatus.RESOLVED if settled else NeedStatus.OPEN,
                resolved_at=visit.visited_at + timedelta(days=1) if settled else None,
                resolution="Passed on and sorted out." if settled else ""))
            needs += 1
        if index == no_answer:
            # What recording it through the app would have raised: the no-answer protocol's
            # urgent need, old enough that `outreach tick` puts it before the coordinator.
            after.append(Need(
                client_id=client.id, category=NeedCategory.NO_ANSWER,
                severity=NeedSeverity.URGENT, source=NeedSource.SYSTEM,
                description=f"No answer at the door on {on:%A %d %B}.", visit_id=visit.id,
                raised_by_id=round_.visitor_id, created_at=visit.visited_at))
            needs += 1
        if index in delivers:
            after.append(Prescription(
                client_id=client.id, pharmacy_id=pharmacy.id,
                description=rng.choice(data.PRESCRIPTIONS),
                status=PrescriptionStatus.DELIVERED, ready_at=visit.visited_at
                - timedelta(days=1), delivered_at=visit.visited_at, visit_id=visit.id))
            delivered += 1
    db.session.flush()
    db.session.add_all(after)
    return len(due) - len(skipped), needs, delivered
