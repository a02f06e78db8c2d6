"""A year of history for `outreach seed-demo`, so the programme dashboard and reports have
something true to show: who joined and left, every visit the plans called for (and the few
missed), the concerns raised and how their escalations went, the check-in texts and their
replies, and the wellbeing and satisfaction measures taken along the way.

The year runs from 365 days before the day the demo is loaded up to where demo_care's two
recent weeks begin, so the two meet without a client seen twice on one day. It is drawn from its
own seeded generator; rows nobody acts on are inserted in bulk, while every concern is routed
and played forward by the real escalation services with the clock set to when each step
happened, so times to acknowledge and resolve (and the SLA breaches) are the services' own.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from outreach.auth.models import User
from outreach.care.models import Prescription
from outreach.consent.models import Consent
from outreach.db import clock_setting, db, set_clock, utcnow
from outreach.demo import care as demo_care
from outreach.demo import data
from outreach.demo import escalations as demo_escalations
from outreach.enums import (
    ESCALATION_LIVE,
    ConsentPurpose,
    EnrolmentStatus,
    EscalationOutcome,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
    PrescriptionStatus,
    VisitFrequency,
    VisitOutcome,
)
from outreach.escalations import services
from outreach.escalations.jobs import watch_slas
from outreach.escalations.models import Escalation
from outreach.needs.models import Need
from outreach.needs.services import close_need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.visits.models import MissedVisit, Visit, VisitPlan
from outreach.visits.safety_net import day as day_words
from outreach.visits.schedule import is_due

SEED = 2028
DAYS = 365  # how far back the history reaches; tests that need no year shorten it
JOINERS = 8  # current clients who joined during the year
ZONE = ZoneInfo(demo_care.ZONE)
# Of the visits due, roughly: not recorded at all, door not answered, away, turned away,
# a concern passed on; the rest seen and well.
OUTCOME_SHARES = (("missed", 0.003), ("no_answer", 0.006), ("away", 0.008),
                  ("declined", 0.004), ("concern", 0.018))
NOTES = {VisitOutcome.NO_ANSWER: "No answer at the door.",
         VisitOutcome.AWAY: "Neighbour says she is at her daughter's for the day.",
         VisitOutcome.DECLINED: "Did not want a visit today; said all was well."}


@dataclass
class Entry:
    """One client on the Call & Check programme during the year, with their plan and round."""

    client: Client
    plan: VisitPlan
    round: Round
    walk: int
    texts: bool = False
    seen: list[datetime] = field(default_factory=list)  # when seen at the door, in order


def local(on: date, at: time) -> datetime:
    """A programme-local wall time as an aware UTC datetime."""
    return datetime.combine(on, at, tzinfo=ZONE).astimezone(UTC)


def present(operator: Organisation) -> bool:
    """Has the year of history been loaded for this demo operator (it has former clients)?"""
    return db.session.scalar(
        select(ProgrammeEnrolment.id).join(Programme, Programme.id
                                           == ProgrammeEnrolment.programme_id)
        .where(Programme.operator_id == operator.id,
               ProgrammeEnrolment.status == EnrolmentStatus.LEFT).limit(1)) is not None


def seed(operator: Organisation) -> dict[str, int]:
    """Add the year before demo_care's recent weeks; the caller commits."""
    from outreach.demo import history_texts as demo_history_texts
    rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret  # nosec B311
    programme = db.session.scalar(select(Programme).where(
        Programme.operator_id == operator.id, Programme.kind == "call_and_check"))
    now = utcnow()
    today = now.astimezone(ZONE).date()
    first, end = today - timedelta(days=DAYS), today - timedelta(days=demo_care.HISTORY_DAYS)
    entries = _redate(rng, programme, today)
    joined = sum(e.plan.starts_on > first for e in entries)
    entries += _former(rng, programme, today)
    logins = [f"{local_part}@{demo_escalations.DOMAIN}"
              for local_part in ("coordinator", "gp", "pharmacy", "foodbank")]
    # Who acts on an organisation's escalations: its one demo login (the coordinator for the
    # operator and for partners with none).
    staff = {u.organisation_id: u for u in db.session.scalars(
        select(User).where(User.email.in_(logins)).order_by(User.id))}
    coordinator = staff[operator.id]
    fixed = clock_setting()
    try:
        visits, needs, missed = _visits(rng, entries, first, end)
        needs += demo_history_texts.seed(rng, programme, [e for e in entries if e.texts],
                                         first, end, today)
        demo_history_texts.opt_out_contact(programme, entries)
        measures = demo_history_texts.measures(rng, entries, end)
        escalations = _escalate(rng, needs, entries, staff, coordinator, now)
        demo_history_texts.settle([n.id for n in needs], now)
    finally:
        set_clock(fixed)
    db.session.flush()
    return {"days of history": DAYS, "clients who joined in the year": joined,
            "former clients": len(data.FORMER_CLIENTS), "visits in the year": visits,
            "missed visits": missed, "needs in the year": len(needs),
            "escalations in the year": escalations, "outcome measures": measures}


# --- Who was enrolled when -----------------------------------------------------------------


def _redate(rng: random.Random, programme: Programme, today: date) -> list[Entry]:
    """Date the current clients' enrolments from the load day: most joined before the year,
    a few during it. Consents move with their enrolment, plans start on the day they joined."""
    rows = db.session.execute(
        select(Client, ProgrammeEnrolment, VisitPlan)
        .join(ProgrammeEnrolment, (ProgrammeEnrolment.client_id == Client.id)
              & (ProgrammeEnrolment.programme_id == programme.id))
        .join(VisitPlan, VisitPlan.client_id == Client.id)
        .where(ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Client.id)).tuples().all()
    consents = {}
    for consent in db.session.scalars(select(Consent).where(
            Consent.client_id.in_([c.id for c, _, _ in rows])).order_by(Consent.id)):
        consents.setdefault(consent.client_id, []).append(consent)
    # Joiners have nothing withdrawn (which would fall after today) and no check-in texts (so
    # the texts cover the whole year).
    eligible = [c.id for c, _, plan in rows if not plan.sms_check_ins
                and all(k.withdrawn_at is None for k in consents.get(c.id, []))]
    joiners = dict(zip(rng.sample(eligible, JOINERS),
                       sorted(rng.sample(range(30, 330), JOINERS)), strict=True))
    rounds = {r.id: r for r in db.session.scalars(select(Round).where(
        Round.programme_id == programme.id))}
    entries = []
    for client, enrolment, plan in rows:
        days_ago = joiners.get(client.id) or rng.randint(380, 720)
        # Signed up in the morning, before the round reached them.
        joined_at = local(today - timedelta(days=days_ago), time(8, 0)) + timedelta(
            minutes=rng.randrange(80))
        shift = joined_at - enrolment.enrolled_at
        enrolment.enrolled_at = joined_at
        for consent in consents.get(client.id, []):
            consent.given_at += shift
            if consent.withdrawn_at is not None:
                consent.withdrawn_at += shift
        plan.starts_on = joined_at.astimezone(ZONE).date()
        entries.append(Entry(client, plan, rounds[client.round_id], client.walk_order or 1,
                             texts=plan.sms_check_ins))
    return entries


def _former(rng: random.Random, programme: Programme, today: date) -> list[Entry]:
    """The clients who left during the year, with the plans they had and why they left."""
    from outreach.consent.services import record_consent
    from outreach.demo import seed as demo
    from outreach.people.services import create_client

    admin = db.session.scalar(select(User).where(User.email == f"admin@{demo_escalations.DOMAIN}"))
    gp = db.session.scalar(select(Organisation).where(
        Organisation.name == data.ORGANISATIONS["gp"][0]))
    rounds = {r.name: r for r in db.session.scalars(select(Round).where(
        Round.programme_id == programme.id))}
    numbers = _free_numbers(rng)
    entries = []
    for (name, language, _sex, parish, born, joined, left, reason,
         texts) in data.FORMER_CLIENTS:
        person = {"language": language, "surnames": (name.split(" ", 1)[1],) * 2}
        client = create_client(admin, {
            "programme_id": programme.id, "parish": parish, "full_name": name,
            "date_of_birth": date.fromisoformat(born), "phone": next(numbers),
            "address": f"{rng.randint(50, 90)} {rng.choice(data.STREETS[parish])}, {parish}",
            "preferred_language": language, "lives_alone": True, "gp_practice_id": gp.id,
        }, contacts=demo._contacts(rng, person, numbers)[:1] or [])
        joined_at = local(today - timedelta(days=joined), time(8, 30))
        left_on = today - timedelta(days=left)
        enrolment = client.enrolments[0]
        enrolment.enrolled_at = joined_at
        enrolment.status, enrolment.left_at = EnrolmentStatus.LEFT, local(left_on, time(16, 0))
        enrolment.leaving_reason = reason
        for item in ([{"purpose": ConsentPurpose.TAKE_PART},
                      {"purpose": ConsentPurpose.SHARE_INFORMATION, "organisation_id": gp.id}]
                     + [{"purpose": ConsentPurpose.SHARE_INFORMATION, "contact_id": k.id}
                        for k in client.contacts]):
            record_consent(None, client, dict(item, given_at=joined_at))
        plan = VisitPlan(client_id=client.id, frequency=VisitFrequency.DAILY, weekdays="",
                         starts_on=joined_at.astimezone(ZONE).date(),
                         ends_on=left_on - timedelta(days=1))
        db.session.add(plan)
        entries.append(Entry(client, plan, rounds[parish], rng.randint(1, 12), texts=texts))
    db.session.flush()
    return entries


def _free_numbers(rng: random.Random):
    """Drama-range numbers no demo person or organisation has yet, in a shuffled order."""
    from outreach.people import phones
    from outreach.people.models import Contact

    taken = {p for model in (Client, Contact, User, Organisation)
             for p in db.session.scalars(select(model.phone)) if p}
    free = [n for n in (phones.normalise(f"{phones.FICTIONAL_PREFIX}{e:03d}")
                        for e in range(1000)) if n not in taken]
    rng.shuffle(free)
    return iter(free)


# --- Visits --------------------------------------------------------------------------------


def _outcome(rng: random.Random) -> str:
    draw = rng.random()
    for outcome, share in OUTCOME_SHARES:
        if draw < share:
            return outcome
        draw -= share
    return "seen_well"


def _visits(rng: random.Random, entries: list[Entry], first: date,
            end: date) -> tuple[int, list[Need], int]:
    """Every visit due in the year under each plan, recorded as the phones would have, with
    the needs they raised and the missed ones the safety net found at the end of the day."""
    pharmacy = db.session.scalar(select(Organisation).where(
        Organisation.name == data.ORGANISATIONS["pharmacy"][0]))
    sharing = {e.client.id for e in entries if demo_care._shares_with(e.client, pharmacy)}
    taken = set(db.session.execute(select(Visit.client_id, Visit.visited_on).where(
        Visit.visited_on >= first, Visit.visited_on < end)).tuples())
    rows, needs, extras, missed = [], [], [], 0
    on = first
    while on < end:
        for entry in entries:
            client, round_ = entry.client, entry.round
            if (client.id, on) in taken or not is_due(entry.plan, on, round_.weekday_list):
                continue
            outcome = _outcome(rng)
            # Along the round in walking order, about eight minutes a stop.
            at = local(on, time(9, 30)) + timedelta(minutes=8 * entry.walk + rng.randint(0, 6))
            if outcome == "missed":
                detected = local(on + timedelta(days=1), time(0, 10))
                extras.append(MissedVisit(client_id=client.id, round_id=round_.id, due_on=on,
                                          detected_at=detected))
                needs.append(Need(
                    client_id=client.id, category=NeedCategory.MISSED_VISIT,
                    severity=NeedSeverity.SOON, source=NeedSource.SYSTEM,
                    description=f"The visit due on {day_words(on)} ({round_.name}) was not "
                                "recorded.", created_at=detected, updated_at=detected))
                missed += 1
                continue
            visit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            kind = (VisitOutcome.SEEN_CONCERN if outcome == "concern" else
                    VisitOutcome(outcome) if outcome in NOTES else VisitOutcome.SEEN_WELL)
            note = NOTES.get(kind) or (rng.choice(data.VISIT_NOTES)
                                       if kind == VisitOutcome.SEEN_WELL else "")
            seen = kind in (VisitOutcome.SEEN_WELL, VisitOutcome.SEEN_CONCERN)
            delivers = seen and client.id in sharing and rng.random() < 0.07
            rows.append({"id": visit_id, "client_id": client.id, "visitor_id": round_.visitor_id,
                         "round_id": round_.id, "visited_at": at, "visited_on": on,
                         "outcome": kind, "answers": {}, "prescription_delivered": delivers,
                         "appointment_reminded": seen and rng.random() < 0.03, "note": note,
                         "recorded_at": at})
            if seen:
                entry.seen.append(at)
            if delivers:
                extras.append(Prescription(
                    client_id=client.id, pharmacy_id=pharmacy.id,
                    description=rng.choice(data.PRESCRIPTIONS),
                    status=PrescriptionStatus.DELIVERED, ready_at=at - timedelta(days=1),
                    delivered_at=at, visit_id=visit_id))
            if kind == VisitOutcome.SEEN_CONCERN:
                category, severity, said = rng.choice(data.YEAR_CONCERNS)
                needs.append(Need(client_id=client.id, category=NeedCategory(category),
                                  severity=NeedSeverity(severity),
                                  source=NeedSource.VISIT, description=said, visit_id=visit_id,
                                  raised_by_id=round_.visitor_id, created_at=at, updated_at=at))
            elif kind == VisitOutcome.NO_ANSWER:
                needs.append(Need(
                    client_id=client.id, category=NeedCategory.NO_ANSWER,
                    severity=NeedSeverity.URGENT, source=NeedSource.SYSTEM,
                    description=f"No answer at the door on {on:%A %d %B}.", visit_id=visit_id,
                    raised_by_id=round_.visitor_id, created_at=at, updated_at=at))
        on += timedelta(days=1)
    if rows:
        db.session.execute(insert(Visit), rows)
    db.session.add_all(extras + needs)
    db.session.flush()
    return len(rows), needs, missed


# --- Escalations, played forward --------------------------------------------------------------


@dataclass
class Player:
    """Takes the year's escalations through their lives; nothing is done at or after `now`, so
    the last weeks' concerns may still be with their recipients."""

    rng: random.Random
    staff: dict
    coordinator: User
    now: datetime
    made: int = 0

    def when(self, at: datetime, *, office: bool = True) -> datetime | None:
        """`at`, moved into the next working hours for an organisation; None if not yet."""
        wall = at.astimezone(ZONE)
        if office and not 8 <= wall.hour < 18:
            day = wall.date() + timedelta(days=wall.hour >= 18)
            at = local(day, time(8, self.rng.randint(5, 55)))
        return at if at < self.now - timedelta(minutes=30) else None


def _escalate(rng: random.Random, needs: list[Need], entries: list[Entry], staff: dict,
              coordinator: User, now: datetime) -> int:
    """Route each need of the year when it was raised and take its escalations to the end."""
    seen = {e.client.id: e.seen for e in entries}
    player = Player(rng, staff, coordinator, now)
    # A recent concern still being dealt with would swallow an older one of the same kind
    # (routing joins a live escalation): such an older one was sorted out by telephone.
    live = set(db.session.execute(select(Escalation.client_id, Escalation.category).where(
        Escalation.status.in_(ESCALATION_LIVE))).tuples())
    for need in sorted(needs, key=lambda n: (n.created_at, n.id)):
        set_clock(need.created_at)
        if (need.client_id, need.category) in live:
            close_need(need, need.created_at + timedelta(hours=3),
                       "The coordinator rang and sorted it out.", by="coordinator", via="web")
            continue
        escalations = services.route_need(need)
        player.made += len(escalations)
        if need.category in (NeedCategory.NO_ANSWER, NeedCategory.NO_RESPONSE):
            _unanswered(player, need, escalations, seen[need.client_id])
            if need.status == NeedStatus.OPEN:
                # Still open: the safety net flagged it once the no-answer window had passed.
                need.flagged_at = need.created_at + timedelta(minutes=120)
        else:
            for escalation in escalations:
                _see_through(player, need, escalation)
    return player.made


def _unanswered(player: Player, need: Need, escalations: list[Escalation],
                seen: list[datetime]) -> None:
    """A door or a text not answered ends one of three ways: the client was seen on a later
    visit, a contact went round, or the coordinator was flagged and followed it up."""
    rng = player.rng
    later = next((at for at in seen if at > need.created_at), None)
    contacts = [e for e in escalations if e.contact_id is not None]
    way = rng.choices(("seen", "contact", "flagged"), weights=(5, 3, 2))[0]
    if way == "contact" and contacts:
        at = player.when(need.created_at + timedelta(minutes=rng.randint(10, 50)), office=False)
        if at is not None:
            _acknowledge(None, contacts[0], at)
            done = player.when(at + timedelta(hours=rng.randint(1, 3)), office=False)
            for escalation in escalations if done else ():
                _resolve(player.coordinator, escalation, done, EscalationOutcome.ALREADY_IN_HAND)
    elif way == "seen" and later is not None and later < need.created_at + timedelta(days=4) \
            and player.when(later, office=False):
        set_clock(later)
        close_need(need, later, f"Seen on {day_words(later.astimezone(ZONE).date())}",
                   by="safety_net", via="system")
    else:
        need.flagged_at = need.created_at + timedelta(minutes=120)
        for escalation in escalations:
            _see_through(player, need, escalation, prompt=True)


def _see_through(player: Player, need: Need, escalation: Escalation, *,
                 prompt: bool = False) -> None:
    """Acknowledge and resolve one escalation as its recipient did: mostly in time, some late,
    a few left unanswered until the SLA watch passed them to the next tier."""
    rng = player.rng
    if escalation.status not in (EscalationStatus.OPEN, EscalationStatus.REOPENED):
        return
    if escalation.contact_id is not None:
        at = player.when(need.created_at + timedelta(minutes=rng.randint(5, 90)), office=False)
        if at is not None:
            _acknowledge(None, escalation, at)
            done = player.when(at + timedelta(hours=rng.randint(2, 30)), office=False)
            if done is not None:
                _resolve(player.coordinator, escalation, done, EscalationOutcome.ALREADY_IN_HAND)
        return
    actor = player.staff.get(escalation.organisation_id, player.coordinator)
    # The coordinator is the last tier; a partner with no demo login is the slowest to answer.
    passes = (0 if actor is player.coordinator and escalation.organisation_id
              == player.coordinator.organisation_id else
              0.1 if escalation.organisation_id in player.staff else 0.5)
    draw = rng.random()
    if draw < passes and not prompt and player.when(escalation.due_at, office=False):
        # Nobody answered in time: the SLA watch passed it on, as `outreach tick` would have.
        set_clock(escalation.due_at + timedelta(minutes=1))
        watch_slas(escalation.due_at + timedelta(minutes=1))
        for successor in db.session.scalars(select(Escalation).where(
                Escalation.need_id == need.id, Escalation.id != escalation.id,
                Escalation.tier > escalation.tier).order_by(Escalation.id)):
            player.made += 1
            _see_through(player, need, successor, prompt=True)
        acknowledged = escalation.due_at + timedelta(minutes=rng.randint(30, 600))
    elif draw < passes + 0.15:
        acknowledged = escalation.due_at + timedelta(minutes=rng.randint(10, 300))
    else:
        window = escalation.due_at - escalation.created_at
        acknowledged = escalation.created_at + window * rng.uniform(0.05, 0.8)
    acknowledged = player.when(acknowledged, office=escalation.severity != NeedSeverity.URGENT)
    if acknowledged is None or escalation.status not in (EscalationStatus.OPEN,
                                                         EscalationStatus.REOPENED):
        return  # not yet, or closed along with the need by its successor
    _acknowledge(actor, escalation, acknowledged)
    left = max(escalation.resolve_due_at - acknowledged, timedelta(hours=1))
    resolved = player.when(escalation.resolve_due_at + timedelta(hours=rng.randint(2, 72))
                           if rng.random() < 0.12 else acknowledged + left * rng.uniform(0.1, 0.9))
    if resolved is not None:
        _resolve(actor, escalation, max(resolved, acknowledged + timedelta(minutes=5)),
                 EscalationOutcome.HELPED,
                 usefulness=rng.choices((2, 3, 4, 5), weights=(1, 3, 6, 6))[0])


def _acknowledge(actor: User | None, escalation: Escalation, at: datetime) -> None:
    set_clock(at)
    if actor is None:
        services.acknowledge(None, escalation, "Replied OK", contact=escalation.contact,
                             via="sms")
    elif escalation.status in (EscalationStatus.OPEN, EscalationStatus.REOPENED):
        services.acknowledge(actor, escalation, "")


def _resolve(actor: User, escalation: Escalation, at: datetime, outcome: EscalationOutcome,
             usefulness: int | None = None) -> None:
    if escalation.status in (EscalationStatus.RESOLVED, EscalationStatus.REASSIGNED):
        return
    set_clock(at)
    note = data.YEAR_OUTCOMES.get(str(escalation.category), "Sorted out.")
    services.resolve(actor, escalation, outcome.value, note=note,
                     usefulness=usefulness if actor.role == "provider" else None)
